// IP blocklist firewall: XDP drops IPv4 packets whose source falls in a
// blocked prefix (longest-prefix match in an LPM trie); each entry's value
// counts the packets it dropped. Everything else passes.
import { xdp, XdpAction, EthHdr, Ipv4Hdr, EtherType, LpmTrie, LpmKeyV4, atomicAdd, htons, u64 } from '@lockne/kernel';

/** Blocked source prefixes (CIDR, network-order address) → packets dropped. */
export const blocked = new LpmTrie<LpmKeyV4, u64>({ maxEntries: 4096, key: LpmKeyV4, value: u64 });

export const firewall = xdp((ctx) => {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.proto !== htons(EtherType.IPV4)) return XdpAction.PASS;
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.PASS;
  const hit = blocked.lookup({ prefixlen: 32, addr: ip.saddr });
  if (hit === null) return XdpAction.PASS;
  atomicAdd(hit, 1n);
  return XdpAction.DROP;
});
