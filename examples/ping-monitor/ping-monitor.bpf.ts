// Ping monitor: a tcx ingress program that picks ICMP echo requests out of
// the traffic arriving on an interface and reports { source, id, seq }.
// It only watches: every packet continues (TcAction.UNSPEC is -1 = TCX_NEXT).
import { tcx, TcAction, EthHdr, Ipv4Hdr, IcmpHdr, EtherType, IpProto, RingBuf, struct, htons, ntohl, be32, u16, u32, type Infer } from '@lockne/kernel';

/** struct ping_event { u32 saddr (network order); u16 id; u16 seq; } = 8 bytes. */
export const PingEvent = struct('ping_event', { saddr: be32, id: u16, seq: u16 });
export type PingEvent = Infer<typeof PingEvent>;

export const pings = new RingBuf({ size: 65536 });

export const watchPings = tcx('ingress', (ctx) => {
  const ICMP_ECHO_REQUEST = 8;   // module-level constants are not supported yet
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.proto !== htons(EtherType.IPV4)) return TcAction.UNSPEC;
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null || ip.protocol !== IpProto.ICMP) return TcAction.UNSPEC;
  const icmp = ctx.header(IcmpHdr, 14 + u32(ip.verIhl & 0xf) * 4);
  if (icmp === null || icmp.type !== ICMP_ECHO_REQUEST) return TcAction.UNSPEC;
  // The echo header's "rest" word is id (high half) then seq, both big-endian.
  const rest = ntohl(icmp.rest);
  pings.output(PingEvent, { saddr: ip.saddr, id: u16(rest >> 16), seq: u16(rest & 0xffff) });
  return TcAction.UNSPEC;
});
