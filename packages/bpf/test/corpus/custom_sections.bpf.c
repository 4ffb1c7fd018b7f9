/* Covers: custom global data sections SEC(".data.custom") and SEC(".rodata.custom")
 * next to plain .data: each becomes its own map named after the section.
 * Expected: run 1 returns 40 + 2 + 100 = 142, run 2 returns 143. */
#include "corpus.h"

int cust_var SEC(".data.custom") = 40;
const volatile int cust_ro SEC(".rodata.custom") = 2;
int plain = 100;

SEC("tc")
int custom_sections(struct __sk_buff *skb)
{
	return cust_var++ + cust_ro + plain;
}

char LICENSE[] SEC("license") = "GPL";
