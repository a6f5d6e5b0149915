// gmpsim_runq: validation scenario (a) of gmpsim. On GOMAXPROCS=1, main spawns N goroutines
// while it keeps the only P busy; where do they wait: global queue, local run queue, runnext?
//
// The answer comes from the runtime itself: this program re-executes itself as a child with
// GODEBUG=schedtrace=25,scheddetail=1,asyncpreemptoff=1 and returns the child's last complete SCHED block (raw
// text lines) taken after all N goroutines were spawned. Python parses it with gmpsim's
// schedtrace parser, the same parser that reads gmpsim's own schedtrace lines.
// Usage: gmpsim_runq N. Prints one JSON line.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

const doneMarker = "gmpsim: done"

var sink uint64

//go:noinline
func spin(iters int) uint64 {
	x := uint64(1)
	for i := 0; i < iters; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

func child(n int) {
	// A fresh time slice for main (schedtick moves on), so sysmon's 10 ms preemption
	// cannot strike while we spawn and wait for the trace.
	runtime.Gosched()
	block := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() { <-block }()
	}
	// No output here: a write to the stderr pipe can block (sysmon fills it with traces) and
	// a blocked main would lose its P to the spawned goroutines.
	// Keep the P busy while sysmon prints a trace or two (every 25 ms: printing holds
	// sched.lock, which would slow the spawning above): a call-free loop, which with
	// GODEBUG=asyncpreemptoff=1 nothing can preempt, however long a loaded machine makes it.
	sink = spin(200_000_000)
	fmt.Fprintln(os.Stderr, doneMarker)
	os.Exit(0)
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "child" {
		n, _ := strconv.Atoi(os.Args[2])
		child(n)
		return
	}
	n := 1000
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	var block []string
	tries := 0
	for tries = 1; tries <= 20 && block == nil; tries++ {
		cmd := exec.Command(exe, "child", strconv.Itoa(n))
		cmd.Env = append(os.Environ(), "GODEBUG=schedtrace=25,scheddetail=1,asyncpreemptoff=1", "GOMAXPROCS=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			panic(err)
		}
		block = lastCompleteBlock(stderr.String(), n)
	}
	out := map[string]any{"n": n, "gomaxprocs": 1, "tries": tries - 1, "block": block}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

// lastCompleteBlock returns the lines of the last SCHED block printed before the done marker
// that is complete (followed by another SCHED line or the marker on a line of its own) and was
// printed after the spawning and before any spawned goroutine ran: main (G1) still running on
// P0 and at least n goroutines runnable (a spawned goroutine that ran would be waiting).
func lastCompleteBlock(text string, n int) []string {
	var blocks [][]string
	var cur []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, doneMarker) {
			// The marker may land in the middle of a line sysmon is printing.
			if cur != nil && l == doneMarker {
				blocks = append(blocks, cur)
			}
			break
		}
		if strings.HasPrefix(l, "SCHED ") {
			if cur != nil {
				blocks = append(blocks, cur)
			}
			cur = []string{l}
		} else if cur != nil && strings.HasPrefix(l, "  ") {
			cur = append(cur, l)
		}
	}
	for i := len(blocks) - 1; i >= 0; i-- {
		runnable, mainRunning, p0Running := 0, false, false
		for _, l := range blocks[i] {
			if strings.HasPrefix(l, "  G") && strings.Contains(l, ": status=1(") {
				runnable++
			}
			mainRunning = mainRunning || strings.HasPrefix(l, "  G1: status=2(")
			p0Running = p0Running || strings.HasPrefix(l, "  P0: status=1 ")
		}
		if runnable >= n && mainRunning && p0Running {
			return blocks[i]
		}
	}
	return nil
}
