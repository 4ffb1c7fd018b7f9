/* Count TCP SYNs (not SYN-ACKs) per IPv4 source address, atomically, in a HashMap. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} synBySource SEC(".maps");

SEC("tc")
int synCount(struct __sk_buff *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	struct iphdr *ip = data + 14;
	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_TCP)
		return TC_ACT_OK;
	struct tcphdr *tcp = data + 14 + (__u32)(*(__u8 *)ip & 0xf) * 4;
	if ((void *)(tcp + 1) > end)
		return TC_ACT_OK;
	__u8 flags = ((__u8 *)tcp)[13];
	if ((flags & 0x02) && !(flags & 0x10)) {
		__u32 src = bpf_ntohl(ip->saddr);
		__u64 *v = bpf_map_lookup_elem(&synBySource, &src);
		if (v) {
			__sync_fetch_and_add(v, 1);
		} else {
			__u64 one = 1;
			bpf_map_update_elem(&synBySource, &src, &one, BPF_ANY);
		}
	}
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
