// gc_stw: stop-the-world pauses vs. concurrent mark time as the number of goroutines grows.
// A child runs with GODEBUG=gctrace=1 and forces GCs; the parent parses the lines
// "gc N @Ts P%: A+B+C ms clock, ..." (A = sweep termination STW, B = concurrent mark,
// C = mark termination STW) from its stderr.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sort"
	"strconv"
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

const forced = 8

var clock = regexp.MustCompile(`: ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock`)

func child(n int) {
	release := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() { <-release }()
	}
	time.Sleep(20 * time.Millisecond)
	runtime.GC() // settle: this cycle is not counted (the parent keeps the last `forced` lines)
	for i := 0; i < forced; i++ {
		runtime.GC()
	}
	close(release)
	fmt.Println("{}")
}

func measure(n int) (map[string]any, error) {
	cmd := exec.Command(os.Args[0], "child", strconv.Itoa(n))
	cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("child N=%d: %v: %s", n, err, stderr.String())
	}
	var rows [][3]float64
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		if m := clock.FindStringSubmatch(sc.Text()); m != nil {
			var r [3]float64
			for i := 0; i < 3; i++ {
				r[i], _ = strconv.ParseFloat(m[i+1], 64)
			}
			rows = append(rows, r)
		}
	}
	if len(rows) < forced {
		return nil, fmt.Errorf("child N=%d: %d gctrace lines, want %d: %s", n, len(rows), forced, stderr.String())
	}
	rows = rows[len(rows)-forced:]
	var sweep, mark, term []float64
	for _, r := range rows {
		sweep, mark, term = append(sweep, r[0]*1000), append(mark, r[1]*1000), append(term, r[2]*1000)
	}
	return map[string]any{"sweep_term_stw_us": stats(sweep), "concurrent_mark_us": stats(mark),
		"mark_term_stw_us": stats(term)}, nil
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "child" {
		n, _ := strconv.Atoi(os.Args[2])
		child(n)
		return
	}
	result := map[string]any{}
	for _, n := range []int{10, 100000, 200000} {
		m, err := measure(n)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		result[strconv.Itoa(n)] = m
	}
	small := result["10"].(map[string]any)["concurrent_mark_us"].(map[string]any)["median"].(float64)
	big := result["100000"].(map[string]any)["concurrent_mark_us"].(map[string]any)["median"].(float64)
	huge := result["200000"].(map[string]any)["concurrent_mark_us"].(map[string]any)["median"].(float64)
	out, _ := json.Marshal(map[string]any{"goroutines": result, "forced_gcs": forced,
		"mark_growth_ratio": big / small, "mark_200k_over_100k": huge / big})
	fmt.Println(string(out))
}
