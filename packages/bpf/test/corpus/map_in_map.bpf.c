/* Covers: map-in-map: ARRAY_OF_MAPS and HASH_OF_MAPS with an inner definition
 * (`__array(values, struct inner)`) and initial slots `.values = { [i] = &map }`,
 * which clang emits as R_BPF_64_ABS64 relocations inside .maps.
 * Expected: outer slots 0 and 2 are set, 1 is empty (mask 0b101 = 5); the value
 * written through outer[0] is read back from inner_a directly (7); hash_outer[1]
 * holds inner_b (bit 8): 5 + 7 * 16 + 256 = 373. */
#include "corpus.h"

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
};

struct inner inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 3);
	__type(key, __u32);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &inner_a, [2] = &inner_b },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} hash_outer SEC(".maps") = {
	.values = { [1] = &inner_b },
};

static __always_inline __u32 present(__u32 i)
{
	return bpf_map_lookup_elem(&outer, &i) ? 1 : 0;
}

SEC("tc")
int map_in_map(struct __sk_buff *skb)
{
	__u32 mask = 0, zero = 0, seven = 7;
	/* written out: this verifier gives up on the rolled loop (counter on the stack) */
	mask |= present(0) | present(1) << 1 | present(2) << 2;
	void *in = bpf_map_lookup_elem(&outer, &zero);
	if (in)
		bpf_map_update_elem(in, &zero, &seven, BPF_ANY);
	__u32 *v = bpf_map_lookup_elem(&inner_a, &zero);
	__u32 one = 1;
	if (bpf_map_lookup_elem(&hash_outer, &one))
		mask |= 256;
	return mask + (v ? *v * 16 : 0);
}

char LICENSE[] SEC("license") = "GPL";
