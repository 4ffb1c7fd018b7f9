/* Covers: a typed per-CPU __ksym (runqueues: BPF_PSEUDO_BTF_ID with the kernel's
 * VAR id, read through bpf_per_cpu_ptr). Both loaders resolve it in kernel BTF,
 * but this kernel has no kallsyms entry for data symbols (CONFIG_KALLSYMS_ALL
 * off), so BPF_PROG_LOAD fails with ENOENT ("ldimm64 failed to find the address
 * for kernel symbol 'runqueues'"). Expected: libbpf and our loader both refuse with ENOENT. */
#define LK_USE_VMLINUX
#include "corpus.h"

extern const struct rq runqueues __ksym;

SEC("tc")
int ksym_typed_refused(struct __sk_buff *skb)
{
	struct rq *rq0 = bpf_per_cpu_ptr(&runqueues, 0);
	return rq0 ? rq0->cpu : -1;
}

char LICENSE[] SEC("license") = "GPL";
