/* Covers: CO-RE type and enum relocations: TYPE_ID_LOCAL, TYPE_ID_TARGET,
 * TYPE_EXISTS (present and absent), TYPE_SIZE, ENUMVAL_EXISTS (present, and
 * absent through a ___flavor), ENUMVAL_VALUE. Results are written into the payload.
 * Expected data out (u32 each): [local id (nonzero, same for both loaders), kernel BTF id of
 * struct task_struct, 1, 0, sizeof(task_struct) from kernel BTF, 1, 0, 27 (BPF_MAP_TYPE_RINGBUF)]; retval 0. */
#define LK_USE_VMLINUX
#include "corpus.h"
#include <bpf/bpf_core_read.h>

struct lk_no_such_type {
	int x;
};

enum bpf_map_type___lk {
	BPF_MAP_TYPE_LK_NO_SUCH_VALUE = 1000,
};

SEC("tc")
int core_types(struct __sk_buff *skb)
{
	lk_put_u32(skb, 0, bpf_core_type_id_local(struct task_struct));
	lk_put_u32(skb, 4, bpf_core_type_id_kernel(struct task_struct));
	lk_put_u32(skb, 8, bpf_core_type_exists(struct task_struct));
	lk_put_u32(skb, 12, bpf_core_type_exists(struct lk_no_such_type));
	lk_put_u32(skb, 16, bpf_core_type_size(struct task_struct));
	lk_put_u32(skb, 20, bpf_core_enum_value_exists(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF));
	lk_put_u32(skb, 24, bpf_core_enum_value_exists(enum bpf_map_type___lk, BPF_MAP_TYPE_LK_NO_SUCH_VALUE));
	lk_put_u32(skb, 28, bpf_core_enum_value(enum bpf_map_type, BPF_MAP_TYPE_RINGBUF));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
