/* Shared by the corpus programs that do not need vmlinux.h: uapi types, libbpf's
 * helper macros, and the layout of the test packet built by test/corpus/packet.ts
 * (Ethernet + IPv4 + TCP + 64 payload bytes, 118 bytes in all).
 * Define LK_USE_VMLINUX before including it to get vmlinux.h instead of the uapi headers. */
#ifndef LK_CORPUS_H
#define LK_CORPUS_H
#ifdef LK_USE_VMLINUX
/* CO-RE programs: every kernel type from vmlinux.h (generated at test time). */
#include "vmlinux.h"
#else
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#endif
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Offsets in the test packet (with its Ethernet header). */
#define LK_OFF_IP      14
#define LK_OFF_IP_DST  30
#define LK_OFF_TCP     34
#define LK_OFF_PAYLOAD 54

/* payload[i] of the test packet, or -1 when the packet is too short. */
static __always_inline int lk_payload(struct __sk_buff *skb, __u32 i)
{
	__u8 b;
	if (bpf_skb_load_bytes(skb, LK_OFF_PAYLOAD + i, &b, 1))
		return -1;
	return b;
}

/* Write a u32 (host order) into the packet at payload offset `i`: what the test compares as data out. */
static __always_inline void lk_put_u32(struct __sk_buff *skb, __u32 i, __u32 v)
{
	bpf_skb_store_bytes(skb, LK_OFF_PAYLOAD + i, &v, sizeof(v), 0);
}
#endif
