/* Covers: CO-RE TYPE_MATCHES (relocation kind 12). clang 14 cannot emit it
 * (bpf_core_type_matches crashes its backend), so this source uses
 * bpf_core_type_exists and the test harness rewrites every TYPE_EXISTS record of
 * this object's .BTF.ext to TYPE_MATCHES: exactly what clang >= 15 emits for
 * bpf_core_type_matches (same instruction, local value 1).
 * Expected data out (u32 each): [0 (struct ethhdr: libbpf also compares the names
 * of integer types, and clang calls __u16 'unsigned short' where the kernel's BTF
 * says 'short unsigned int'), 1 (struct list_head: pointers only), 0 (a ___flavor
 * of task_struct with a member the kernel's lacks: it would "exist" but does not
 * "match"), 0 (absent type), 1 (enum bpf_map_type)]; retval 0. */
#define LK_USE_VMLINUX
#include "corpus.h"
#include <bpf/bpf_core_read.h>

struct task_struct___lkbad {
	__u64 lk_no_such_member;
};

struct lk_absent_type {
	int x;
};

SEC("tc")
int core_type_matches(struct __sk_buff *skb)
{
	lk_put_u32(skb, 0, bpf_core_type_exists(struct ethhdr));
	lk_put_u32(skb, 4, bpf_core_type_exists(struct list_head));
	lk_put_u32(skb, 8, bpf_core_type_exists(struct task_struct___lkbad));
	lk_put_u32(skb, 12, bpf_core_type_exists(struct lk_absent_type));
	lk_put_u32(skb, 16, bpf_core_type_exists(enum bpf_map_type));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
