// creation_order: which goroutine runs first after `go` statements on one P, and whether the
// number of G structures grows when goroutines are created after others have exited.
// order: main (GOMAXPROCS=1) starts k goroutines that record their index, then blocks; newproc
// puts each new G into runnext and kicks the previous one to the tail of the local queue, so the
// expected order is the last one first, then the others in creation order.
// reuse: heap objects allocated per `go` statement (MemStats.Mallocs delta) in a first wave of
// blocked goroutines (Gs made by malg: the closure plus the g itself) and in a second wave after
// the first exited (Gs taken back by gfget: the closure only).
package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
)

const k = 8

func order() []int {
	var mu sync.Mutex
	var got []int
	var wg sync.WaitGroup
	wg.Add(k)
	for i := 0; i < k; i++ {
		go func() {
			mu.Lock()
			got = append(got, i)
			mu.Unlock()
			wg.Done()
		}()
	}
	wg.Wait()
	return got
}

// wave starts n goroutines that block until released and returns heap objects allocated per
// goroutine while starting them (a fresh G is a heap object; a recycled one is not).
func wave(n int) float64 {
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(n)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		go func() { <-release; wg.Done() }()
	}
	runtime.ReadMemStats(&after)
	close(release)
	wg.Wait()
	return float64(after.Mallocs-before.Mallocs) / float64(n)
}

func main() {
	runtime.GOMAXPROCS(1)
	var orders [][]int
	same := true
	for t := 0; t < 20; t++ {
		o := order()
		orders = append(orders, o)
		if fmt.Sprint(o) != fmt.Sprint(orders[0]) {
			same = false
		}
	}
	const n = 2000
	// No GC during the waves, and the best of several recycled waves: on a busy machine other
	// runtime work (GC, timers) can add allocations to one wave; only the minimum is the G's own cost.
	debug.SetGCPercent(-1)
	first := wave(n)
	second := wave(n)
	for r := 0; r < 4; r++ {
		second = min(second, wave(n))
	}
	debug.SetGCPercent(100)
	out, _ := json.Marshal(map[string]any{
		"k": k, "order": orders[0], "order_stable_over_20": same,
		"last_first": orders[0][0] == k-1,
		"rest_fifo": fmt.Sprint(orders[0][1:]) == fmt.Sprint(seq(k-1)),
		"wave_goroutines": n, "mallocs_per_go_fresh": first, "mallocs_per_go_recycled": second,
	})
	fmt.Println(string(out))
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
