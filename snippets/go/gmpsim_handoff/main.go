// gmpsim_handoff: validation scenario (c) of gmpsim. On GOMAXPROCS=1, goroutine A blocks in a
// read(2) system call on a pipe while goroutine B waits in the local run queue of the only P.
// entersyscall keeps the P; sysmon's retake takes it after at least one sysmon tick and hands it
// to another thread (handoffp -> startm), which runs B. Measured: time from A entering the
// syscall to B running. Usage: gmpsim_handoff [trials]. Run with GOMAXPROCS=1. One JSON line.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
)

func main() {
	trials := 20
	if len(os.Args) > 1 {
		trials, _ = strconv.Atoi(os.Args[1])
	}
	var fds [2]int
	// syscall.Pipe, not os.Pipe: os.Pipe makes the fds non-blocking and parks the goroutine in
	// the netpoller; here the read must block the thread in the kernel.
	if err := syscall.Pipe(fds[:]); err != nil {
		panic(err)
	}
	base := time.Now()
	delays := make([]float64, 0, trials)
	for i := 0; i < trials; i++ {
		done := make(chan struct{})
		var t0, t1 time.Duration
		// B first: the go statement puts it in runnext; spawning A then kicks B to the local
		// run queue and A takes runnext, so A runs first when main blocks.
		go func() {
			t1 = time.Since(base)
			syscall.Write(fds[1], []byte{1})
		}()
		go func() {
			var buf [1]byte
			t0 = time.Since(base)
			syscall.Read(fds[0], buf[:])
			done <- struct{}{}
		}()
		<-done
		delays = append(delays, float64(t1-t0)/1e3)
	}
	out := map[string]any{"gomaxprocs": runtime.GOMAXPROCS(0), "trials": trials, "handoff_us": delays}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
