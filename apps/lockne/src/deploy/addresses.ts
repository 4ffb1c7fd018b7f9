// Addresses as the kernel program stores them: be32 fields hold network-order
// bytes, which the map codecs read as little-endian host numbers.
import { formatIp, parseIp } from '../net/addr.js';

function wordsOf(bytes: Uint8Array): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.byteLength / 4 }, (_, i) => v.getUint32(i * 4, true));
}

/** IPv4 text → the be32 value the program compares with. */
export function ipv4Be32(addr: string): number {
  const a = parseIp(addr);
  if (a.family !== 4) throw new Error(`'${addr}' is not an IPv4 address`);
  return wordsOf(a.bytes)[0]!;
}

/** IPv6 text → four be32 words. */
export function ipv6Be32(addr: string): number[] {
  const a = parseIp(addr);
  if (a.family !== 6) throw new Error(`'${addr}' is not an IPv6 address`);
  return wordsOf(a.bytes);
}

/** The text form of a stored destination: family 2 (AF_INET) uses dst[0], 10 (AF_INET6) all four words. */
export function addressText(family: number, words: readonly number[]): string {
  const bytes = new Uint8Array(16);
  const v = new DataView(bytes.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  return formatIp(family === 2 ? bytes.subarray(0, 4) : bytes);
}

/** A be16 port as stored (network order read little-endian) → host port number. */
export function portOf(be16: number): number {
  return ((be16 & 0xff) << 8) | ((be16 >> 8) & 0xff);
}
