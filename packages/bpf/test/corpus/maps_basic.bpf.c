/* Covers: BTF-defined HASH (BPF_F_NO_PREALLOC), ARRAY (BPF_F_MMAPABLE), LRU_HASH,
 * key/value given by size (`key_size`/`value_size`) and by type, and map flags
 * that the definitions comparison must see.
 * Expected: every update and lookup succeeds: 1 + 2 + 4 = 7, plus the sum of the
 * three values read back (10 + 20 + 30) * 8 = 487. */
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u32);
} h SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(key_size, 4);
	__uint(value_size, 4);
} a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u32);
} lru SEC(".maps");

SEC("tc")
int maps_basic(struct __sk_buff *skb)
{
	__u64 hk = 0x1122334455667788ULL;
	__u32 k = 3, v1 = 10, v2 = 20, v3 = 30, ok = 0, sum = 0, *p;
	if (!bpf_map_update_elem(&h, &hk, &v1, BPF_ANY))
		ok |= 1;
	if (!bpf_map_update_elem(&a, &k, &v2, BPF_ANY))
		ok |= 2;
	if (!bpf_map_update_elem(&lru, &k, &v3, BPF_ANY))
		ok |= 4;
	if ((p = bpf_map_lookup_elem(&h, &hk)))
		sum += *p;
	if ((p = bpf_map_lookup_elem(&a, &k)))
		sum += *p;
	if ((p = bpf_map_lookup_elem(&lru, &k)))
		sum += *p;
	return ok + sum * 8;
}

char LICENSE[] SEC("license") = "GPL";
