// Fuzz corpus: global data in .data, .bss, .rodata, a custom .data.* section,
// string literals (.rodata.str1.1), kconfig externs (one __weak), a typed
// ksym and a kfunc declaration.
#include <linux/bpf.h>
#include <stdbool.h>
#include <bpf/bpf_helpers.h>

int hits = 7;
__u64 totals[4];
const volatile __u32 limit = 100;
const volatile char tag[8] = "lockne";
__u32 custom_counter SEC(".data.custom") = 3;
static __u64 hidden_bss;

extern int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern const int bpf_prog_active __ksym;
extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym __weak;

SEC("socket")
int use_globals(struct __sk_buff *skb)
{
	__u32 i = skb->len & 3;
	hits++;
	totals[i] += skb->len;
	hidden_bss += limit;
	custom_counter += tag[0];
	if (LINUX_KERNEL_VERSION > 0 && CONFIG_BPF_SYSCALL)
		bpf_printk("len %u at %d", skb->len, hits);
	return skb->len < limit ? 0 : -1;
}

SEC("cgroup_skb/egress")
int egress(struct __sk_buff *skb)
{
	__u64 addr = (__u64)&bpf_prog_active;
	bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	return hits > 0 && totals[0] != hidden_bss + addr;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
