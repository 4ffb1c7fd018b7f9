/* Covers: RINGBUF (max_entries = 16 KiB, page-aligned power of two), reserve +
 * submit, and ringbuf_query for the bytes available.
 * Expected: the reserve succeeds (1) and 16 bytes are queued per run
 * (8-byte header + 8-byte record): run 1 returns 1 + 16 * 2 = 33, run 2 returns 1 + 32 * 2 = 65. */
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} events SEC(".maps");

SEC("tc")
int maps_ringbuf(struct __sk_buff *skb)
{
	__u64 *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	int ok = 0;
	if (rec) {
		*rec = skb->len;
		bpf_ringbuf_submit(rec, 0);
		ok = 1;
	}
	return ok + bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) * 2;
}

char LICENSE[] SEC("license") = "GPL";
