// Maps of maps: BPF_MAP_TYPE_ARRAY_OF_MAPS / HASH_OF_MAPS (4.12). Slots hold
// maps that userspace creates and inserts (by fd); every inner map must match
// the `inner` template (type, key/value sizes, max entries). A program looks a
// slot up and uses the inner map it finds with the template's own methods.
import { MapDecl, type MapTypeName, type Pinning } from './common.js';
import type { u32 } from '../ints.js';
import type { TypeDesc } from '../types.js';
import { u32 as u32Desc } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/** Any map declaration usable as an inner template (hash, array, LPM trie, ... not another map of maps). */
export type InnerMap = MapDecl<unknown, unknown> | MapDecl<never, unknown>;

export interface MapOfMapsOptions<K, M> {
  maxEntries: number;
  /** The inner map template, e.g. `new HashMap<u32, u64>({ maxEntries: 16, key: u32, value: u64 })`. */
  inner: M;
  /** HashOfMaps only: the key layout. */
  key?: TypeDesc<K>;
  flags?: number;
  pinning?: Pinning;
  name?: string;
}

abstract class MapOfMaps<K, M extends InnerMap> extends MapDecl<K, u32> {
  /** The inner template (userspace creates inner maps from it). */
  readonly inner: M;
  constructor(opts: MapOfMapsOptions<K, M>, key: TypeDesc<K> | undefined) {
    super({ maxEntries: opts.maxEntries, ...(key ? { key } : {}), value: u32Desc, ...(opts.flags === undefined ? {} : { flags: opts.flags }), pinning: opts.pinning ?? 'none', ...(opts.name === undefined ? {} : { name: opts.name }) });
    if (!(opts.inner instanceof MapDecl)) throw new TypeError(`${new.target.name}: inner must be a map declaration (new HashMap(...), new ArrayMap(...), ...)`);
    this.inner = opts.inner;
  }
  /** bpf_map_lookup_elem on the outer map: the inner map in the slot, or null. Not writable from programs. */
  lookup(_key: K | number): M | null { return kernelOnly(`${this.type} lookup`); }
}

/**
 * BPF_MAP_TYPE_ARRAY_OF_MAPS: u32 slot → inner map. Kernel 4.12.
 * @example
 * export const tables = new ArrayOfMaps({ maxEntries: 4, inner: new HashMap<u32, u64>({ maxEntries: 16, key: u32, value: u64 }) });
 * const t = tables.lookup(0); if (t !== null) { const v = t.lookup(k); ... }
 */
export class ArrayOfMaps<M extends InnerMap> extends MapOfMaps<u32, M> {
  readonly type: Extract<MapTypeName, 'ARRAY_OF_MAPS'> = 'ARRAY_OF_MAPS';
  constructor(opts: Omit<MapOfMapsOptions<u32, M>, 'key'>) { super(opts, u32Desc); }
}

/** BPF_MAP_TYPE_HASH_OF_MAPS: key → inner map. Kernel 4.12. */
export class HashOfMaps<K, M extends InnerMap> extends MapOfMaps<K, M> {
  readonly type: Extract<MapTypeName, 'HASH_OF_MAPS'> = 'HASH_OF_MAPS';
  constructor(opts: MapOfMapsOptions<K, M>) { super(opts, opts.key); }
}
