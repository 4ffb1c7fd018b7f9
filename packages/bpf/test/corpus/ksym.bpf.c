/* Covers: __ksym externs that this kernel resolves: an untyped symbol (_stext,
 * its address from /proc/kallsyms patched into an ld_imm64) and a weak typed
 * ksym the kernel lacks (resolved to address 0).
 * Expected data out (u32 each): [low and high 32 bits of _stext from /proc/kallsyms, 0]; retval 0. */
#define LK_USE_VMLINUX
#include "corpus.h"

extern const void _stext __ksym;
extern const int lk_no_such_percpu __ksym __weak;

SEC("tc")
int ksym(struct __sk_buff *skb)
{
	__u64 text = (__u64)&_stext;
	lk_put_u32(skb, 0, (__u32)text);
	lk_put_u32(skb, 4, (__u32)(text >> 32));
	lk_put_u32(skb, 8, &lk_no_such_percpu ? 1 : 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
