// BPF_MAP_TYPE_HASH (3.19+) and BPF_MAP_TYPE_LRU_HASH (4.10+).
import type { Codec } from './codec.js';
import { MapBase, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapFlags, MapType } from '../sys/consts.js';

export interface HashMapOptions<K, V> extends CommonMapOptions {
  key: Codec<K>;
  value: Codec<V>;
  maxEntries: number;
}

/**
 * A hash table of fixed-size keys and values (kernel 3.19+). Elements are
 * preallocated unless flags include MapFlags.NO_PREALLOC.
 * @example
 * const flows = HashMap.create({ key: struct({ saddr: ipv4, sport: u16be }), value: u64, maxEntries: 1024 });
 * flows.set({ saddr: '10.0.0.1', sport: 443 }, 1n);
 */
export class HashMap<K, V> extends MapBase<K, V> {
  static create<K, V>(opts: HashMapOptions<K, V>): HashMap<K, V> {
    return createAs((fd, p: MapProps<K, V>) => new HashMap(fd, p), {
      ...opts, type: MapType.HASH, keySize: opts.key.size, valueSize: opts.value.size,
    }, opts);
  }
}

export interface LruHashMapOptions<K, V> extends HashMapOptions<K, V> {
  /** One LRU list per CPU (BPF_F_NO_COMMON_LRU) instead of a shared one. */
  perCpuLru?: boolean;
}

/**
 * A hash table that evicts the least recently used element when full (4.10+).
 * "Used" means looked up or updated by a program; lookups from user space
 * do not refresh an element.
 * @example const conns = LruHashMap.create({ key: u64, value: u32, maxEntries: 65536 });
 */
export class LruHashMap<K, V> extends MapBase<K, V> {
  static create<K, V>(opts: LruHashMapOptions<K, V>): LruHashMap<K, V> {
    const flags = (opts.flags ?? 0) | (opts.perCpuLru ? MapFlags.NO_COMMON_LRU : 0);
    return createAs((fd, p: MapProps<K, V>) => new LruHashMap(fd, p), {
      ...opts, type: MapType.LRU_HASH, keySize: opts.key.size, valueSize: opts.value.size, flags,
    }, opts);
  }
}
