/* Covers: PROG_ARRAY with initial slots `.values = { [0] = &tail_zero, [2] = &tail_two }`
 * (R_BPF_64_ABS64 against program symbols in .maps), bpf_tail_call, and three
 * programs in one section. Expected: payload[0] selects the slot: 0 -> 10,
 * 2 -> 12, 1 (empty slot, the tail call falls through) -> 99. */
#include "corpus.h"

SEC("tc")
int tail_zero(struct __sk_buff *skb)
{
	return 10;
}

SEC("tc")
int tail_two(struct __sk_buff *skb)
{
	return 12;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jumps SEC(".maps") = {
	.values = { [0] = (void *)&tail_zero, [2] = (void *)&tail_two },
};

SEC("tc")
int tail_entry(struct __sk_buff *skb)
{
	int sel = lk_payload(skb, 0);
	if (sel < 0)
		return 0;
	bpf_tail_call(skb, &jumps, sel);
	return 99;
}

char LICENSE[] SEC("license") = "GPL";
