/* Covers: R_BPF_64_64 relocations of BTF-defined maps: two maps, each referenced
 * from several instructions (lookup + update), a HASH and an ARRAY.
 * Expected: run 1 returns 101 (count 1, length slot written), run 2 returns 201. */
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} lens SEC(".maps");

SEC("tc")
int map_refs(struct __sk_buff *skb)
{
	__u32 key = 0, len = skb->len;
	__u64 one = 1, *c = bpf_map_lookup_elem(&counts, &key);
	if (c)
		*c += 1;
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	bpf_map_update_elem(&lens, &key, &len, BPF_ANY);
	c = bpf_map_lookup_elem(&counts, &key);
	__u32 *l = bpf_map_lookup_elem(&lens, &key);
	return (c ? *c * 100 : 0) + (l && *l == skb->len ? 1 : 0);
}

char LICENSE[] SEC("license") = "GPL";
