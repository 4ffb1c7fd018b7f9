/* Covers: SEC("cgroup_skb/ingress") and SEC("cgroup_skb/egress") (CGROUP_SKB with
 * expected attach types); test-run data starts at the IP header.
 * Expected: ingress allows (1) TCP to port 80 and drops (0) other ports; egress always allows (1). */
#include "corpus.h"

SEC("cgroup_skb/ingress")
int skb_ingress(struct __sk_buff *skb)
{
	__u16 dport;
	if (bpf_skb_load_bytes(skb, 20 + 2, &dport, 2))
		return 0;
	return dport == bpf_htons(80) ? 1 : 0;
}

SEC("cgroup_skb/egress")
int skb_egress(struct __sk_buff *skb)
{
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
