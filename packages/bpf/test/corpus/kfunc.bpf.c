/* Covers: kfunc calls (extern functions with __ksym: CALL with
 * BPF_PSEUDO_KFUNC_CALL and the function's id in kernel BTF):
 * bpf_rcu_read_lock / bpf_rcu_read_unlock around a map lookup.
 * Expected: retval 5 (the value stored and read back under the RCU read lock). */
#define LK_USE_VMLINUX
#include "corpus.h"

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} slot SEC(".maps");

SEC("tc")
int kfunc(struct __sk_buff *skb)
{
	__u32 k = 0, five = 5, r = 0, *v;
	bpf_map_update_elem(&slot, &k, &five, BPF_ANY);
	bpf_rcu_read_lock();
	v = bpf_map_lookup_elem(&slot, &k);
	if (v)
		r = *v;
	bpf_rcu_read_unlock();
	return r;
}

char LICENSE[] SEC("license") = "GPL";
