/* Covers: BPF_CORE_READ_BITFIELD on the kernel's struct tcphdr (copied from the
 * packet to the stack), which emits FIELD_BYTE_OFFSET, FIELD_BYTE_SIZE,
 * FIELD_LSHIFT_U64, FIELD_RSHIFT_U64 and FIELD_SIGNED relocations per field.
 * Expected: doff << 8 | syn << 1 | ack: a SYN packet gives 0x502 (1282), an ACK packet 0x501 (1281). */
#define LK_USE_VMLINUX
#include "corpus.h"
#include <bpf/bpf_core_read.h>

SEC("tc")
int core_bitfield(struct __sk_buff *skb)
{
	struct tcphdr th;
	if (bpf_skb_load_bytes(skb, LK_OFF_TCP, &th, sizeof(th)))
		return -1;
	__u32 doff = BPF_CORE_READ_BITFIELD(&th, doff);
	__u32 syn = BPF_CORE_READ_BITFIELD(&th, syn);
	__u32 ack = BPF_CORE_READ_BITFIELD(&th, ack);
	return doff << 8 | syn << 1 | ack;
}

char LICENSE[] SEC("license") = "GPL";
