/* Covers: R_BPF_64_64 against .data: a global variable (relocation against its own
 * symbol) and static variables (relocation against the section symbol with the
 * variable's offset as addend in the instruction), including an array element.
 * Expected: run 1 returns 5 + 8 + 30 + 256 = 299, run 2 returns 300 (s_b is bumped each run). */
#include "corpus.h"

int g_a = 5;
static int s_b = 7;
static volatile int s_c[4] = { 10, 20, 30, 40 };
__u64 g_d = 0x100;

SEC("tc")
int global_data(struct __sk_buff *skb)
{
	s_b += 1;
	s_c[3] += 1; /* written, so clang keeps the array in .data */
	return g_a + s_b + s_c[2] + (int)g_d;
}

char LICENSE[] SEC("license") = "GPL";
