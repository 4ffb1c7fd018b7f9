/* Covers: .rodata: a `const volatile` tunable that changes the result (libbpf
 * freezes .rodata, so the verifier knows its value), a static one reached
 * through the section symbol with an addend, and a static const table indexed
 * at run time.
 * clang 14 puts `table` in .rodata.cst8 (a mergeable-constant section: a map of
 * its own) but lists its VAR in the .rodata DATASEC at offset 0, so the kernel
 * refuses the object's BTF ("Invalid offset"); libbpf then loads without BTF
 * ("BTF is optional, ignoring"), and so must we.
 * Expected: multiplier 3 x table[payload[0] & 7] + bias 1; payload[0] = 5 gives
 * 3 x 13 + 1 = 40, payload[0] = 2 gives 3 x 5 + 1 = 16. */
#include "corpus.h"

const volatile __u32 multiplier = 3;
/* static: reached through the .rodata section symbol with addend 4 */
static const volatile __u32 bias = 1;
static const __u8 table[8] = { 2, 3, 5, 7, 11, 13, 17, 19 };

SEC("tc")
int rodata_const(struct __sk_buff *skb)
{
	int sel = lk_payload(skb, 0);
	if (sel < 0)
		return 0;
	return multiplier * table[sel & 7] + bias;
}

char LICENSE[] SEC("license") = "GPL";
