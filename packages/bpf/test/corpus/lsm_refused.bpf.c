/* Covers: SEC("lsm/file_open") (LSM + BPF_LSM_MAC). BPF LSM programs are refused
 * on this kernel (KERNEL-NOTES.md): expected: libbpf and our loader both refuse it with EPERM. */
#define LK_USE_VMLINUX
#include "corpus.h"
#include <bpf/bpf_tracing.h>

SEC("lsm/file_open")
int BPF_PROG(lsm_refused, struct file *file)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
