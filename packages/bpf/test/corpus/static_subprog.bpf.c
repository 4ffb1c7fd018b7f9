/* Covers: R_BPF_64_32 calls to static __noinline subprograms, called from two
 * call sites each. Expected: double_it(add(len, 1)) + add(2, 3) = (118 + 1) * 2 + 5 = 243. */
#include "corpus.h"

static __noinline int add(int a, int b)
{
	return a + b;
}

static __noinline int double_it(int x)
{
	return add(x, x);
}

SEC("tc")
int static_subprog(struct __sk_buff *skb)
{
	return double_it(add(skb->len, 1)) + add(2, 3);
}

char LICENSE[] SEC("license") = "GPL";
