// codegen: what the compiler emits (go build -gcflags=-S, amd64) for the sync.Mutex fast path,
// a non-devirtualized interface call and sync/atomic loads and stores.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

const prog = `package main

import (
	"sync"
	"sync/atomic"
)

type Shape interface{ Area() float64 }
type Sq struct{ s float64 }
type Ci struct{ r float64 }

func (q Sq) Area() float64 { return q.s * q.s }
func (c Ci) Area() float64 { return 3 * c.r * c.r }

var mu sync.Mutex
var n int
var u atomic.Uintptr
var shapes = []Shape{Sq{2}, Ci{1}}

//go:noinline
func locked() { mu.Lock(); n++; mu.Unlock() }

//go:noinline
func area(s Shape) float64 { return s.Area() }

//go:noinline
func load() uintptr { return u.Load() }

//go:noinline
func store(v uintptr) { u.Store(v) }

func main() {
	locked()
	println(area(shapes[n%2]), load())
	store(1)
}
`

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// function returns the assembly lines of main.<name> from the -S listing.
func function(listing, name string) []string {
	var lines []string
	in := false
	for _, line := range strings.Split(listing, "\n") {
		if strings.HasPrefix(line, "main."+name+" STEXT") {
			in = true
			continue
		}
		if in && !strings.HasPrefix(line, "\t") {
			break
		}
		if in {
			lines = append(lines, line)
		}
	}
	return lines
}

// instrs returns "OP operands" of lines whose opcode matches.
func instrs(lines []string, re *regexp.Regexp) []string {
	var out []string
	for _, l := range lines {
		// "\t0x0000 00000 (file:line)\tOP\toperands"
		fields := strings.Split(l, "\t")
		if len(fields) < 3 {
			continue
		}
		body := strings.TrimSpace(strings.Join(fields[2:], " "))
		if body == "XCHGL AX, AX" {
			continue // the inlining mark, a no-op
		}
		if re.MatchString(body) {
			out = append(out, body)
		}
	}
	return out
}

func main() {
	dir, err := os.MkdirTemp("", "codegen")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "p.go"), []byte(prog), 0o644)
	cmd := exec.Command(os.Getenv("KB_GO"), "build", "-gcflags=-S", "-o", filepath.Join(dir, "p"), "p.go")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOARCH=amd64", "GOOS=linux")
	listing, err := cmd.CombinedOutput()
	if err != nil {
		fail(fmt.Errorf("go build -gcflags=-S: %v\n%s", err, listing))
	}
	text := string(listing)
	locked, area := function(text, "locked"), function(text, "area")
	load, store := function(text, "load"), function(text, "store")
	if locked == nil || area == nil || load == nil || store == nil {
		fail(fmt.Errorf("functions not found in the listing:\n%s", text))
	}
	atomics := instrs(locked, regexp.MustCompile(`^(LOCK|CMPXCHG|XADD|XCHG)`))
	calls := instrs(locked, regexp.MustCompile(`^CALL`))
	icall := instrs(area, regexp.MustCompile(`^CALL`))
	indirect := false
	for _, c := range icall {
		if regexp.MustCompile(`^CALL\s+\(?[A-Z0-9]+\)?$`).MatchString(c) {
			indirect = true
		}
	}
	loads := instrs(load, regexp.MustCompile(`^(MOV|XCHG|LOCK|MFENCE)`))
	stores := instrs(store, regexp.MustCompile(`^(MOV|XCHG|LOCK|MFENCE)`))
	joined := strings.Join(atomics, " ; ")
	fence := false
	for _, l := range loads {
		if strings.HasPrefix(l, "LOCK") || strings.HasPrefix(l, "MFENCE") || strings.HasPrefix(l, "XCHG") {
			fence = true
		}
	}
	storeXchg := false
	for _, s := range stores {
		if strings.HasPrefix(s, "XCHG") {
			storeXchg = true
		}
	}
	out, _ := json.Marshal(map[string]any{
		"goarch":                  "amd64",
		"mutex_fast_path_atomics": atomics,
		"mutex_lock_cmpxchg":      strings.Contains(joined, "CMPXCHGL"),
		"mutex_unlock_xadd":       strings.Contains(joined, "XADDL"),
		"mutex_slow_path_calls":   calls,
		"interface_call":          icall,
		"interface_call_indirect": indirect,
		"atomic_load":             loads,
		"atomic_load_has_fence":   fence,
		"atomic_store":            stores,
		"atomic_store_is_xchg":    storeXchg,
	})
	fmt.Println(string(out))
}
