// runnext_order: the order in which goroutines started by one goroutine run on a single P.
// With GOMAXPROCS=1, main starts N goroutines and then blocks. newproc puts each new G in
// pp.runnext (runqput(pp, newg, true)), kicking the previous runnext to the tail of the local
// queue; so when main blocks, the LAST goroutine started runs first (from runnext) and the others
// follow in the order they were started (FIFO from the ring). Repeated `rounds` times so a rare
// preemption of main during the spawn loop shows up as a non-matching round, not a wrong answer.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
)

const n = 8
const rounds = 50

func oneRound() []int {
	var (
		mu    sync.Mutex
		order []int
		wg    sync.WaitGroup
	)
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func(id int) {
			mu.Lock()
			order = append(order, id)
			mu.Unlock()
			wg.Done()
		}(i)
	}
	wg.Wait()
	return order
}

func main() {
	runtime.GOMAXPROCS(1)
	expected := []int{n - 1}
	for i := 0; i < n-1; i++ {
		expected = append(expected, i)
	}
	matching := 0
	var first []int
	lastFirst := 0
	for r := 0; r < rounds; r++ {
		o := oneRound()
		if r == 0 {
			first = o
		}
		if len(o) > 0 && o[0] == n-1 {
			lastFirst++
		}
		ok := len(o) == len(expected)
		for i := range o {
			if ok && o[i] != expected[i] {
				ok = false
			}
		}
		if ok {
			matching++
		}
	}
	fmt.Fprintf(os.Stderr, "first round order: %v\n", first)
	out := map[string]any{
		"goroutines":             n,
		"rounds":                 rounds,
		"first_round_order":      first,
		"first_round_text":       strings.Trim(fmt.Sprint(first), "[]"),
		"expected_order":         expected,
		"rounds_matching":        matching,
		"matching_fraction":      float64(matching) / rounds,
		"last_started_ran_first": float64(lastFirst) / rounds,
		"gomaxprocs":             runtime.GOMAXPROCS(0),
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
