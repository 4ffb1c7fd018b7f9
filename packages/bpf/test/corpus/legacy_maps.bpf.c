/* Covers: a legacy `SEC("maps") struct bpf_map_def` definition (no BTF for the
 * map). libbpf 1.x no longer accepts it ("legacy map definitions in 'maps'
 * section are not supported"): the test asserts that refusal and runs only our
 * loader. Expected: run 1 returns 1, run 2 returns 2 (a counter in the ARRAY). */
#include "corpus.h"

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_counts = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 4,
};

SEC("tc")
int legacy_maps(struct __sk_buff *skb)
{
	__u32 k = 1;
	__u64 *v = bpf_map_lookup_elem(&legacy_counts, &k);
	if (!v)
		return 0;
	*v += 1;
	return *v;
}

char LICENSE[] SEC("license") = "GPL";
