// threads_syscall: OS threads when goroutines block in system calls vs. park on channels, and
// how fast a P stuck in a blocking syscall is handed to another thread (sysmon's retake).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
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

func threads() int {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return -1
}

// settle waits until the thread count stops changing (sysmon retakes Ps from blocked threads in
// its own rhythm, up to 10 ms apart) and returns it.
func settle() int {
	last, stable := threads(), 0
	for i := 0; i < 200 && stable < 5; i++ {
		time.Sleep(10 * time.Millisecond)
		if now := threads(); now == last {
			stable++
		} else {
			last, stable = now, 0
		}
	}
	return last
}

// blockedInRead starts n goroutines blocked in read(2) on pipes (raw syscalls: the netpoller is
// not involved) and returns the thread count while they block.
func blockedInRead(n int) (int, error) {
	fds := make([][2]int, n)
	done := make(chan struct{}, n)
	for i := range fds {
		if err := syscall.Pipe(fds[i][:]); err != nil {
			return 0, err
		}
		go func(fd int) {
			buf := make([]byte, 1)
			syscall.Read(fd, buf)
			done <- struct{}{}
		}(fds[i][0])
	}
	during := settle()
	for i := range fds {
		syscall.Write(fds[i][1], []byte{1})
	}
	for i := 0; i < n; i++ {
		<-done
	}
	for i := range fds {
		syscall.Close(fds[i][0])
		syscall.Close(fds[i][1])
	}
	return during, nil
}

func parkedOnChannels(n int) int {
	release := make(chan struct{})
	for i := 0; i < n; i++ {
		go func() { <-release }()
	}
	during := settle()
	close(release)
	return during
}

// handoff: with GOMAXPROCS=1, main blocks in read(2); another runnable goroutine can only run
// once sysmon retakes the P from the blocked thread and hands it to another one.
func handoff() (float64, error) {
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		return 0, err
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	ran := make(chan time.Time, 1)
	time.Sleep(2 * time.Millisecond)
	go func() {
		ran <- time.Now()
		syscall.Write(fds[1], []byte{1})
	}()
	start := time.Now()
	buf := make([]byte, 1)
	syscall.Read(fds[0], buf)
	t := <-ran
	return float64(t.Sub(start).Nanoseconds()) / 1000, nil
}

func main() {
	before := settle()
	blocked, err := blockedInRead(64)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	baseline := settle()
	parked := parkedOnChannels(128)
	prev := runtime.GOMAXPROCS(1)
	var hand []float64
	for i := 0; i < 15; i++ {
		us, err := handoff()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		hand = append(hand, us)
	}
	runtime.GOMAXPROCS(prev)
	out, _ := json.Marshal(map[string]any{
		"threads_at_start":       before,
		"blocked_in_read":        64,
		"threads_while_blocked":  blocked,
		"threads_added_by_block": blocked - before,
		"threads_before_parking": baseline,
		"parked_on_channels":     128,
		"threads_while_parked":   parked,
		"threads_added_by_park":  parked - baseline,
		"handoff_us":             stats(hand),
	})
	fmt.Println(string(out))
}
