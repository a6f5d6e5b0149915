// mutex_uncontended: sync.Mutex Lock+Unlock with no contention, against an empty loop.
package main

import (
	"encoding/json"
	"fmt"
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

const n, trials = 5_000_000, 15

var sink int

//go:noinline
func lockUnlock(mu *sync.Mutex, k int) float64 {
	start := time.Now()
	for i := 0; i < k; i++ {
		mu.Lock()
		sink++
		mu.Unlock()
	}
	return float64(time.Since(start).Nanoseconds()) / float64(k)
}

//go:noinline
func empty(k int) float64 {
	start := time.Now()
	for i := 0; i < k; i++ {
		sink++
	}
	return float64(time.Since(start).Nanoseconds()) / float64(k)
}

func main() {
	var mu sync.Mutex
	lockUnlock(&mu, n)
	var pair, base []float64
	for t := 0; t < trials; t++ {
		pair = append(pair, lockUnlock(&mu, n))
		base = append(base, empty(n))
	}
	out, _ := json.Marshal(map[string]any{"ops_per_trial": n,
		"lock_unlock_ns": stats(pair), "empty_loop_ns": stats(base)})
	fmt.Println(string(out))
}
