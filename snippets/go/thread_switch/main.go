// thread_switch: cost of an OS thread switch, for comparison with a goroutine switch.
// Two goroutines locked to two OS threads, both pinned to CPU 0 with sched_setaffinity, bounce
// one byte over two pipes with raw read(2)/write(2): every hop is a kernel context switch.
// Prints ns per one-way hop (min/median/max over trials) and the same unpinned.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
	"syscall"
	"time"
	"unsafe"
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

const hops, trials = 20000, 11

func pin(cpu int) error {
	var mask [16]uint64
	mask[cpu/64] |= 1 << (cpu % 64)
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, uintptr(len(mask)*8), uintptr(unsafe.Pointer(&mask)))
	if e != 0 {
		return e
	}
	return nil
}

func trial(pinned bool) (float64, error) {
	var ab, ba [2]int
	if err := syscall.Pipe(ab[:]); err != nil {
		return 0, err
	}
	if err := syscall.Pipe(ba[:]); err != nil {
		return 0, err
	}
	defer func() {
		for _, fd := range []int{ab[0], ab[1], ba[0], ba[1]} {
			syscall.Close(fd)
		}
	}()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // the thread exits with the goroutine: affinity does not leak
		if pinned {
			if err := pin(0); err != nil {
				errc <- err
				return
			}
		}
		buf := []byte{0}
		for i := 0; i < hops/2; i++ {
			syscall.Read(ab[0], buf)
			syscall.Write(ba[1], buf)
		}
		errc <- nil
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if pinned {
		if err := pin(0); err != nil {
			return 0, err
		}
	}
	buf := []byte{0}
	start := time.Now()
	for i := 0; i < hops/2; i++ {
		syscall.Write(ab[1], buf)
		syscall.Read(ba[0], buf)
	}
	elapsed := time.Since(start)
	if err := <-errc; err != nil {
		return 0, err
	}
	return float64(elapsed.Nanoseconds()) / hops, nil
}

func main() {
	var pinned, free []float64
	for t := 0; t < trials; t++ {
		p, err := trial(true)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pinned trial:", err)
			os.Exit(1)
		}
		f, err := trial(false)
		if err != nil {
			fmt.Fprintln(os.Stderr, "trial:", err)
			os.Exit(1)
		}
		pinned, free = append(pinned, p), append(free, f)
	}
	out, _ := json.Marshal(map[string]any{"hops_per_trial": hops,
		"pinned_hop_ns": stats(pinned), "unpinned_hop_ns": stats(free)})
	fmt.Println(string(out))
}
