/* Covers: .bss (zero-initialised globals: a global reached through its own
 * symbol, two statics reached through the .bss section symbol, one of them with
 * a nonzero addend); the loader must create the map zero-filled.
 * Expected: hits * 1000 + previous length + calls: run 1 returns 1000 + 0 + 1 = 1001,
 * run 2 returns 2000 + 118 + 2 = 2120. */
#include "corpus.h"

__u64 hits;
static __u32 last_len;
static __u32 calls;

SEC("tc")
int bss(struct __sk_buff *skb)
{
	__u32 prev = last_len;
	hits++;
	calls++;
	last_len = skb->len;
	return hits * 1000 + prev + calls;
}

char LICENSE[] SEC("license") = "GPL";
