// atomics_codegen: what the compiler emits for sync/atomic Load, Store, CompareAndSwap and Add on
// uint32, for GOARCH=amd64 and GOARCH=arm64 (go build -gcflags=-S; cross-compiling needs no arm64
// hardware). The runtime's internal/runtime/atomic functions are compiler intrinsics lowered the
// same way. One JSON line.
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

import "sync/atomic"

var u atomic.Uint32

//go:noinline
func load() uint32 { return u.Load() }

//go:noinline
func store(v uint32) { u.Store(v) }

//go:noinline
func cas(o, n uint32) bool { return u.CompareAndSwap(o, n) }

//go:noinline
func add(d uint32) uint32 { return u.Add(d) }

func main() {
	store(1)
	println(load(), cas(1, 2), add(3))
}
`

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

// function returns the instructions ("OP operands") of main.<name> in a -S listing.
func function(listing, name string) []string {
	var out []string
	in := false
	for _, line := range strings.Split(listing, "\n") {
		if strings.HasPrefix(line, "main."+name+" STEXT") {
			in = true
			continue
		}
		if in && !strings.HasPrefix(line, "\t") {
			break
		}
		if !in {
			continue
		}
		// "\t0x0000 00000 (file:line)\tOP\toperands"
		fields := strings.Split(line, "\t")
		if len(fields) < 3 {
			continue
		}
		body := strings.TrimSpace(strings.Join(fields[2:], " "))
		if body == "" || strings.HasPrefix(body, "PCDATA") || strings.HasPrefix(body, "FUNCDATA") {
			continue
		}
		if body == "XCHGL AX, AX" {
			continue // amd64's inlining mark, a no-op
		}
		out = append(out, body)
	}
	return out
}

// matching keeps the instructions whose opcode matches re.
func matching(instrs []string, re *regexp.Regexp) []string {
	out := []string{}
	for _, s := range instrs {
		if re.MatchString(s) {
			out = append(out, s)
		}
	}
	return out
}

func has(instrs []string, re *regexp.Regexp) bool { return len(matching(instrs, re)) > 0 }

func main() {
	dir, err := os.MkdirTemp("", "atomics_codegen")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(prog), 0o644); err != nil {
		fail(err)
	}
	// Memory-access and barrier opcodes of both architectures; the rest (stack checks, moves of
	// arguments between registers) is left out of the report.
	mem := regexp.MustCompile(`^(LOCK|XCHG|CMPXCHG|XADD|MFENCE|MOV[LQWB]?\s.*\(|LDAR|STLR|LDAXR|STLXR|CASAL|LDADDAL|DMB)`)
	out := map[string]any{}
	for _, arch := range []string{"amd64", "arm64"} {
		cmd := exec.Command(os.Getenv("KB_GO"), "build", "-gcflags=-S", "-o", filepath.Join(dir, "p-"+arch), "p.go")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOARCH="+arch, "GOOS=linux")
		listing, err := cmd.CombinedOutput()
		if err != nil {
			fail(fmt.Errorf("GOARCH=%s go build -gcflags=-S: %v\n%s", arch, err, listing))
		}
		fns := map[string][]string{}
		all := map[string][]string{}
		for _, name := range []string{"load", "store", "cas", "add"} {
			f := function(string(listing), name)
			if f == nil {
				fail(fmt.Errorf("GOARCH=%s: main.%s not found in the listing", arch, name))
			}
			all[name] = f
			fns[name] = matching(f, mem)
		}
		out[arch] = fns
		if arch == "amd64" {
			fence := regexp.MustCompile(`^(LOCK|XCHG|MFENCE)`)
			out["amd64_load_has_fence"] = has(fns["load"], fence)
			out["amd64_store_is_xchg"] = has(fns["store"], regexp.MustCompile(`^XCHGL`))
			out["amd64_cas_is_lock_cmpxchg"] = has(fns["cas"], regexp.MustCompile(`^LOCK`)) &&
				has(fns["cas"], regexp.MustCompile(`^CMPXCHGL`))
			out["amd64_add_is_lock_xadd"] = has(fns["add"], regexp.MustCompile(`^LOCK`)) &&
				has(fns["add"], regexp.MustCompile(`^XADDL`))
		} else {
			out["arm64_load_is_ldar"] = has(fns["load"], regexp.MustCompile(`^LDARW`))
			out["arm64_store_is_stlr"] = has(fns["store"], regexp.MustCompile(`^STLRW`))
			out["arm64_load_has_dmb"] = has(fns["load"], regexp.MustCompile(`^DMB`))
			out["arm64_cas_lse"] = has(fns["cas"], regexp.MustCompile(`^CASALW`))
			// Both sequences are compiled in; which one runs is chosen at run time from the
			// CPU's feature flags (runtime.arm64HasATOMICS).
			out["arm64_cas_checks_cpu"] = has(all["cas"], regexp.MustCompile(`arm64HasATOMICS`))
			out["arm64_cas_llsc"] = has(fns["cas"], regexp.MustCompile(`^LDAXRW`)) &&
				has(fns["cas"], regexp.MustCompile(`^STLXRW`))
		}
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
