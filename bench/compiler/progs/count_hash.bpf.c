/* Count packets per ingress ifindex in a HashMap<u32, u64>. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("xdp")
int countHash(struct xdp_md *ctx)
{
	__u32 key = ctx->ingress_ifindex;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);
	if (v) {
		*v += 1;
	} else {
		__u64 one = 1;
		bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
