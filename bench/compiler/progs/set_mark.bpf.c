/* ctx field writes in tc: skb->mark and skb->priority. */
#include "common.h"

SEC("tc")
int setMark(struct __sk_buff *ctx)
{
	ctx->mark = ctx->len + 0x1000;
	ctx->priority = 7;
	ctx->mark |= 0x10000;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
