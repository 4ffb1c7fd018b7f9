/* Arithmetic mix at 8, 16, 32 and 64 bits, signed and unsigned, on skb fields (no constant folding). */
#include "common.h"

SEC("tc")
int arith(struct __sk_buff *ctx)
{
	__u32 a = ctx->len;
	__u64 b = (__u64)a * 2654435761ULL + (__u64)ctx->ifindex;
	__u16 c = (__u16)((__u16)a * 3 + (__u16)(b >> 7));
	__s32 d = (__s32)a - 1000;
	__s32 e = d >> 3; /* arithmetic shift: clang 14 has no BPF signed division */
	__u8 f = (__u8)((__u8)(a ^ 0x5a) >> 1);
	return (__u32)(b >> 32) ^ (__u32)c ^ (__u32)e ^ (__u32)f;
}

char LICENSE[] SEC("license") = "GPL";
