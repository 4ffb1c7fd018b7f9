// Fuzz corpus: bpf-to-bpf calls (static and global subprograms in .text,
// called from two programs), a bpf_loop callback (BPF_PSEUDO_FUNC), a
// subprogram calling another, and a tail call.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} acc SEC(".maps");

static __noinline __u64 square(__u64 x)
{
	return x * x;
}

static __noinline __u64 add_sq(__u64 a, __u64 b)
{
	return square(a) + square(b);
}

__noinline int global_helper(struct __sk_buff *skb)
{
	if (!skb)
		return 0;
	return skb->len + 1;
}

static int loop_cb(__u32 i, void *ctx)
{
	__u64 *sum = ctx;
	*sum += square(i);
	return i > 10;
}

SEC("tc")
int calls_tc(struct __sk_buff *skb)
{
	__u32 k = 1;
	__u64 sum = 0, *v;
	bpf_loop(16, loop_cb, &sum, 0);
	v = bpf_map_lookup_elem(&acc, &k);
	if (v)
		*v = add_sq(sum, skb->len) + global_helper(skb);
	return 0;
}

SEC("socket")
int calls_socket(struct __sk_buff *skb)
{
	return (int)add_sq(skb->len, 2) & 0xff;
}

char LICENSE[] SEC("license") = "GPL";
