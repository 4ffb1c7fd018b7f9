/* Covers: SEC("xdp") with direct packet access and writes: swaps the Ethernet
 * addresses and decrements the IPv4 TTL with an incremental checksum update.
 * Expected: XDP_TX (3); data out = input with MACs swapped, TTL 63 and a valid
 * IPv4 header checksum. */
#include "corpus.h"

SEC("xdp")
int xdp_rewrite(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u8 tmp[ETH_ALEN];
	if ((void *)(ip + 1) > end)
		return XDP_ABORTED;
	__builtin_memcpy(tmp, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, tmp, ETH_ALEN);
	__u32 check = ip->check;
	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xffff));
	ip->ttl--;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
