// offcpu_v2.bpf.c - the fixed off-CPU sampler (release 2.3.1).
//
// Same job as offcpu_v1.bpf.c: count context switches of runnable (state 0)
// versus blocked tasks. The fix is the standard CO-RE pattern for a renamed
// field: describe BOTH layouts and let libbpf pick at load time.
//
//   * bpf_core_field_exists() is itself a CO-RE relocation: libbpf rewrites
//     it into the constant 1 or 0 for the running kernel.
//   * The branch that reads the missing field is still relocated (and poisoned)
//     but the verifier sees a constant condition, proves the branch dead and
//     never explores it, so the poisoned call is never reached.
//
// The same object therefore loads on 5.10 (field `state`) and on >= 5.14
// (field `__state`) without a rebuild: "compile once, run everywhere" only
// holds when the program says what to do for each layout.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

// The pre-5.14 layout. The ___pre514 suffix is a CO-RE flavour: ignored when
// libbpf matches the type name against the kernel BTF.
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

// Read the task state on either side of the 5.14 rename.
static __always_inline long task_state(struct task_struct *t)
{
	struct task_struct___pre514 *old = (void *)t;

	// Resolved at load time to a constant: no runtime cost.
	if (bpf_core_field_exists(old->state))
		return BPF_CORE_READ(old, state);
	// vmlinux.h here comes from the running kernel, so __state exists.
	return BPF_CORE_READ(t, __state);
}

// sched_switch raw tracepoint arguments: (bool preempt,
// struct task_struct *prev, struct task_struct *next, unsigned int prev_state).
SEC("raw_tp/sched_switch")
int offcpu_v2(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *prev = (void *)ctx->args[1];
	__u32 key = task_state(prev) == 0 ? 0 : 1;
	__u64 *n = bpf_map_lookup_elem(&switches, &key);

	// The verifier insists on the NULL check even for an array map.
	if (n)
		__sync_fetch_and_add(n, 1);
	return 0;
}

// bpf_probe_read_kernel is GPL-only: the license string must say so.
char LICENSE[] SEC("license") = "GPL";
