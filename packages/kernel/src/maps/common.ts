// Base of every BTF-defined map declaration. In Node a map is a plain descriptor
// (kind, BPF map type, sizes, key/value layouts) that the userspace loader reads;
// its kernel operations throw KernelOnlyError there.
import type { TypeDesc } from '../types.js';
import type { i64 } from '../ints.js';

/** A pointer into map memory (or ring buffer/stack memory): read and write through `.value`. */
export interface Ref<T> {
  value: T;
}

/** BPF_MAP_TYPE_* names (as in @lockne/bpf `MapType`) with their numbers. */
export const MapTypes = {
  HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6,
  LRU_HASH: 9, LRU_PERCPU_HASH: 10, LPM_TRIE: 11, SK_STORAGE: 24, RINGBUF: 27, TASK_STORAGE: 29,
  STACK_TRACE: 7, CGROUP_ARRAY: 8, ARRAY_OF_MAPS: 12, HASH_OF_MAPS: 13, DEVMAP: 14, SOCKMAP: 15, CPUMAP: 16,
  XSKMAP: 17, SOCKHASH: 18, CGROUP_STORAGE: 19, PERCPU_CGROUP_STORAGE: 21, QUEUE: 22, STACK: 23, DEVMAP_HASH: 25,
  BLOOM_FILTER: 30, USER_RINGBUF: 31, ARENA: 33,
} as const;
export type MapTypeName = keyof typeof MapTypes;

/** Flags of map update (BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK). */
export enum UpdateFlag {
  ANY = 0,
  NOEXIST = 1,
  EXIST = 2,
  LOCK = 4,
}

/** How a map is pinned by the loader (libbpf `pinning`). */
export type Pinning = 'none' | 'byName';

/** Options common to keyed maps. Pass `key`/`value` descriptors so userspace gets the layouts at runtime. */
export interface MapOptions<K, V> {
  maxEntries: number;
  /** Key layout (u32, struct(...), ...). Optional for tsc; required by the userspace loader to encode keys. */
  key?: TypeDesc<K>;
  /** Value layout. */
  value?: TypeDesc<V>;
  /** BPF_F_* map_flags. */
  flags?: number;
  pinning?: Pinning;
  /** Name when it cannot come from the exported const (see nameMaps). */
  name?: string;
}

/** Return of map update/delete and similar helpers: 0 on success, a negative errno on failure. */
export type HelperResult = i64;

/** Fields every map descriptor has at runtime. */
export abstract class MapDecl<K, V> {
  abstract readonly type: MapTypeName;
  readonly maxEntries: number;
  readonly key: TypeDesc<K> | null;
  readonly value: TypeDesc<V> | null;
  readonly flags: number;
  readonly pinning: Pinning;
  /** Set from options, or by nameMaps() from the module's export names. */
  name: string | null;

  constructor(opts: MapOptions<K, V>) {
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${new.target.name}: options object required`);
    if (!Number.isInteger(opts.maxEntries) || opts.maxEntries < 0) {
      throw new RangeError(`${new.target.name}: maxEntries must be a non-negative integer, got ${String(opts.maxEntries)}`);
    }
    this.maxEntries = opts.maxEntries;
    this.key = opts.key ?? null;
    this.value = opts.value ?? null;
    this.flags = opts.flags ?? 0;
    this.pinning = opts.pinning ?? 'none';
    this.name = opts.name ?? null;
  }

  /** The BPF_MAP_TYPE_* number. */
  get mapType(): number {
    return MapTypes[this.type];
  }
}

/**
 * Give every exported map its export name (what the compiler does at compile
 * time), so userspace can match descriptors to the loaded object's maps.
 * @example import * as prog from './counter.bpf.js'; const maps = nameMaps(prog); maps.get('counts')
 */
export function nameMaps(mod: Record<string, unknown>): Map<string, MapDecl<unknown, unknown>> {
  const out = new Map<string, MapDecl<unknown, unknown>>();
  for (const [exportName, v] of Object.entries(mod)) {
    if (v instanceof MapDecl) {
      if (v.name === null) v.name = exportName;
      out.set(v.name, v as MapDecl<unknown, unknown>);
    }
  }
  return out;
}
