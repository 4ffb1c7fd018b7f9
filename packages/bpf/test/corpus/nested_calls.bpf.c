/* Covers: nested bpf-to-bpf calls (entry -> l1 -> l2 -> l3, with a global
 * function in the middle) and one static subprogram linked into two entry
 * programs of the same section. Expected: nested_a returns 1 + 10 + 100 + 1000 = 1111,
 * nested_b returns l3(7) = 7 + 1000 = 1007. */
#include "corpus.h"

static __noinline int l3(int x)
{
	return x + 1000;
}

__noinline int l2(int x)
{
	return l3(x + 100);
}

static __noinline int l1(int x)
{
	return l2(x + 10);
}

SEC("tc")
int nested_a(struct __sk_buff *skb)
{
	return l1(1);
}

SEC("tc")
int nested_b(struct __sk_buff *skb)
{
	return l3(7);
}

char LICENSE[] SEC("license") = "GPL";
