/* Bounded loop: sum of the 8 bytes after the Ethernet header, folded to 16 bits, one bounds check per byte. */
#include "common.h"

SEC("xdp")
int checksum(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 s = 0;
	for (__u32 i = 0; i < 8; i++) {
		__u8 *p = data + 14 + i;
		barrier_var(p); /* else clang moves the check onto pkt_end, which the verifier refuses */
		if ((void *)(p + 1) > end)
			return XDP_PASS;
		s += *p;
	}
	s = (s & 0xffff) + (s >> 16);
	return s == 0 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
