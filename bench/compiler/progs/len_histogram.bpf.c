/* ArrayMap histogram: count packets by length bucket (64-byte buckets, last one open-ended). */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

SEC("tc")
int lenHistogram(struct __sk_buff *ctx)
{
	__u32 bucket = ctx->len >> 6;
	if (bucket > 15)
		bucket = 15;
	__u64 *v = bpf_map_lookup_elem(&hist, &bucket);
	if (v)
		*v += 1;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
