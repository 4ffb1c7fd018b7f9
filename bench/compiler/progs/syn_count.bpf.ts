// Count TCP SYNs (not SYN-ACKs) per IPv4 source address, atomically, in a HashMap.
import { tc, TcAction, EthHdr, Ipv4Hdr, TcpHdr, EtherType, IpProto, TcpFlag, HashMap, atomicAdd, ntohl, htons, u32, u64 } from '@lockne/kernel';

export const synBySource = new HashMap<u32, u64>({ maxEntries: 1024 });

export const synCount = tc((ctx) => {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.proto !== htons(EtherType.IPV4)) return TcAction.OK;
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null || ip.protocol !== IpProto.TCP) return TcAction.OK;
  const tcp = ctx.header(TcpHdr, 14 + u32(ip.verIhl & 0xf) * 4);
  if (tcp === null) return TcAction.OK;
  if ((tcp.flags & TcpFlag.SYN) !== 0 && (tcp.flags & TcpFlag.ACK) === 0) {
    const src = ntohl(ip.saddr);
    const v = synBySource.lookup(src);
    if (v !== null) { atomicAdd(v, 1n); } else { synBySource.update(src, 1n); }
  }
  return TcAction.OK;
});
