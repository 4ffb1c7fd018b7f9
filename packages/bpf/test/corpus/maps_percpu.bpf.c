/* Covers: PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH (the program sees its own
 * CPU's slot). Each run sets this CPU's slot to 1 and adds 1 through the lookup
 * pointer, so the result does not depend on which CPU a test-run lands on.
 * Expected: 2 + 2 * 10 + 2 * 100 = 222 on every run. */
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} pch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pca SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} lpch SEC(".maps");

static __always_inline __u64 bump(void *map)
{
	__u32 k = 0;
	__u64 one = 1, *v;
	bpf_map_update_elem(map, &k, &one, BPF_ANY);
	v = bpf_map_lookup_elem(map, &k);
	if (!v)
		return 0;
	*v += 1;
	return *v;
}

SEC("tc")
int maps_percpu(struct __sk_buff *skb)
{
	return bump(&pch) + bump(&pca) * 10 + bump(&lpch) * 100;
}

char LICENSE[] SEC("license") = "GPL";
