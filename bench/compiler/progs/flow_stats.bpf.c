/* Struct key and struct value: per-flow packet/byte counters, updated in place. */
#include "common.h"

struct flow {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
};

struct stats {
	__u64 packets;
	__u64 bytes;
	__u32 lastLen;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct flow);
	__type(value, struct stats);
} flows SEC(".maps");

SEC("tc")
int flowStats(struct __sk_buff *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + 14;
	if ((void *)(ip + 1) > end || ip->protocol != 17)
		return TC_ACT_OK;
	struct udphdr *l4 = data + 34;
	if ((void *)(l4 + 1) > end)
		return TC_ACT_OK;
	struct flow key;
	__builtin_memset(&key, 0, sizeof(key)); /* hash keys compare the padding too */
	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	key.sport = l4->source;
	key.dport = l4->dest;
	key.proto = ip->protocol;
	struct stats *v = bpf_map_lookup_elem(&flows, &key);
	if (!v) {
		struct stats init;
		__builtin_memset(&init, 0, sizeof(init));
		init.packets = 1;
		init.bytes = ctx->len;
		init.lastLen = ctx->len;
		bpf_map_update_elem(&flows, &key, &init, BPF_ANY);
		return TC_ACT_OK;
	}
	v->packets += 1;
	v->bytes += ctx->len;
	v->lastLen = ctx->len;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
