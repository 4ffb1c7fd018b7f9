/* Covers: a tp_btf program (attach BTF id of btf_trace_sys_enter resolved at
 * load) reading task->tgid through a BTF pointer with CO-RE field offsets.
 * Not test-runnable: the test attaches each loader's program, makes a syscall
 * and compares behaviour. Expected: seen[our pid] == our pid. */
#define LK_USE_VMLINUX
#include "corpus.h"
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} seen SEC(".maps");

SEC("tp_btf/sys_enter")
int BPF_PROG(tp_btf_task, struct pt_regs *regs, long id)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u32 tgid = t->tgid;
	__u32 v = tgid == (bpf_get_current_pid_tgid() >> 32) ? tgid : 0;
	bpf_map_update_elem(&seen, &tgid, &v, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
