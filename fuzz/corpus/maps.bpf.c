// Fuzz corpus: BTF-defined maps of several kinds (hash, array, per-CPU,
// ring buffer, LRU, pinned, map-in-map with an inner definition, a program
// array with initial slots) and three entry programs using them.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} percpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 128);
	__uint(map_flags, 0);
	__type(key, __u64);
	__type(value, struct { __u32 a; __u16 b; __u8 c[2]; });
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned SEC(".maps");

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} inner_a SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = { .values = { [1] = &inner_a } };

int tail(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int (void *));
} jumps SEC(".maps") = { .values = { [2] = (void *)&tail } };

SEC("xdp")
int count_xdp(struct xdp_md *ctx)
{
	__u32 k = ctx->ingress_ifindex;
	__u64 one = 1, *v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST);
	bpf_tail_call(ctx, &jumps, 2);
	return XDP_PASS;
}

SEC("xdp")
int tail(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *p = bpf_map_lookup_elem(&percpu, &zero);
	if (p)
		*p += 1;
	return XDP_DROP;
}

SEC("tc")
int emit_tc(struct __sk_buff *skb)
{
	__u32 *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	void *in;
	__u32 zero = 0;
	if (!e)
		return 0;
	*e = skb->len;
	bpf_ringbuf_submit(e, 0);
	in = bpf_map_lookup_elem(&outer, &zero);
	if (in)
		bpf_map_lookup_elem(in, &zero);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
