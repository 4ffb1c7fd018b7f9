// IP addresses and prefixes as bytes (network order) and text, for netlink
// attributes. Pure: no sockets. Text follows `ip` (RFC 5952 for IPv6,
// "::ffff:1.2.3.4" for v4-mapped), so listings compare with `ip -j` output.
import { ArgumentError } from '@lockne/bpf';
import { AF_INET, AF_INET6 } from './consts.js';

/** 4 = IPv4 (AF_INET), 6 = IPv6 (AF_INET6). */
export type IpFamily = 4 | 6;

/** AF_INET / AF_INET6 for a family. @example afOf(6) === 10 */
export function afOf(family: IpFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

/** The family of an AF_* number, or undefined for anything else. @example familyOfAf(2) === 4 */
export function familyOfAf(af: number): IpFamily | undefined {
  return af === AF_INET ? 4 : af === AF_INET6 ? 6 : undefined;
}

/** Throw unless `family` is 4 or 6 (a JS caller may pass anything). @example checkFamily(opts.family, 'list rules') */
export function checkFamily(family: unknown, what: string): IpFamily {
  if (family !== 4 && family !== 6) throw new ArgumentError(`${what}: family must be 4 or 6, got ${String(family)}`);
  return family;
}

/** An address: its family and 4 or 16 bytes in network order. */
export interface IpAddress {
  family: IpFamily;
  bytes: Uint8Array;
}

/**
 * Parse "10.1.2.3" or "fd00::1" (also "::ffff:10.1.2.3"). Throws
 * ArgumentError naming the text.
 * @example parseIp('fd4c::2').bytes.length === 16
 */
export function parseIp(text: string): IpAddress {
  const v4 = parseIpv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIpv6(text);
  if (v6) return { family: 6, bytes: v6 };
  throw new ArgumentError(`'${text}' is not an IPv4 or IPv6 address`);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // No leading zeros: "010" is octal to inet_aton and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let s = text;
  const tail: number[] = [];
  // An embedded IPv4 address is the last 32 bits.
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    const v4 = parseIpv4(s.slice(lastColon + 1));
    if (!v4) return undefined;
    tail.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    // Keep "::" before the IPv4 part; drop a single separating ':'.
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const explicit = head.length + rest.length + tail.length;
  let words: number[];
  if (halves.length === 2) {
    if (explicit > 7) return undefined;
    words = [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
  } else {
    if (explicit !== 8) return undefined;
    words = [...head, ...tail];
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * Text of 4 or 16 address bytes.
 * @example formatIp(new Uint8Array([10, 0, 0, 1])) === '10.0.0.1'
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.byteLength === 4) return [...bytes].join('.');
  if (bytes.byteLength !== 16) throw new ArgumentError(`an IP address has 4 or 16 bytes, got ${bytes.byteLength}`);
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[2 * i]! << 8) | bytes[2 * i + 1]!);
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  // RFC 5952: compress the longest run (>= 2) of zero words, the first on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/** A prefix: address bytes and length in bits. */
export interface IpPrefix extends IpAddress {
  length: number;
}

/**
 * Parse "10.0.0.0/8", "fd00::/64", a host address (full length) or
 * "default" (length 0; needs `family`). Rejects host bits set beyond the
 * length, which the kernel would refuse or silently mask.
 * @example parsePrefix('default', 6) // { family: 6, bytes: 16 zeros, length: 0 }
 */
export function parsePrefix(text: string, family?: IpFamily): IpPrefix {
  if (text === 'default') {
    if (!family) throw new ArgumentError(`prefix 'default' needs a family (4 or 6)`);
    return { family, bytes: new Uint8Array(family === 4 ? 4 : 16), length: 0 };
  }
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  const max = addr.family === 4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const l = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(l) || Number(l) > max) throw new ArgumentError(`prefix '${text}': length must be 0..${max}`);
    length = Number(l);
  }
  if (family && addr.family !== family) throw new ArgumentError(`prefix '${text}' is IPv${addr.family}, expected IPv${family}`);
  for (let bit = length; bit < max; bit++) {
    if (addr.bytes[bit >> 3]! & (0x80 >> (bit & 7))) {
      throw new ArgumentError(`prefix '${text}' has host bits set beyond /${length} (did you mean ${formatPrefix({ ...addr, bytes: maskBytes(addr.bytes, length), length })}?)`);
    }
  }
  return { ...addr, length };
}

function maskBytes(bytes: Uint8Array, length: number): Uint8Array {
  const out = bytes.slice();
  for (let bit = length; bit < out.byteLength * 8; bit++) out[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return out;
}

/** "10.0.0.0/8"; length 0 prints as "default" (as `ip` does). */
export function formatPrefix(p: { bytes: Uint8Array; length: number }): string {
  return p.length === 0 ? 'default' : `${formatIp(p.bytes)}/${p.length}`;
}
