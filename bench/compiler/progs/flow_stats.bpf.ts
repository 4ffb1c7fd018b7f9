// Struct key and struct value: per-flow packet/byte counters, updated in place.
import { tc, TcAction, Ipv4Hdr, UdpHdr, HashMap, struct, type Infer, be16, be32, u8, u32, u64 } from '@lockne/kernel';

export const Flow = struct('flow', { saddr: be32, daddr: be32, sport: be16, dport: be16, proto: u8 });
export type Flow = Infer<typeof Flow>;
export const Stats = struct('stats', { packets: u64, bytes: u64, lastLen: u32 });
export type Stats = Infer<typeof Stats>;

export const flows = new HashMap<Flow, Stats>({ maxEntries: 1024, key: Flow, value: Stats });

export const flowStats = tc((ctx) => {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null || ip.protocol !== 17) return TcAction.OK;
  const l4 = ctx.header(UdpHdr, 34);
  if (l4 === null) return TcAction.OK;
  const key: Flow = { saddr: ip.saddr, daddr: ip.daddr, sport: l4.source, dport: l4.dest, proto: ip.protocol };
  const v = flows.lookup(key);
  if (v === null) {
    flows.update(key, { packets: 1n, bytes: u64(ctx.len), lastLen: ctx.len });
    return TcAction.OK;
  }
  v.value.packets += 1n;
  v.value.bytes += u64(ctx.len);
  v.value.lastLen = ctx.len;
  return TcAction.OK;
});
