// offcpu_v1.bpf.c - the node agent's off-CPU sampler as it shipped in release 2.3.
//
// What it does: on every context switch it reads the state of the task that
// leaves the CPU and counts "preempted while runnable" (state 0) versus
// "blocked" (any other state). The exporter turns the two counters into the
// run-queue pressure metric.
//
// Why it is REJECTED on kernels >= 5.14: the program was compiled against a
// vmlinux.h generated on a 5.10 kernel, where struct task_struct has a field
// named `state`. Commit 2f064a59a11f ("sched: Change task_struct::state",
// Linux 5.14) renamed it to `__state` (and made it unsigned int). CO-RE
// relocations are resolved by libbpf against the running kernel's BTF; a
// field that no longer exists cannot be relocated, so libbpf "poisons" the
// instruction with a call to the invalid helper 0xbad2310 (195896080) and the
// verifier rejects the whole program with "invalid func unknown#195896080".
//
// The lab reproduces the 5.10 view of the struct with a CO-RE "flavour":
// libbpf ignores the ___pre514 suffix when matching the name against the
// kernel's BTF, so this is byte-for-byte the relocation the old build asked for.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

// The 5.10 layout, as far as this program cares: only the field it reads.
// preserve_access_index makes every access a CO-RE relocation by name.
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

// Two counters: index 0 = switched out while runnable, 1 = blocked.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} switches SEC(".maps");

// sched_switch raw tracepoint arguments: (bool preempt,
// struct task_struct *prev, struct task_struct *next, unsigned int prev_state).
SEC("raw_tp/sched_switch")
int offcpu_v1(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct___pre514 *prev = (void *)ctx->args[1];
	// BPF_CORE_READ = bpf_probe_read_kernel at the relocated offset of `state`.
	// On >= 5.14 the relocation fails and this becomes the poisoned call.
	long state = BPF_CORE_READ(prev, state);
	__u32 key = state == 0 ? 0 : 1;
	__u64 *n = bpf_map_lookup_elem(&switches, &key);

	// The verifier insists on the NULL check even for an array map.
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

// bpf_probe_read_kernel is GPL-only: the license string must say so.
char LICENSE[] SEC("license") = "GPL";
