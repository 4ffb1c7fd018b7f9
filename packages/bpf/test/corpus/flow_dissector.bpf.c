/* Covers: SEC("flow_dissector") (FLOW_DISSECTOR): parses IPv4 + TCP into the
 * flow keys with direct packet access (bpf_skb_load_bytes has no skb to read in
 * a flow dissector test-run) at the constant offset of the IP header, which keeps
 * the verifier's packet range simple (nhoff is 14 for Ethernet input). Test-run returns the flow keys (struct
 * bpf_flow_keys, 56 bytes) as data out. Expected: retval BPF_OK (0); keys nhoff
 * 14, thoff 34, addr_proto ETH_P_IP, ip_proto 6, n_proto 0x0800, ports
 * 40000 -> 80, 10.0.0.1 -> 10.1.2.3. */
#include "corpus.h"

SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct iphdr *iph = data + LK_OFF_IP;
	if ((void *)(iph + 1) > end)
		return BPF_DROP;
	if (iph->version != 4 || iph->ihl != 5)
		return BPF_DROP;
	__be16 *ports = (void *)(iph + 1);
	if ((void *)(ports + 2) > end)
		return BPF_DROP;
	keys->addr_proto = ETH_P_IP;
	keys->ipv4_src = iph->saddr;
	keys->ipv4_dst = iph->daddr;
	keys->ip_proto = iph->protocol;
	keys->thoff = LK_OFF_IP + sizeof(*iph);
	keys->sport = ports[0];
	keys->dport = ports[1];
	return BPF_OK;
}

char LICENSE[] SEC("license") = "GPL";
