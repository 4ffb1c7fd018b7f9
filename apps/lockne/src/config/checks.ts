// Checks of single values (interface names, paths, addresses, prefixes). Each returns what is
// wrong as a sentence, or undefined when the value is fine: zod refinements and the command line
// share them.
import { isIPv4, isIPv6 } from 'node:net';
import { posix } from 'node:path';

/** Longest interface name: IFNAMSIZ (16) minus the NUL. */
export const IFNAME_MAX = 15;
/** Longest executable path the kernel-side matcher stores. */
export const APP_PATH_MAX = 255;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * What the kernel's dev_valid_name() would refuse in an interface name.
 *
 * @example ifnameProblem('wg0') // undefined
 * @example ifnameProblem('wg/0') // 'must not contain "/" (not a valid interface name)'
 */
export function ifnameProblem(name: string): string | undefined {
  if (name === '') return 'must not be empty';
  if (bytes(name) > IFNAME_MAX) return `too long: ${bytes(name)} bytes, an interface name has at most ${IFNAME_MAX}`;
  if (name === '.' || name === '..') return `"${name}" is not a valid interface name`;
  const bad = /[/:\s\u0000-\u001f\u007f]/u.exec(name);
  if (bad) return `must not contain ${JSON.stringify(bad[0])} (not a valid interface name)`;
  return undefined;
}

/**
 * An absolute, normalized path without NUL bytes (`what` names it in the message).
 *
 * @example absPathProblem('/sys/fs/bpf/lockne') // undefined
 * @example absPathProblem('/usr/bin/../bin/x')  // 'not normalized: write "/usr/bin/x"'
 */
export function absPathProblem(path: string, what = 'path'): string | undefined {
  if (!path.startsWith('/')) return `must be an absolute ${what} (starting with "/")`;
  if (path.includes('\0')) return `must not contain a NUL byte`;
  const norm = posix.normalize(path);
  const clean = norm.length > 1 && norm.endsWith('/') ? norm.slice(0, -1) : norm;
  if (clean !== path) return `not normalized: write ${JSON.stringify(clean)}`;
  return undefined;
}

/**
 * An executable path as matched in the kernel at exec: absolute, normalized, not "/", at most 255 bytes.
 *
 * @example appPathProblem('/usr/bin/firefox') // undefined
 */
export function appPathProblem(path: string): string | undefined {
  const p = absPathProblem(path, 'executable path');
  if (p) return p;
  if (path === '/') return 'must name an executable, not "/"';
  if (bytes(path) > APP_PATH_MAX) return `too long: ${bytes(path)} bytes, at most ${APP_PATH_MAX}`;
  return undefined;
}

/** 4 or 6 for an IP address without a zone or prefix, 0 otherwise. */
export function ipVersion(addr: string): 0 | 4 | 6 {
  if (isIPv4(addr)) return 4;
  if (isIPv6(addr) && !addr.includes('%')) return 6;
  return 0;
}

/**
 * A DNS server address (IPv4 or IPv6, no port, no zone).
 *
 * @example dnsProblem('10.64.0.1') // undefined
 */
export function dnsProblem(addr: string): string | undefined {
  if (ipVersion(addr) !== 0) return undefined;
  if (addr.includes('%')) return 'a zone (%iface) is not supported: use a global or ULA address';
  if (/^[\d.]+:\d+$/.test(addr) || /^\[.*\]:\d+$/.test(addr)) return 'an address without a port (DNS uses port 53)';
  return 'not an IPv4 or IPv6 address';
}

/** The parts of a CIDR prefix, or why it is not one. */
export type Cidr = { ok: true; version: 4 | 6; addr: bigint; len: number; text: string } | { ok: false; why: string };

/**
 * Parse `addr/len` (or a bare address, taken as /32 or /128). Host bits must be zero, as `ip route`
 * insists; the message suggests the network.
 *
 * @example parseCidr('192.0.2.1')      // { ok: true, version: 4, len: 32, text: '192.0.2.1/32', ... }
 * @example parseCidr('10.1.2.3/8').why // 'host bits set: the network is "10.0.0.0/8"'
 */
export function parseCidr(s: string): Cidr {
  const slash = s.indexOf('/');
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const version = ipVersion(addrText);
  if (version === 0) return { ok: false, why: `${JSON.stringify(addrText)} is not an IPv4 or IPv6 address (expected a prefix like "192.0.2.0/24" or "2001:db8::/32")` };
  const bits = version === 4 ? 32 : 128;
  const lenText = slash < 0 ? String(bits) : s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > bits) return { ok: false, why: `prefix length must be 0..${bits}, got ${JSON.stringify(lenText)}` };
  const len = Number(lenText);
  const addr = version === 4 ? ipv4ToBigInt(addrText) : ipv6ToBigInt(addrText);
  const hostMask = (1n << BigInt(bits - len)) - 1n;
  if ((addr & hostMask) !== 0n) {
    const net = addr & ~hostMask;
    return { ok: false, why: `host bits set: the network is "${version === 4 ? bigIntToIpv4(net) : bigIntToIpv6(net)}/${len}"` };
  }
  return { ok: true, version, addr, len, text: `${addrText}/${len}` };
}

function ipv4ToBigInt(a: string): bigint {
  return a.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

function bigIntToIpv4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((sh) => String((v >> sh) & 0xffn)).join('.');
}

/** An IPv6 address already accepted by isIPv6 (so '::' appears at most once). */
function ipv6ToBigInt(a: string): bigint {
  let text = a;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // An embedded IPv4 address ("::ffff:192.0.2.1") is the last two groups.
    const v4 = ipv4ToBigInt(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const split = text.indexOf('::');
  const part = (t: string): string[] => (t ? t.split(':') : []);
  const head = part(split < 0 ? text : text.slice(0, split));
  const rest = split < 0 ? [] : part(text.slice(split + 2));
  const zeros = split < 0 ? [] : Array<string>(8 - head.length - rest.length).fill('0');
  return [...head, ...zeros, ...rest].reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** RFC 5952 text: the longest run (≥ 2) of zero groups becomes '::'. */
function bigIntToIpv6(v: bigint): string {
  const g = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(16 * (7 - i))) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
