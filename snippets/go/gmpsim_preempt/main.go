// gmpsim_preempt: validation scenario (b) of gmpsim. On GOMAXPROCS=1, main spawns a goroutine
// and then runs a call-free loop (no function calls, so no cooperative preemption point): how
// long does the spawned goroutine wait before it runs? sysmon preempts a G that kept the same
// schedtick for forcePreemptNS (10 ms), asynchronously with a signal.
// Each trial starts with runtime.Gosched() so main begins a fresh time slice; with a second
// argument N > 0 it starts with time.Sleep(N ms) instead: the P goes idle, and the woken main runs
// from runnext with the time slice it INHERITS (the timer's goready puts it there), so sysmon's
// 10 ms count goes on from when it last saw the P's schedtick change, in the previous trial.
// Usage: gmpsim_preempt [trials [sleep_ms]]. Run with GOMAXPROCS=1. Prints one JSON line.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

var sink uint64

//go:noinline
func spin(iters int) uint64 {
	x := uint64(1)
	for i := 0; i < iters; i++ { // call-free: only async preemption can stop it
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

func main() {
	trials := 15
	if len(os.Args) > 1 {
		trials, _ = strconv.Atoi(os.Args[1])
	}
	sleepMs := 0
	if len(os.Args) > 2 {
		sleepMs, _ = strconv.Atoi(os.Args[2])
	}
	// Calibrate: iterations per millisecond (short runs, well below the 10 ms slice).
	const probe = 2_000_000
	calib := time.Now()
	best := time.Hour
	for i := 0; i < 5; i++ {
		t := time.Now()
		sink += spin(probe)
		if d := time.Since(t); d < best {
			best = d
		}
	}
	perMs := float64(probe) / (float64(best) / 1e6)
	loopMs := 60.0
	iters := int(perMs * loopMs)
	calibMs := float64(time.Since(calib)) / 1e6

	base := time.Now()
	delays := make([]float64, 0, trials)
	loops := make([]float64, 0, trials)
	for i := 0; i < trials; i++ {
		ran := make(chan time.Duration, 1)
		// Gosched: a fresh time slice for main (it comes back from the global queue, schedtick
		// moves), so sysmon's 10 ms count starts here. Sleep: main comes back through runnext and
		// inherits its slice, so the count may have started in the previous trial.
		if sleepMs > 0 {
			time.Sleep(time.Duration(sleepMs) * time.Millisecond)
		} else {
			runtime.Gosched()
		}
		t0 := time.Since(base)
		go func() { ran <- time.Since(base) }()
		sink += spin(iters)
		t1 := time.Since(base)
		started := <-ran
		delays = append(delays, float64(started-t0)/1e6)
		loops = append(loops, float64(t1-t0)/1e6)
	}
	out := map[string]any{
		"gomaxprocs": runtime.GOMAXPROCS(0), "trials": trials, "loop_target_ms": loopMs,
		"delay_ms": delays, "loop_ms": loops, "godebug": os.Getenv("GODEBUG"), "sleep_ms": sleepMs,
		"calib_ms": calibMs,
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
