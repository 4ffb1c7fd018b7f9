// Fuzz corpus: a legacy `maps` section (struct bpf_map_def), a `version`
// section and a kprobe-style program with no BTF (built without -g).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_hash = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 16,
};

SEC("kprobe/do_unlinkat")
int old_kprobe(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&legacy_hash, &k);
	return v ? 1 : 0;
}

SEC("socket")
int old_socket(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x060000;
