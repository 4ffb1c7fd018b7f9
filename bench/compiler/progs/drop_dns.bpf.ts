// Parse Ethernet / IPv4 (variable IHL) / UDP and drop DNS (UDP port 53).
import { xdp, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, EtherType, IpProto, ntohs, htons, u32 } from '@lockne/kernel';

export const dropDns = xdp((ctx) => {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.PASS;
  if (eth.proto !== htons(EtherType.IPV4)) return XdpAction.PASS;
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null || ip.protocol !== IpProto.UDP) return XdpAction.PASS;
  const ihl = u32(ip.verIhl & 0xf) * 4;
  const udp = ctx.header(UdpHdr, 14 + ihl);
  if (udp === null) return XdpAction.PASS;
  return ntohs(udp.dest) === 53 ? XdpAction.DROP : XdpAction.PASS;
});
