// gmpsim_threads: validation scenario (e) of gmpsim. How many OS threads do N goroutines need
// when they are parked on a channel (none: a parked G holds no thread) and when they are blocked
// in a read(2) system call (about one each: sysmon retakes the P of each blocked thread and
// hands it to another one)? Threads are counted in /proc/self/status.
// Usage: gmpsim_threads [n_syscall] [n_parked]. One JSON line.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func threads() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	panic("no Threads: line")
}

func main() {
	nSys, nPark := 64, 128
	if len(os.Args) > 1 {
		nSys, _ = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) > 2 {
		nPark, _ = strconv.Atoi(os.Args[2])
	}
	time.Sleep(20 * time.Millisecond)

	// Parked on a channel first: no thread is needed, so none may appear.
	parkBefore := threads()
	release := make(chan struct{})
	parked := make(chan struct{}, nPark)
	for i := 0; i < nPark; i++ {
		go func() { parked <- struct{}{}; <-release }()
	}
	for i := 0; i < nPark; i++ {
		<-parked
	}
	time.Sleep(50 * time.Millisecond)
	parkAfter := threads()
	close(release)

	// Blocked in read(2): each blocked thread keeps its M; sysmon hands the P on.
	sysBefore := threads()
	pipes := make([][2]int, nSys)
	for i := range pipes {
		if err := syscall.Pipe(pipes[i][:]); err != nil {
			panic(err)
		}
	}
	done := make(chan struct{}, nSys)
	for i := 0; i < nSys; i++ {
		fd := pipes[i][0]
		go func() {
			var b [1]byte
			syscall.Read(fd, b[:])
			done <- struct{}{}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	sysAfter := threads()
	for i := range pipes {
		syscall.Write(pipes[i][1], []byte{1})
	}
	for i := 0; i < nSys; i++ {
		<-done
	}
	out := map[string]any{
		"gomaxprocs": runtime.GOMAXPROCS(0), "n_syscall": nSys, "n_parked": nPark,
		"parked_before": parkBefore, "parked_after": parkAfter,
		"syscall_before": sysBefore, "syscall_after": sysAfter,
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
