// goroutine_create: cost of starting a goroutine (go statement + run + exit) with GOMAXPROCS=1.
// spawn_all: start N goroutines, then wait for all; spawn_join: start one and wait for it, N times.
// Each is repeated; prints one JSON line with min/median/max ns per goroutine.
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

const n, trials = 20000, 15

func spawnAll() float64 {
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go wg.Done()
	}
	wg.Wait()
	return float64(time.Since(start).Nanoseconds()) / n
}

func spawnJoin() float64 {
	done := make(chan struct{})
	start := time.Now()
	for i := 0; i < n; i++ {
		go func() { done <- struct{}{} }()
		<-done
	}
	return float64(time.Since(start).Nanoseconds()) / n
}

func main() {
	runtime.GOMAXPROCS(1)
	spawnAll() // warm up: the first run also allocates the Gs that later runs recycle
	var all, join []float64
	for t := 0; t < trials; t++ {
		all = append(all, spawnAll())
		join = append(join, spawnJoin())
	}
	out, _ := json.Marshal(map[string]any{"gomaxprocs": 1, "goroutines_per_trial": n,
		"spawn_all_ns": stats(all), "spawn_join_ns": stats(join)})
	fmt.Println(string(out))
}
