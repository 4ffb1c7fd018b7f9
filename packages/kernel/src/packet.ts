// Typed network headers for ctx.header(T, offset). Multi-byte fields are in
// network byte order (be16/be32): convert with ntohs/ntohl, compare against
// htons(...) constants. Bitfields are exposed as their containing byte.
import { u8, be16, be32 } from './ints.js';
import { struct, array } from './struct.js';
import type { Infer } from './types.js';

/** struct ethhdr (14 bytes). @example const eth = ctx.header(EthHdr, 0); if (eth !== null && eth.proto === htons(EtherType.IPV4)) ... */
export const EthHdr = struct('ethhdr', { dst: array(u8, 6), src: array(u8, 6), proto: be16 });
export type EthHdr = Infer<typeof EthHdr>;

/** struct iphdr without options (20 bytes). IHL in bytes: (verIhl & 0xf) * 4. */
export const Ipv4Hdr = struct('iphdr', {
  verIhl: u8, tos: u8, totLen: be16, id: be16, fragOff: be16, ttl: u8, protocol: u8, check: be16, saddr: be32, daddr: be32,
});
export type Ipv4Hdr = Infer<typeof Ipv4Hdr>;

/** struct ipv6hdr (40 bytes). */
export const Ipv6Hdr = struct('ipv6hdr', {
  verTcFlow: be32, payloadLen: be16, nexthdr: u8, hopLimit: u8, saddr: array(u8, 16), daddr: array(u8, 16),
});
export type Ipv6Hdr = Infer<typeof Ipv6Hdr>;

/** struct tcphdr without options (20 bytes). Data offset in bytes: (doffRes >> 4) * 4; flags use TcpFlag. */
export const TcpHdr = struct('tcphdr', {
  source: be16, dest: be16, seq: be32, ackSeq: be32, doffRes: u8, flags: u8, window: be16, check: be16, urgPtr: be16,
});
export type TcpHdr = Infer<typeof TcpHdr>;

/** struct udphdr (8 bytes). */
export const UdpHdr = struct('udphdr', { source: be16, dest: be16, len: be16, check: be16 });
export type UdpHdr = Infer<typeof UdpHdr>;

/** struct icmphdr (8 bytes); `rest` is the id/sequence or gateway word. */
export const IcmpHdr = struct('icmphdr', { type: u8, code: u8, checksum: be16, rest: be32 });
export type IcmpHdr = Infer<typeof IcmpHdr>;

/** ETH_P_* in host order: compare with ntohs(eth.proto). */
export enum EtherType {
  IPV4 = 0x0800,
  ARP = 0x0806,
  VLAN = 0x8100,
  IPV6 = 0x86dd,
}

/** IPPROTO_* values of Ipv4Hdr.protocol / Ipv6Hdr.nexthdr. */
export enum IpProto {
  ICMP = 1,
  TCP = 6,
  UDP = 17,
  ICMPV6 = 58,
}

/** Bits of TcpHdr.flags. */
export enum TcpFlag {
  FIN = 0x01,
  SYN = 0x02,
  RST = 0x04,
  PSH = 0x08,
  ACK = 0x10,
  URG = 0x20,
}

/** AF_* values of ctx.family / userFamily. */
export enum AddressFamily {
  INET = 2,
  INET6 = 10,
}
