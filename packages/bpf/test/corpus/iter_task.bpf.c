/* Covers: SEC("iter/task") (TRACING + BPF_TRACE_ITER, attach BTF id of
 * bpf_iter_task) with BPF_SEQ_PRINTF (format string in .rodata). Not
 * test-runnable: the test creates an iterator from each loader's program and
 * compares the text. It prints pid 2 (kthreadd, present on every Linux; pid 1
 * is not always a task the iterator visits: on the test VMs it is not).
 * Expected: exactly "pid 2 comm <contents of /proc/2/comm>\n". */
#define LK_USE_VMLINUX
#include "corpus.h"
#include <bpf/bpf_tracing.h>

SEC("iter/task")
int iter_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	if (!task || task->pid != 2)
		return 0;
	BPF_SEQ_PRINTF(seq, "pid %d comm %s\n", task->pid, task->comm);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
