// stack_growth: how a goroutine stack grows while it recurses. Prints one JSON line.
//
// A pointer to a local of the root frame is passed down the recursion. The runtime adjusts
// pointers on the stack when it copies the stack to a bigger one, so the root's address moves at
// every copy; the bytes in use at that moment (root address - current frame address) tell the
// size of the stack that just overflowed. Sizes are powers of two, so the old size is the
// smallest power of two that holds what was in use plus the guard area.
package main

import (
	"encoding/json"
	"fmt"
	"unsafe"
)

var events []uintptr

//go:noinline
func recurse(depth int, root *byte, last uintptr, limit uintptr) uintptr {
	var pad [96]byte
	pad[depth%96] = byte(depth)
	here := uintptr(unsafe.Pointer(&pad[0]))
	r := uintptr(unsafe.Pointer(root))
	if r != last && last != 0 {
		events = append(events, r-here) // the stack was copied on entry to this frame
	}
	if r-here > limit {
		return uintptr(pad[0])
	}
	return recurse(depth+1, root, r, limit) + uintptr(pad[1])
}

func pow2ceil(x uintptr) uintptr {
	p := uintptr(1)
	for p < x {
		p <<= 1
	}
	return p
}

func main() {
	const limit = 1536 << 10 // recurse until ~1.5 MiB are in use: the stack reaches 2 MiB
	done := make(chan struct{})
	go func() {
		var root byte
		events = make([]uintptr, 0, 64) // allocated before recursing: appends must not grow it mid-way
		recurse(0, &root, 0, limit)
		close(done)
	}()
	<-done
	sizes := make([]uintptr, 0, len(events)+1)
	ratios := make([]float64, 0, len(events))
	for _, used := range events {
		sizes = append(sizes, pow2ceil(used))
	}
	if len(sizes) > 0 {
		sizes = append(sizes, sizes[len(sizes)-1]*2) // the stack it was copied to last
	}
	allDouble := len(sizes) > 1
	for i := 1; i < len(sizes); i++ {
		r := float64(sizes[i]) / float64(sizes[i-1])
		ratios = append(ratios, r)
		if r != 2 {
			allDouble = false
		}
	}
	out, _ := json.Marshal(map[string]any{
		"used_at_copy_bytes": events,
		"sizes_bytes":        sizes,
		"first_size_bytes":   sizes[0],
		"last_size_bytes":    sizes[len(sizes)-1],
		"copies":             len(events),
		"ratios":             ratios,
		"all_doubling":       allDouble,
	})
	fmt.Println(string(out))
}
