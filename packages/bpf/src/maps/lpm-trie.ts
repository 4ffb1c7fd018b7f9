// BPF_MAP_TYPE_LPM_TRIE (4.11+): longest-prefix-match keys.
import type { Codec } from './codec.js';
import { MapBase, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapFlags, MapType } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';

export interface LpmTrieOptions<K, V> extends CommonMapOptions {
  /**
   * An LPM key codec: `ipv4Prefix` / `ipv6Prefix` (CIDR strings), or
   * `lpmKey(data)` for { prefixlen, data } objects.
   */
  key: Codec<K>;
  value: Codec<V>;
  maxEntries: number;
}

/**
 * A longest-prefix-match trie (4.11+). Entries are prefixes; a lookup with a
 * full-length key returns the value of the longest stored prefix containing it.
 * The kernel requires BPF_F_NO_PREALLOC, which create() sets.
 * @example
 * const routes = LpmTrieMap.create({ key: ipv4Prefix, value: u32, maxEntries: 128 });
 * routes.set('10.0.0.0/8', 1); routes.set('10.1.0.0/16', 2);
 * routes.get('10.1.2.3'); // 2
 */
export class LpmTrieMap<K, V> extends MapBase<K, V> {
  static create<K, V>(opts: LpmTrieOptions<K, V>): LpmTrieMap<K, V> {
    if (opts.key.size < 5) {
      throw new ArgumentError(`map '${opts.name ?? 'LPM_TRIE'}': an LPM key is a u32 prefix length plus at least one data byte (${opts.key.size} bytes given)`);
    }
    return createAs((fd, p: MapProps<K, V>) => new LpmTrieMap(fd, p), {
      ...opts, type: MapType.LPM_TRIE, keySize: opts.key.size, valueSize: opts.value.size,
      flags: (opts.flags ?? 0) | MapFlags.NO_PREALLOC,
    }, opts);
  }
}
