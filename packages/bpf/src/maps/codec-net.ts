// Network codecs: IPv4/IPv6 addresses (network byte order, as in packets and
// sockaddrs), MAC addresses, and LPM trie keys (struct bpf_lpm_trie_key_u8:
// a host-order u32 prefix length followed by the data, no padding).
import type { Codec } from './codec.js';
import { CodecError } from './codec-error.js';
import { u32 } from './codec-int.js';

function parseIPv4(s: string, out: Uint8Array, at = 0): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return false;
    out[at + i] = Number(p);
  }
  return true;
}

function parseIPv6(s: string, out: Uint8Array): boolean {
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = (h: string): string[] => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const words: number[] = [];
  const all = [...head, ...(halves.length === 2 ? ['::'] : []), ...tail];
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!;
    if (g === '::') { words.push(-1); continue; }
    if (i === all.length - 1 && g.includes('.')) {
      const v4 = new Uint8Array(4);
      if (!parseIPv4(g, v4)) return false;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return false;
    words.push(parseInt(g, 16));
  }
  const gap = words.indexOf(-1);
  const fixed = words.filter((w) => w >= 0);
  if (gap < 0 ? fixed.length !== 8 : fixed.length > 7) return false;
  const full = gap < 0 ? fixed : [...words.slice(0, gap), ...Array<number>(8 - fixed.length).fill(0), ...words.slice(gap + 1)];
  full.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff; });
  return true;
}

/** RFC 5952 text: lowercase, longest run (≥2) of zero groups as '::'. */
function formatIPv6(b: Uint8Array): string {
  const w = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** An IPv4 address as 4 bytes in network order: '10.1.2.3'. */
export const ipv4: Codec<string> = {
  size: 4,
  align: 1,
  shape: { kind: 'bytes', size: 4 },
  encode(value, out) {
    if (typeof value !== 'string' || !parseIPv4(value, out)) throw new CodecError(`ipv4: '${String(value)}' is not a dotted-quad IPv4 address`);
  },
  decode: (b) => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`,
};

/** An IPv6 address as 16 bytes in network order: '2001:db8::1' (decoded in RFC 5952 form). */
export const ipv6: Codec<string> = {
  size: 16,
  align: 1,
  shape: { kind: 'bytes', size: 16 },
  encode(value, out) {
    if (typeof value !== 'string' || !parseIPv6(value, out)) throw new CodecError(`ipv6: '${String(value)}' is not an IPv6 address`);
  },
  decode: formatIPv6,
};

/** A MAC address as 6 bytes: 'aa:bb:cc:dd:ee:ff'. */
export const mac: Codec<string> = {
  size: 6,
  align: 1,
  shape: { kind: 'bytes', size: 6 },
  encode(value, out) {
    const parts = typeof value === 'string' ? value.split(':') : [];
    if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) {
      throw new CodecError(`mac: '${String(value)}' is not a MAC address like aa:bb:cc:dd:ee:ff`);
    }
    parts.forEach((p, i) => { out[i] = parseInt(p, 16); });
  },
  decode: (b) => Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':'),
};

/** An LPM trie key: `prefixlen` bits of `data` are significant. */
export interface LpmKey<T> {
  prefixlen: number;
  data: T;
}

/**
 * struct bpf_lpm_trie_key_u8 over a data codec: u32 prefixlen (host order),
 * then the data bytes, packed (key_size = 4 + data.size).
 * @example const key = lpmKey(ipv4); key.encode({ prefixlen: 8, data: '10.0.0.0' }, out)
 */
export function lpmKey<T>(data: Codec<T>): Codec<LpmKey<T>> {
  const bits = data.size * 8;
  return {
    size: 4 + data.size,
    align: 4,
    shape: {
      kind: 'struct', name: undefined, size: 4 + data.size,
      fields: [
        { name: 'prefixlen', offset: 0, shape: u32.shape! },
        { name: 'data', offset: 4, shape: data.shape ?? { kind: 'bytes', size: data.size } },
      ],
    },
    encode(value, out) {
      if (typeof value !== 'object' || value === null) throw new CodecError(`lpmKey: expected { prefixlen, data }, got ${String(value)}`);
      const { prefixlen } = value;
      if (!Number.isInteger(prefixlen) || prefixlen < 0 || prefixlen > bits) {
        throw new CodecError(`prefix length ${String(prefixlen)} is not in [0, ${bits}]`, 'prefixlen');
      }
      new DataView(out.buffer, out.byteOffset, 4).setUint32(0, prefixlen, true);
      try {
        data.encode(value.data, out.subarray(4));
      } catch (e) {
        throw CodecError.wrap(e, 'data');
      }
    },
    decode: (b) => ({
      prefixlen: new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true),
      data: data.decode(b.subarray(4, 4 + data.size)),
    }),
  };
}

function prefixCodec(addr: Codec<string>, family: string): Codec<string> {
  const key = lpmKey(addr);
  const bits = addr.size * 8;
  return {
    size: key.size,
    align: 4,
    shape: key.shape,
    encode(value, out) {
      const m = typeof value === 'string' ? /^([^/]+)(?:\/(\d{1,3}))?$/.exec(value) : null;
      if (!m) throw new CodecError(`${family} prefix: '${String(value)}' is not ADDRESS/LENGTH`);
      key.encode({ prefixlen: m[2] === undefined ? bits : Number(m[2]), data: m[1]! }, out);
    },
    decode(b) {
      const k = key.decode(b);
      return `${k.data}/${k.prefixlen}`;
    },
  };
}

/** An IPv4 LPM key written as CIDR text: '10.1.0.0/16' (no length = /32). */
export const ipv4Prefix = prefixCodec(ipv4, 'ipv4');
/** An IPv6 LPM key written as CIDR text: '2001:db8::/32' (no length = /128). */
export const ipv6Prefix = prefixCodec(ipv6, 'ipv6');
