// switch_pingpong: cost of a goroutine switch in user space, GOMAXPROCS=1.
// gosched: two goroutines yield to each other with runtime.Gosched (ns per switch);
// chan: two goroutines bounce a token over unbuffered channels (ns per one-way hop).
package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"sync"
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

const n, trials = 200000, 15

func gosched() float64 {
	var wg sync.WaitGroup
	wg.Add(2)
	start := time.Now()
	for g := 0; g < 2; g++ {
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	return float64(time.Since(start).Nanoseconds()) / (2 * n)
}

func chanHop() float64 {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	elapsed := time.Since(start)
	close(ping)
	return float64(elapsed.Nanoseconds()) / (2 * n)
}

func main() {
	runtime.GOMAXPROCS(1)
	gosched()
	var gs, ch []float64
	for t := 0; t < trials; t++ {
		gs = append(gs, gosched())
		ch = append(ch, chanHop())
	}
	out, _ := json.Marshal(map[string]any{"gomaxprocs": 1, "switches_per_trial": 2 * n,
		"gosched_ns": stats(gs), "chan_hop_ns": stats(ch)})
	fmt.Println(string(out))
}
