/* Covers: keyless maps QUEUE and STACK (key_size 0, values only) and a
 * BLOOM_FILTER with map_extra (number of hash functions) = 3.
 * Expected: push 1,2,3 to both; queue pops 1 (FIFO), stack pops 3 (LIFO);
 * bloom filter has 42 and not 43: 1 * 100 + 3 * 10 + 1 = 131. Run 2: the queue
 * still holds 2, 3 from run 1, so it pops 2: 231. */
#include "corpus.h"

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 8);
	__type(value, __u32);
} q SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 8);
	__type(value, __u32);
} st SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 64);
	__uint(map_extra, 3);
	__type(value, __u32);
} bloom SEC(".maps");

static __always_inline void push_both(__u32 v)
{
	bpf_map_push_elem(&q, &v, 0);
	bpf_map_push_elem(&st, &v, 0);
}

SEC("tc")
int maps_queue_stack(struct __sk_buff *skb)
{
	__u32 qv = 0, sv = 0, in = 0, yes = 42, no = 43;
	/* written out: this verifier calls the rolled loop (counter on the stack) infinite */
	push_both(1);
	push_both(2);
	push_both(3);
	bpf_map_pop_elem(&q, &qv);
	bpf_map_pop_elem(&st, &sv);
	bpf_map_push_elem(&bloom, &yes, 0);
	if (!bpf_map_peek_elem(&bloom, &yes))
		in += 1;
	if (!bpf_map_peek_elem(&bloom, &no))
		in += 2;
	return qv * 100 + sv * 10 + in;
}

char LICENSE[] SEC("license") = "GPL";
