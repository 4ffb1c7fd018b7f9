/* Covers: SEC("socket") (SOCKET_FILTER), two programs in the section; in
 * test-run the skb data starts at the IP header. Expected: socket_keep returns
 * skb->len (104: the 118-byte frame minus Ethernet) for TCP, socket_drop returns 0. */
#include "corpus.h"

SEC("socket")
int socket_keep(struct __sk_buff *skb)
{
	__u8 proto;
	if (bpf_skb_load_bytes(skb, 9, &proto, 1))
		return 0;
	return proto == 6 ? skb->len : 0;
}

SEC("socket")
int socket_drop(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
