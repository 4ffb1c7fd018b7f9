/* Covers: SEC("fentry/do_unlinkat") (TRACING + BPF_TRACE_FENTRY, attach BTF id
 * of the kernel function). This kernel forbids trampolines (KERNEL-NOTES.md):
 * expected: libbpf and our loader both refuse it with EPERM. */
#define LK_USE_VMLINUX
#include "corpus.h"
#include <bpf/bpf_tracing.h>

SEC("fentry/do_unlinkat")
int BPF_PROG(fentry_refused, int dfd, struct filename *name)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
