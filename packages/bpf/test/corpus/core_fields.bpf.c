/* Covers: CO-RE field relocations on vmlinux types from a SCHED_CLS program, so
 * test-run compares exactly: FIELD_BYTE_OFFSET (task_struct.pid), FIELD_BYTE_SIZE
 * (task_struct.comm), FIELD_EXISTS (present, and absent through a ___flavor),
 * FIELD_SIGNED (int pid vs unsigned flags). Results are written into the payload.
 * Expected data out (u32 each): [offsetof(task_struct, pid) from kernel BTF, 16, 1, 0, 1, 0]; retval 0. */
#define LK_USE_VMLINUX
#include "corpus.h"
#include <bpf/bpf_core_read.h>

struct task_struct___lk {
	int lk_no_such_field;
} __attribute__((preserve_access_index));

SEC("tc")
int core_fields(struct __sk_buff *skb)
{
	lk_put_u32(skb, 0, bpf_core_field_offset(struct task_struct, pid));
	lk_put_u32(skb, 4, bpf_core_field_size(struct task_struct, comm));
	lk_put_u32(skb, 8, bpf_core_field_exists(struct task_struct, pid));
	lk_put_u32(skb, 12, bpf_core_field_exists(struct task_struct___lk, lk_no_such_field));
	lk_put_u32(skb, 16, __builtin_preserve_field_info(((struct task_struct *)0)->pid, BPF_FIELD_SIGNED));
	lk_put_u32(skb, 20, __builtin_preserve_field_info(((struct task_struct *)0)->flags, BPF_FIELD_SIGNED));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
