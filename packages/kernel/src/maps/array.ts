// Array maps: BPF_MAP_TYPE_ARRAY (3.19) and PERCPU_ARRAY (4.6). Keys are u32
// indexes; every slot exists (zeroed), so entries cannot be deleted.
import { MapDecl, type MapTypeName, type Pinning, type Ref, type HelperResult, type UpdateFlag } from './common.js';
import type { u32 } from '../ints.js';
import type { TypeDesc } from '../types.js';
import { u32 as u32Desc } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/** Options of array maps: the key is always u32. */
export interface ArrayOptions<V> {
  maxEntries: number;
  value?: TypeDesc<V>;
  flags?: number;
  pinning?: Pinning;
  name?: string;
}

abstract class IndexedMap<V> extends MapDecl<u32, V> {
  constructor(opts: ArrayOptions<V>) { super({ ...opts, key: u32Desc }); }
  /** bpf_map_lookup_elem: null only when index >= maxEntries (the verifier still demands the check). */
  lookup(_index: u32 | number): Ref<V> | null { return kernelOnly(`${this.type} map lookup`); }
  /** bpf_map_update_elem: 0 or -errno. */
  update(_index: u32 | number, _value: V, _flags?: UpdateFlag | u32): HelperResult { return kernelOnly(`${this.type} map update`); }
}

/**
 * BPF_MAP_TYPE_ARRAY. Minimum kernel 3.19.
 * @example export const stats = new ArrayMap<u64>({ maxEntries: 4, value: u64 });
 */
export class ArrayMap<V> extends IndexedMap<V> {
  readonly type: Extract<MapTypeName, 'ARRAY'> = 'ARRAY';
  constructor(opts: ArrayOptions<V>) { super(opts); }
}

/** BPF_MAP_TYPE_PERCPU_ARRAY: one value per CPU per slot; lock-free counters. Minimum kernel 4.6. */
export class PerCpuArrayMap<V> extends IndexedMap<V> {
  readonly type: Extract<MapTypeName, 'PERCPU_ARRAY'> = 'PERCPU_ARRAY';
  constructor(opts: ArrayOptions<V>) { super(opts); }
}
