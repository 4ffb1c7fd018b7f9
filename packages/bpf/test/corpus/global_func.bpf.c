/* Covers: global (non-static) __noinline functions, which the kernel verifies
 * separately using the object's BTF func_info: one taking a scalar, one taking
 * the context pointer. Expected: scale(classify(skb)) = 3 * (payload[0] + 1) + 1;
 * payload[0] = 5 gives 19. */
#include "corpus.h"

__noinline int classify(struct __sk_buff *skb)
{
	__u8 b = 0;
	if (!skb)
		return 0;
	bpf_skb_load_bytes(skb, LK_OFF_PAYLOAD, &b, 1);
	return b + 1;
}

__noinline int scale(int x)
{
	return x * 3 + 1;
}

SEC("tc")
int global_func(struct __sk_buff *skb)
{
	return scale(classify(skb));
}

char LICENSE[] SEC("license") = "GPL";
