// gmpsim_runq: validation scenario (a) of gmpsim. On GOMAXPROCS=1, main spawns N goroutines
// while it keeps the only P busy; where do they wait: global queue, local run queue, runnext?
//
// The answer comes from the runtime itself: this program re-executes itself as a child with
// GODEBUG=schedtrace=1,scheddetail=1 and returns the child's last complete SCHED block (raw
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
	"time"
)

const marker = "gmpsim: spawned"

func child(n int) {
	// A fresh time slice for main (schedtick moves on), so sysmon's 10 ms preemption
	// cannot strike while we spawn and wait for the trace.
	runtime.Gosched()
	block := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() { <-block }()
	}
	fmt.Fprintln(os.Stderr, marker)
	// Keep the P busy (no blocking, no Gosched) while sysmon prints two or three traces.
	start := time.Now()
	for time.Since(start) < 3500*time.Microsecond {
	}
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
	for tries = 1; tries <= 5 && block == nil; tries++ {
		cmd := exec.Command(exe, "child", strconv.Itoa(n))
		cmd.Env = append(os.Environ(), "GODEBUG=schedtrace=1,scheddetail=1", "GOMAXPROCS=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			panic(err)
		}
		block = lastCompleteBlock(stderr.String())
	}
	out := map[string]any{"n": n, "gomaxprocs": 1, "tries": tries - 1, "block": block}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}

// lastCompleteBlock returns the lines of the last SCHED block that starts after the marker and
// is followed by another SCHED line (so it was printed completely before the child exited).
func lastCompleteBlock(text string) []string {
	lines := strings.Split(text, "\n")
	seen := false
	var blocks [][]string
	var cur []string
	for _, l := range lines {
		if l == marker {
			seen = true
			cur = nil
			continue
		}
		if !seen {
			continue
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
	if len(blocks) == 0 {
		return nil
	}
	return blocks[len(blocks)-1]
}
