/* Return a constant: the smallest program (prologue/epilogue cost only). */
#include "common.h"

SEC("xdp")
int retConst(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
