// hello_binary: size and linkage of Go binaries, and start-up time. Builds (with the pinned go
// from $KB_GO) a hello world and a minimal net/http server in a temporary module, reads each
// ELF (PT_INTERP, DT_NEEDED) and times exec -> exit (hello) and exec -> first accepted TCP
// connection (server).
package main

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
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

const hello = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n"

const server = `package main

import (
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	http.ListenAndServe(os.Args[1], nil)
}
`

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func build(dir, src, out string, env []string, flags ...string) map[string]any {
	args := append([]string{"build", "-o", out}, flags...)
	args = append(args, src)
	cmd := exec.Command(os.Getenv("KB_GO"), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		fail(fmt.Errorf("go %v: %v\n%s", args, err, msg))
	}
	info, err := os.Stat(out)
	if err != nil {
		fail(err)
	}
	f, err := elf.Open(out)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	interp := ""
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			buf := make([]byte, p.Filesz)
			p.ReadAt(buf, 0)
			interp = string(buf[:len(buf)-1])
		}
	}
	libs, _ := f.ImportedLibraries()
	if libs == nil {
		libs = []string{}
	}
	return map[string]any{"bytes": info.Size(), "mib": float64(info.Size()) / (1 << 20),
		"static": interp == "" && len(libs) == 0, "interp": interp, "needed": libs}
}

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startServer(bin string) float64 {
	addr := freePort()
	start := time.Now()
	cmd := exec.Command(bin, addr)
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	for time.Since(start) < 10*time.Second {
		if c, err := net.Dial("tcp", addr); err == nil {
			elapsed := time.Since(start)
			c.Close()
			return float64(elapsed.Microseconds()) / 1000
		}
		time.Sleep(50 * time.Microsecond)
	}
	fail(fmt.Errorf("server %s never accepted a connection", bin))
	return 0
}

func main() {
	if os.Getenv("KB_GO") == "" {
		fail(fmt.Errorf("KB_GO (path of the pinned go) is not set; run through kb.evidence.experiments"))
	}
	dir, err := os.MkdirTemp("", "hello_binary")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "hello.go"), []byte(hello), 0o644)
	os.WriteFile(filepath.Join(dir, "server.go"), []byte(server), 0o644)
	cgo, _ := exec.Command(os.Getenv("KB_GO"), "env", "CGO_ENABLED").Output()

	helloBin := filepath.Join(dir, "hello")
	res := map[string]any{
		"cgo_enabled_default": string(cgo[:len(cgo)-1]) == "1",
		"hello":               build(dir, "hello.go", helloBin, nil),
		"hello_stripped":      build(dir, "hello.go", filepath.Join(dir, "hello-s"), nil, "-ldflags=-s -w"),
		"server_default":      build(dir, "server.go", filepath.Join(dir, "server"), nil),
		"server_cgo0":         build(dir, "server.go", filepath.Join(dir, "server0"), []string{"CGO_ENABLED=0"}),
		"server_cgo0_stripped": build(dir, "server.go", filepath.Join(dir, "server0-s"),
			[]string{"CGO_ENABLED=0"}, "-ldflags=-s -w"),
	}
	var runs, serves []float64
	for i := 0; i < 21; i++ {
		start := time.Now()
		if err := exec.Command(helloBin).Run(); err != nil {
			fail(err)
		}
		runs = append(runs, float64(time.Since(start).Microseconds())/1000)
	}
	for i := 0; i < 11; i++ {
		serves = append(serves, startServer(filepath.Join(dir, "server")))
	}
	res["hello_exec_exit_ms"] = stats(runs)
	res["server_exec_accept_ms"] = stats(serves)
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
