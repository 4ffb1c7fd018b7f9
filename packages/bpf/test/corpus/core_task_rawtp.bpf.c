/* Covers: BPF_CORE_READ of task_struct fields (tgid, pid, and the chain
 * real_parent->tgid) in a raw_tp program; test-run executes it in the caller's
 * task, so it compares the CO-RE reads with bpf_get_current_pid_tgid().
 * Expected: retval 7 (tgid matches | pid matches << 1 | parent tgid > 0 << 2). */
#define LK_USE_VMLINUX
#include "corpus.h"
#include <bpf/bpf_core_read.h>

SEC("raw_tp/sys_enter")
int core_task_rawtp(void *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	int r = 0;
	if (BPF_CORE_READ(t, tgid) == (id >> 32))
		r |= 1;
	if (BPF_CORE_READ(t, pid) == (__u32)id)
		r |= 2;
	if (BPF_CORE_READ(t, real_parent, tgid) > 0)
		r |= 4;
	return r;
}

char LICENSE[] SEC("license") = "GPL";
