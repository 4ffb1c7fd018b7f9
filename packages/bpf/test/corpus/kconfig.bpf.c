/* Covers: .kconfig externs: LINUX_KERNEL_VERSION (from uname), a weak bool
 * CONFIG_BPF_SYSCALL and an int CONFIG_HZ (from /proc/config.gz), and a weak
 * option that does not exist (0). Results are written into the payload.
 * Expected data out (u32 each): [KERNEL_VERSION(a, b, c) of uname -r, 1, CONFIG_HZ, 0]; retval 0. */
#include "corpus.h"

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern int CONFIG_HZ __kconfig __weak;
extern _Bool CONFIG_LK_NO_SUCH_OPTION __kconfig __weak;

SEC("tc")
int kconfig(struct __sk_buff *skb)
{
	lk_put_u32(skb, 0, LINUX_KERNEL_VERSION);
	lk_put_u32(skb, 4, CONFIG_BPF_SYSCALL);
	lk_put_u32(skb, 8, CONFIG_HZ);
	lk_put_u32(skb, 12, CONFIG_LK_NO_SUCH_OPTION);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
