/* Covers: several programs per section (two in "tc", two in "xdp") sharing one
 * static subprogram, which the loader links into each of them.
 * Expected: tc_one returns 1 + 100 = 101, tc_two returns 2 + 100 = 102,
 * xdp_pass returns XDP_PASS (2), xdp_drop returns XDP_DROP (1). */
#include "corpus.h"

static __noinline int shared(int x)
{
	return x + 100;
}

SEC("tc")
int tc_one(struct __sk_buff *skb)
{
	return shared(1);
}

SEC("tc")
int tc_two(struct __sk_buff *skb)
{
	return shared(2);
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return shared(0) == 100 ? XDP_PASS : XDP_ABORTED;
}

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return shared(0) == 100 ? XDP_DROP : XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
