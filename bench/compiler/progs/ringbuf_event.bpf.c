/* Ring buffer: copy a 16-byte event (ifindex, queue, constant) into a RingBuf per packet. */
#include "common.h"

struct sample {
	__u32 ifindex;
	__u32 queue;
	__u64 n;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 33554432);
} events SEC(".maps");

SEC("xdp")
int ringbufEvent(struct xdp_md *ctx)
{
	struct sample s = { .ifindex = ctx->ingress_ifindex, .queue = ctx->rx_queue_index, .n = 42 };
	long r = bpf_ringbuf_output(&events, &s, sizeof(s), 0);
	return r == 0 ? XDP_PASS : XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
