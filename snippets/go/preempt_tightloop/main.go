// preempt_tightloop: how long a runnable goroutine waits behind a loop without function calls,
// GOMAXPROCS=1. Since Go 1.14 sysmon preempts a G running for more than forcePreemptNS with a
// signal (asynchronous preemption). The child run with GODEBUG=asyncpreemptoff=1 shows the
// other goroutine then waits for the whole loop.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"time"
)

// stats summarises repeated measurements: the spread is the result, never one number.
func stats(xs []float64) map[string]any {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return map[string]any{"min": s[0], "median": med, "max": s[len(s)-1], "n": len(s)}
}

var sink uint64

// spin is a call-free loop: no function prologue, so no cooperative preemption point.
//
//go:noinline
func spin(n uint64) uint64 {
	x := uint64(1)
	for i := uint64(0); i < n; i++ {
		x = x*6364136223846793005 + i
	}
	return x
}

// trial starts a goroutine (it sits in runnext) and spins; returns how long the goroutine
// waited before it ran, and how long the loop took (ms).
func trial(n uint64) (waited, loop float64) {
	ran := make(chan time.Time, 1)
	// Sleep first: the P goes idle and schedules again, so sysmon's view of how long this G has
	// been running (p.sysmontick) starts fresh instead of carrying over from the last trial.
	time.Sleep(5 * time.Millisecond)
	start := time.Now()
	go func() { ran <- time.Now() }()
	sink += spin(n)
	end := time.Now()
	t := <-ran
	return float64(t.Sub(start).Microseconds()) / 1000, float64(end.Sub(start).Microseconds()) / 1000
}

func calibrate() uint64 {
	// Iterations for a loop of about 150 ms (10x the time slice), scaled from runs of a few ms
	// that are too short to be preempted.
	n := uint64(1 << 16)
	for {
		start := time.Now()
		sink += spin(n)
		if d := time.Since(start); d > 3*time.Millisecond {
			return uint64(float64(n) * float64(150*time.Millisecond) / float64(d))
		}
		n *= 2
	}
}

func run(trials int) map[string]any {
	runtime.GOMAXPROCS(1)
	n := calibrate()
	var waited, loops []float64
	for t := 0; t < trials; t++ {
		w, l := trial(n)
		waited, loops = append(waited, w), append(loops, l)
	}
	return map[string]any{"waited_ms": stats(waited), "loop_ms": stats(loops), "iterations": n}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		out, _ := json.Marshal(run(3))
		fmt.Println(string(out))
		return
	}
	on := run(15)
	child := exec.Command(os.Args[0], "child")
	child.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1")
	child.Stderr = os.Stderr
	raw, err := child.Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(1)
	}
	var off map[string]any
	if err := json.Unmarshal(raw, &off); err != nil {
		fmt.Fprintln(os.Stderr, "child output:", err)
		os.Exit(1)
	}
	offWait := off["waited_ms"].(map[string]any)["median"].(float64)
	offLoop := off["loop_ms"].(map[string]any)["median"].(float64)
	out, _ := json.Marshal(map[string]any{
		"gomaxprocs": 1, "async": on, "asyncpreemptoff": off,
		"off_waited_fraction_of_loop": offWait / offLoop,
	})
	fmt.Println(string(out))
}
