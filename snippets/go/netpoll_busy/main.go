// netpoll_busy: how long a goroutine whose I/O became ready waits before it runs, (a) when a P is
// idle and (b) when every P is busy with call-free loops.
//
// A child process (`sh -c 'sleep ...; date +%s%N'`) writes its own wall-clock time into a pipe
// after a delay; the reader goroutine blocks in read(2) through the netpoller (os.Pipe files are
// non-blocking and registered with it). The wait is the reader's time.Now() after Read returns
// minus the time the child wrote. With an idle P, an M blocked in findRunnable's netpoll wakes at
// once. With every P busy, only sysmon polls (when nobody has for 10 ms) and injects the G into the
// global queue, where it waits for a P to reschedule (a time-slice preemption of a busy loop).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const procs = 2
const rounds = 9

var sink atomic.Uint64

// busy is a call-free loop: nothing but an asynchronous preemption can take its P. Each round has
// its own stop flag and waits for its loops to end, so no loop of a busy round survives into the
// next (idle) round.
func busy(stop *atomic.Bool, wg *sync.WaitGroup) {
	defer wg.Done()
	x := uint64(1)
	for !stop.Load() {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink.Add(x)
}

// one round: returns the wait (ms) between the child's write and the reader running again.
func one(hogs int) (float64, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	cmd := exec.Command("sh", "-c", "sleep 0.03; date +%s%N")
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	w.Close()
	var stop atomic.Bool
	var loops sync.WaitGroup
	done := make(chan float64, 1)
	go func() {
		buf := make([]byte, 64)
		n, _ := r.Read(buf)
		now := time.Now().UnixNano()
		stop.Store(true)
		wrote, perr := strconv.ParseInt(strings.TrimSpace(string(buf[:n])), 10, 64)
		if perr != nil {
			done <- -1
			return
		}
		done <- float64(now-wrote) / 1e6
	}()
	for i := 0; i < hogs; i++ {
		loops.Add(1)
		go busy(&stop, &loops)
	}
	ms := <-done
	stop.Store(true)
	loops.Wait()
	_ = cmd.Wait()
	if ms < 0 {
		return 0, fmt.Errorf("child wrote no timestamp")
	}
	return ms, nil
}

func stats(xs []float64) map[string]any {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return map[string]any{"min": s[0], "median": s[len(s)/2], "max": s[len(s)-1], "n": len(s)}
}

func main() {
	runtime.GOMAXPROCS(procs)
	var idle, busyWaits []float64
	for i := 0; i < rounds; i++ {
		for _, hogs := range []int{0, procs} {
			ms, err := one(hogs)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			if hogs == 0 {
				idle = append(idle, ms)
			} else {
				busyWaits = append(busyWaits, ms)
			}
		}
	}
	fmt.Fprintf(os.Stderr, "idle P: %v\nall Ps busy: %v\n", idle, busyWaits)
	out, _ := json.Marshal(map[string]any{
		"gomaxprocs":   procs,
		"rounds":       rounds,
		"idle_p_ms":    stats(idle),
		"all_busy_ms":  stats(busyWaits),
		"busy_vs_idle": stats(busyWaits)["median"].(float64) / max(stats(idle)["median"].(float64), 0.001),
	})
	fmt.Println(string(out))
}
