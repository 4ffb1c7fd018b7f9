/* Covers: LPM_TRIE (BPF_F_NO_PREALLOC, struct key with prefix length): the
 * program inserts 10.0.0.0/8 -> 1 and 10.1.0.0/16 -> 2 and looks up the
 * packet's IPv4 destination. Expected: 10.1.2.3 -> 2, 10.9.9.9 -> 1, 192.168.0.1 -> 0. */
#include "corpus.h"

struct lpm_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_key);
	__type(value, __u32);
} routes SEC(".maps");

SEC("tc")
int maps_lpm(struct __sk_buff *skb)
{
	struct lpm_key k8 = { 8, { 10, 0, 0, 0 } }, k16 = { 16, { 10, 1, 0, 0 } }, q = { 32 };
	__u32 one = 1, two = 2, *v;
	bpf_map_update_elem(&routes, &k8, &one, BPF_ANY);
	bpf_map_update_elem(&routes, &k16, &two, BPF_ANY);
	if (bpf_skb_load_bytes(skb, LK_OFF_IP_DST, q.addr, 4))
		return 100;
	v = bpf_map_lookup_elem(&routes, &q);
	return v ? *v : 0;
}

char LICENSE[] SEC("license") = "GPL";
