// Hash maps: BPF_MAP_TYPE_HASH (3.19), PERCPU_HASH (4.6), LRU_HASH / LRU_PERCPU_HASH (4.10).
import { MapDecl, type MapOptions, type MapTypeName, type Ref, type HelperResult, type UpdateFlag } from './common.js';
import type { u32 } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/** Operations of every keyed map. */
abstract class KeyedMap<K, V> extends MapDecl<K, V> {
  /** bpf_map_lookup_elem: a pointer to the value, or null. Narrow with `if (v !== null)` before use. */
  lookup(_key: K): Ref<V> | null { return kernelOnly(`${this.type} map lookup`); }
  /** bpf_map_update_elem: 0 or -errno (e.g. -E2BIG when full, -EEXIST with NOEXIST). */
  update(_key: K, _value: V, _flags?: UpdateFlag | u32): HelperResult { return kernelOnly(`${this.type} map update`); }
  /** bpf_map_delete_elem: 0 or -ENOENT. */
  delete(_key: K): HelperResult { return kernelOnly(`${this.type} map delete`); }
}

/**
 * BPF_MAP_TYPE_HASH. Minimum kernel 3.19.
 * @example export const counts = new HashMap<u32, u64>({ maxEntries: 1024, key: u32, value: u64 });
 */
export class HashMap<K, V> extends KeyedMap<K, V> {
  readonly type: Extract<MapTypeName, 'HASH'> = 'HASH';
  constructor(opts: MapOptions<K, V>) { super(opts); }
}

/** BPF_MAP_TYPE_PERCPU_HASH: each CPU sees its own value. Minimum kernel 4.6. */
export class PerCpuHashMap<K, V> extends KeyedMap<K, V> {
  readonly type: Extract<MapTypeName, 'PERCPU_HASH'> = 'PERCPU_HASH';
  constructor(opts: MapOptions<K, V>) { super(opts); }
}

/** BPF_MAP_TYPE_LRU_HASH: evicts the least recently used entry when full. Minimum kernel 4.10. */
export class LruHashMap<K, V> extends KeyedMap<K, V> {
  readonly type: Extract<MapTypeName, 'LRU_HASH'> = 'LRU_HASH';
  constructor(opts: MapOptions<K, V>) { super(opts); }
}

/** BPF_MAP_TYPE_LRU_PERCPU_HASH. Minimum kernel 4.10. */
export class LruPerCpuHashMap<K, V> extends KeyedMap<K, V> {
  readonly type: Extract<MapTypeName, 'LRU_PERCPU_HASH'> = 'LRU_PERCPU_HASH';
  constructor(opts: MapOptions<K, V>) { super(opts); }
}

export { KeyedMap };
