// stack_initial: how big is a new goroutine's stack, and what does the adaptive start
// (GODEBUG=adaptivestackstart, Go 1.19+) change? Prints one JSON line.
//
// Fresh goroutines: StackInuse delta over N parked goroutines / N.
// Adaptive start: after a GC that scans many deep stacks, runtime/metrics
// /gc/stack/starting-size:bytes grows and recycled Gs get that size; the same run with
// adaptivestackstart=0 is done in a child process (GODEBUG is read at start-up).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
)

const fresh = 20000

func startingSize() uint64 {
	s := []metrics.Sample{{Name: "/gc/stack/starting-size:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func stackInuse() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.StackInuse
}

// parkN starts n goroutines that block until release is closed and returns the StackInuse delta.
// settle runs a GC first; adaptive() must not, since every GC recomputes the starting size.
func parkN(n int, release chan struct{}, settle bool) float64 {
	ready := make(chan struct{}, n)
	if settle {
		runtime.GC()
	}
	before := stackInuse()
	for i := 0; i < n; i++ {
		go func() { ready <- struct{}{}; <-release }()
	}
	for i := 0; i < n; i++ {
		<-ready
	}
	return float64(stackInuse()-before) / float64(n)
}

//go:noinline
func deep(n int, park chan struct{}, ready chan struct{}) byte {
	var pad [256]byte
	if n == 0 {
		ready <- struct{}{}
		<-park
		return pad[0]
	}
	pad[n%256] = byte(n)
	return deep(n-1, park, ready) + pad[(n+1)%256]
}

// adaptive parks goroutines on deep stacks, runs a GC (which averages the scanned stack sizes),
// lets them exit (their Gs are recycled) and measures the stacks of new goroutines.
//
// The starting size is the average scanned stack size plus stackGuard, rounded up to a power of
// two (gcComputeStartingStackSize), so it follows the depth: with Go 1.27.3, 40 frames of deep()
// gave 16 KiB and depthN = 80 gives 32 KiB (claims.yaml checks the latter exactly).
func adaptive() map[string]any {
	const deepN, newN, depthN = 1000, 3000, 80
	park, ready := make(chan struct{}), make(chan struct{}, deepN)
	done := make(chan struct{}, deepN)
	for i := 0; i < deepN; i++ {
		go func() { deep(depthN, park, ready); done <- struct{}{} }()
	}
	for i := 0; i < deepN; i++ {
		<-ready
	}
	runtime.GC()
	after := startingSize()
	close(park)
	for i := 0; i < deepN; i++ {
		<-done
	}
	release := make(chan struct{})
	perG := parkN(newN, release, false)
	close(release)
	return map[string]any{"starting_size_after_gc": after, "avg_new_stack_bytes": perG,
		"deep_goroutines": deepN, "recursion_depth": depthN, "new_goroutines": newN}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "adaptive" {
		out, _ := json.Marshal(adaptive())
		fmt.Println(string(out))
		return
	}
	initial := startingSize()
	release := make(chan struct{})
	per := parkN(fresh, release, true)
	close(release)

	child := exec.Command(os.Args[0], "adaptive")
	child.Env = append(os.Environ(), "GODEBUG=adaptivestackstart=0")
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
	out, _ := json.Marshal(map[string]any{
		"goroutines":                fresh,
		"fresh_per_goroutine_bytes": per,
		"starting_size_initial":     initial,
		"adaptive_on":               adaptive(),
		"adaptive_off":              off,
	})
	fmt.Println(string(out))
}
