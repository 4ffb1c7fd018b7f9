/* Covers: string literals in .rodata.str1.1 (a mergeable string section: a
 * read-only global data map of its own) used as a bpf_snprintf format, which the
 * kernel accepts only from a frozen read-only map.
 * Expected: payload starts with "len=118 x=42\0" (then zeros up to 32 bytes); retval 13 (bytes written, NUL included). */
#include "corpus.h"

SEC("tc")
int strings(struct __sk_buff *skb)
{
	char buf[32] = {};
	__u64 args[2] = { skb->len, 42 };
	long n = bpf_snprintf(buf, sizeof(buf), "len=%llu x=%llu", args, sizeof(args));
	bpf_skb_store_bytes(skb, LK_OFF_PAYLOAD, buf, sizeof(buf), 0);
	return n;
}

char LICENSE[] SEC("license") = "GPL";
