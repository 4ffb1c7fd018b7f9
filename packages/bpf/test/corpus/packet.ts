// The test packet every packet-taking corpus program runs on: Ethernet + IPv4 +
// TCP + 64 payload bytes (118 bytes). corpus.h names the same offsets.

export const PACKET_LEN = 118;
export const OFF_IP = 14;
export const OFF_TCP = 34;
export const OFF_PAYLOAD = 54;

export interface PacketOptions {
  /** IPv4 destination, default 10.1.2.3. */
  dst?: readonly [number, number, number, number];
  /** TCP destination port, default 80. */
  dport?: number;
  /** TCP flags byte, default SYN (0x02). */
  tcpFlags?: number;
  /** payload[0], which several programs use as a selector; default 5. The rest is 1, 2, 3... */
  selector?: number;
}

/** RFC 1071 checksum of a header (big-endian 16-bit words). */
export function ipChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A fresh copy of the test packet. */
export function packet(opts: PacketOptions = {}): Uint8Array {
  const p = new Uint8Array(PACKET_LEN);
  const v = new DataView(p.buffer);
  p.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0); // dst 02::02, src 02::01
  v.setUint16(12, 0x0800);
  // IPv4: version 4, IHL 5, total length, id, no fragment, TTL 64, TCP
  p[OFF_IP] = 0x45;
  v.setUint16(OFF_IP + 2, PACKET_LEN - OFF_IP);
  v.setUint16(OFF_IP + 4, 0x1234);
  p[OFF_IP + 8] = 64;
  p[OFF_IP + 9] = 6;
  p.set([10, 0, 0, 1], OFF_IP + 12);
  p.set(opts.dst ?? [10, 1, 2, 3], OFF_IP + 16);
  v.setUint16(OFF_IP + 10, ipChecksum(p.subarray(OFF_IP, OFF_TCP)));
  // TCP: sport 40000, dport, seq 1, data offset 5 words, flags, window 65535
  v.setUint16(OFF_TCP, 40000);
  v.setUint16(OFF_TCP + 2, opts.dport ?? 80);
  v.setUint32(OFF_TCP + 4, 1);
  p[OFF_TCP + 12] = 5 << 4;
  p[OFF_TCP + 13] = opts.tcpFlags ?? 0x02;
  v.setUint16(OFF_TCP + 14, 65535);
  for (let i = 0; i < PACKET_LEN - OFF_PAYLOAD; i++) p[OFF_PAYLOAD + i] = i;
  p[OFF_PAYLOAD] = opts.selector ?? 5;
  return p;
}

/** `input` with little-endian u32 `values` written at payload offsets 0, 4, 8, ... */
export function withPayloadU32(input: Uint8Array, values: readonly number[]): Uint8Array {
  const out = input.slice();
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setUint32(OFF_PAYLOAD + 4 * i, x >>> 0, true));
  return out;
}

/** `input` with `bytes` written at payload offset 0. */
export function withPayload(input: Uint8Array, bytes: Uint8Array): Uint8Array {
  const out = input.slice();
  out.set(bytes, OFF_PAYLOAD);
  return out;
}

/** What xdp_rewrite.bpf.c makes of a packet: MACs swapped, TTL - 1, checksum recomputed. */
export function xdpRewritten(input: Uint8Array): Uint8Array {
  const out = input.slice();
  out.set(input.subarray(6, 12), 0);
  out.set(input.subarray(0, 6), 6);
  out[OFF_IP + 8] = input[OFF_IP + 8]! - 1;
  out[OFF_IP + 10] = 0;
  out[OFF_IP + 11] = 0;
  const c = ipChecksum(out.subarray(OFF_IP, OFF_TCP));
  out[OFF_IP + 10] = c >> 8;
  out[OFF_IP + 11] = c & 0xff;
  return out;
}

/** `input` with its Ethernet header zeroed: what test-run returns for program types that start at L3. */
export function withoutL2(input: Uint8Array): Uint8Array {
  const out = input.slice();
  out.fill(0, 0, OFF_IP);
  return out;
}
