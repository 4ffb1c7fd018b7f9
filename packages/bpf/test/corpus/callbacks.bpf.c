/* Covers: BPF_PSEUDO_FUNC (ld_imm64 of a subprogram address) for bpf_loop and
 * bpf_for_each_map_elem callbacks, one callback calling a static subprogram and
 * writing .bss. Expected: bpf_loop sums 0..9 = 45, for_each over the 4-slot array
 * (values 1,2,3,4 set by the program) sums 10: 45 * 100 + 10 = 4510. */
#include "corpus.h"

struct bpf_map;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} vals SEC(".maps");

__u64 loop_calls;

static __always_inline void fill(__u32 k)
{
	__u64 v = k + 1;
	bpf_map_update_elem(&vals, &k, &v, BPF_ANY);
}

struct loop_ctx {
	__u64 sum;
};

static __noinline __u64 widen(__u32 i)
{
	return i;
}

static int loop_cb(__u32 i, struct loop_ctx *ctx)
{
	ctx->sum += widen(i);
	loop_calls++;
	return 0;
}

static __u64 each_cb(struct bpf_map *map, __u32 *key, __u64 *val, struct loop_ctx *ctx)
{
	ctx->sum += *val;
	return 0;
}

SEC("tc")
int callbacks(struct __sk_buff *skb)
{
	struct loop_ctx a = { 0 }, b = { 0 };
	/* written out: this verifier calls the rolled loop (counter on the stack) infinite */
	fill(0);
	fill(1);
	fill(2);
	fill(3);
	bpf_loop(10, loop_cb, &a, 0);
	bpf_for_each_map_elem(&vals, each_cb, &b, 0);
	return a.sum * 100 + b.sum;
}

char LICENSE[] SEC("license") = "GPL";
