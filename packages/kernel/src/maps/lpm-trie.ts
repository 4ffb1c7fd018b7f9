// BPF_MAP_TYPE_LPM_TRIE (4.11): longest-prefix-match maps (routes, CIDR block
// lists). A key is `struct { __u32 prefixlen; data }` (struct bpf_lpm_trie_key_u8
// with a typed data part); the kernel insists on BPF_F_NO_PREALLOC, which the
// constructor always sets (the compiler emits map_flags 1 for every LpmTrie).
import { KeyedMap } from './hash.js';
import type { MapOptions, MapTypeName } from './common.js';
import { u8, u32, be32 } from '../ints.js';
import { struct, array, type StructDesc } from '../struct.js';
import type { TypeDesc, Infer } from '../types.js';

/** BPF_F_NO_PREALLOC: the only (and mandatory) allocation mode of an LPM trie. */
export const LPM_NO_PREALLOC = 1;

/** What every LPM key starts with: the number of significant leading bits of its data. */
export interface LpmKeyShape {
  prefixlen: u32;
}

/**
 * An LPM key layout over `data`: `struct <name> { __u32 prefixlen; <data> data; }`.
 * The data must start right after prefixlen and leave no trailing padding (the
 * kernel matches `key_size - 4` bytes), so its alignment must be <= 4 and its
 * size a multiple of 4 (or of its alignment, when the struct ends on it).
 * @example
 * export const PortKey = lpmKey(struct('v4_port', { addr: be32, port: be16, pad: be16 }), 'lpm_v4_port');
 * export type PortKey = Infer<typeof PortKey>;   // { prefixlen: u32, data: { addr, port, pad } }
 */
export function lpmKey<D>(data: TypeDesc<D>, name?: string): StructDesc<{ prefixlen: u32; data: D }> {
  const cName = name ?? `lpm_key_${data.name.replace(/^struct /, '').replace(/[^A-Za-z0-9_]/g, '_')}`;
  const s = struct(cName, { prefixlen: u32, data });
  if (data.align > 4 || s.size !== 4 + data.size) {
    throw new TypeError(`lpmKey(${data.name}): data must follow prefixlen without padding (align <= 4, no trailing padding); got key size ${s.size} for ${data.size} data bytes`);
  }
  return s;
}

/** IPv4 LPM key: `{ prefixlen, addr }`, addr in network order (as Ipv4Hdr.saddr). 8 bytes. */
export const LpmKeyV4 = struct('lpm_key_v4', { prefixlen: u32, addr: be32 });
export type LpmKeyV4 = Infer<typeof LpmKeyV4>;

/** IPv6 LPM key: `{ prefixlen, addr }`, addr the 16 address bytes (as Ipv6Hdr.saddr). 20 bytes. */
export const LpmKeyV6 = struct('lpm_key_v6', { prefixlen: u32, addr: array(u8, 16) });
export type LpmKeyV6 = Infer<typeof LpmKeyV6>;

/**
 * BPF_MAP_TYPE_LPM_TRIE. Minimum kernel 4.11. Store prefixes from userspace (or
 * with `update`), look up with a full-length key (`prefixlen: 32` for IPv4): the
 * result is the value of the longest stored prefix that contains the key, or null.
 * Created with BPF_F_NO_PREALLOC (required by the kernel; added to any `flags`).
 * @example
 * export const blocked = new LpmTrie<LpmKeyV4, u32>({ maxEntries: 1024, key: LpmKeyV4, value: u32 });
 * // in a program: const v = blocked.lookup({ prefixlen: 32, addr: ip.saddr }); if (v !== null && v.value === 1) return XdpAction.DROP;
 * // userspace:    obj.map('blocked') with @lockne/bpf `ipv4Prefix` keys: '10.0.0.0/8'
 */
export class LpmTrie<K extends LpmKeyShape, V> extends KeyedMap<K, V> {
  readonly type: MapTypeName = 'LPM_TRIE';
  constructor(opts: MapOptions<K, V>) {
    super({ ...opts, flags: (opts.flags ?? 0) | LPM_NO_PREALLOC });
  }
}
