// Tail-call parser chain: `dispatch` (XDP) reads the IPv4 protocol and
// tail-calls the parser in that slot of `parsers` (slot = IP protocol number,
// filled from userspace). A protocol with no parser falls through.
//   parseUdp: counts UDP per destination port, passes.
//   parseTcp: counts TCP, drops anything to port 23 (telnet).
import { xdp, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, TcpHdr, EtherType, ProgramArray, ArrayMap, HashMap, atomicAdd, htons, ntohs, u32, u64 } from '@lockne/kernel';

export const parsers = new ProgramArray({ maxEntries: 256 });
/** Counters: 0 packets seen by dispatch, 1 UDP parsed, 2 TCP parsed, 3 no parser, 4 TCP dropped. */
export const stats = new ArrayMap<u64>({ maxEntries: 5 });
/** UDP packets per destination port (host order). */
export const udpPorts = new HashMap<u32, u64>({ maxEntries: 1024 });

function bump(i: u32): void {
  const v = stats.lookup(i);
  if (v !== null) atomicAdd(v, 1n);
}

export const dispatch = xdp((ctx) => {
  bump(0);
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.proto !== htons(EtherType.IPV4)) return XdpAction.PASS;
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.PASS;
  parsers.tailCall(ctx, u32(ip.protocol));
  bump(3); // only reached when the slot is empty
  return XdpAction.PASS;
});

export const parseUdp = xdp((ctx) => {
  bump(1);
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.ABORTED;
  const udp = ctx.header(UdpHdr, 14 + u32(ip.verIhl & 0xf) * 4);
  if (udp === null) return XdpAction.PASS;
  const port = u32(ntohs(udp.dest));
  const n = udpPorts.lookup(port);
  if (n !== null) { atomicAdd(n, 1n); } else { udpPorts.update(port, 1n); }
  return XdpAction.PASS;
});

export const parseTcp = xdp((ctx) => {
  bump(2);
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.ABORTED;
  const tcp = ctx.header(TcpHdr, 14 + u32(ip.verIhl & 0xf) * 4);
  if (tcp === null) return XdpAction.PASS;
  if (ntohs(tcp.dest) === 23) {
    bump(4);
    return XdpAction.DROP;
  }
  return XdpAction.PASS;
});
