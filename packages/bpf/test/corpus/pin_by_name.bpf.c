/* Covers: LIBBPF_PIN_BY_NAME. The map name comes from -DLK_PIN_MAP=lkpin<pid> so
 * that pins of concurrent test runs never collide. libbpf (bpftool) pins it at
 * /sys/fs/bpf/<name>; a second load with the same pin root must reuse that map.
 * Expected: each run adds 1 to the shared counter: 1 on the first load's run,
 * 2 on a second load reusing the pinned map. */
#include "corpus.h"

#ifndef LK_PIN_MAP
#error "compile with -DLK_PIN_MAP=<name>"
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__type(key, __u32);
	__type(value, __u64);
} LK_PIN_MAP SEC(".maps");

SEC("tc")
int pin_by_name(struct __sk_buff *skb)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&LK_PIN_MAP, &k);
	if (!v)
		return 0;
	*v += 1;
	return *v;
}

char LICENSE[] SEC("license") = "GPL";
