/* Parse Ethernet / IPv4 (variable IHL) / UDP and drop DNS (UDP port 53). */
#include "common.h"

SEC("xdp")
int dropDns(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = data + 14;
	if ((void *)(ip + 1) > end || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	__u32 ihl = (__u32)(*(__u8 *)ip & 0xf) * 4;
	struct udphdr *udp = data + 14 + ihl;
	if ((void *)(udp + 1) > end)
		return XDP_PASS;
	return bpf_ntohs(udp->dest) == 53 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
