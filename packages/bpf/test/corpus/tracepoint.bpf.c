/* Covers: SEC("tracepoint/syscalls/sys_enter_getppid") (TRACEPOINT) counting
 * per process in a HASH. Not test-runnable: the test attaches each loader's
 * program, calls getppid() and compares behaviour. Expected: counts[our pid] >= 1. */
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int tracepoint(void *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *c = bpf_map_lookup_elem(&counts, &tgid);
	if (c)
		__sync_fetch_and_add(c, 1);
	else
		bpf_map_update_elem(&counts, &tgid, &one, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
