// Per-CPU maps: PERCPU_HASH (4.6+), PERCPU_ARRAY (4.6+), LRU_PERCPU_HASH
// (4.10+). Every element holds one value per possible CPU; user space reads
// and writes all of them at once, as an array in possible-CPU order.
import type { Codec } from './codec.js';
import { u32 } from './codec-int.js';
import { perCpu } from './codec-percpu.js';
import { MapBase, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { possibleCpuCount, possibleCpus } from './cpus.js';
import { MapFlags, MapType } from '../sys/consts.js';
import type { BpfMap } from './map.js';

export interface PerCpuHashOptions<K, V> extends CommonMapOptions {
  key: Codec<K>;
  /** The value of ONE CPU; the map's values are arrays of these. */
  value: Codec<V>;
  maxEntries: number;
}

/** Create a per-CPU map whose typed values are arrays of `opts.value`. */
function make<K, V>(type: number, opts: { key: Codec<K>; value: Codec<V>; maxEntries: number } & CommonMapOptions, flags: number,
  wrap: (fd: number, p: MapProps<K, V[]>) => BpfMap<K, V[]>): BpfMap<K, V[]> {
  const value = perCpu(opts.value, possibleCpuCount());
  return createAs(wrap, { ...opts, type, keySize: opts.key.size, valueSize: opts.value.size, flags }, { key: opts.key, value, valueBytes: value.size });
}

/** `v` for every possible CPU. */
function fill<V>(v: V): V[] {
  return Array.from({ length: possibleCpuCount() }, () => v);
}

/**
 * A hash whose values are per CPU (4.6+): programs update their CPU's copy
 * without contention; user space sees the array.
 * @example
 * const m = PerCpuHashMap.create({ key: u32, value: u64, maxEntries: 64 });
 * m.setAll(1, 0n); m.get(1); // [0n, 0n] on 2 CPUs
 */
export class PerCpuHashMap<K, V> extends MapBase<K, V[]> {
  static create<K, V>(opts: PerCpuHashOptions<K, V>): PerCpuHashMap<K, V> {
    return make(MapType.PERCPU_HASH, opts, opts.flags ?? 0, (fd, p) => new PerCpuHashMap(fd, p)) as PerCpuHashMap<K, V>;
  }

  /** Possible CPU ids, in the order values are listed. */
  get cpus(): readonly number[] {
    return possibleCpus();
  }

  /** Set every CPU's copy to `value`. */
  setAll(key: K, value: V, flags?: number): void {
    this.set(key, fill(value), flags);
  }
}

export interface LruPerCpuHashOptions<K, V> extends PerCpuHashOptions<K, V> {
  /** One LRU list per CPU (BPF_F_NO_COMMON_LRU). */
  perCpuLru?: boolean;
}

/** An LRU hash with per-CPU values (4.10+). */
export class LruPerCpuHashMap<K, V> extends MapBase<K, V[]> {
  static create<K, V>(opts: LruPerCpuHashOptions<K, V>): LruPerCpuHashMap<K, V> {
    const flags = (opts.flags ?? 0) | (opts.perCpuLru ? MapFlags.NO_COMMON_LRU : 0);
    return make(MapType.LRU_PERCPU_HASH, opts, flags, (fd, p) => new LruPerCpuHashMap(fd, p)) as LruPerCpuHashMap<K, V>;
  }

  get cpus(): readonly number[] {
    return possibleCpus();
  }

  setAll(key: K, value: V, flags?: number): void {
    this.set(key, fill(value), flags);
  }
}

export interface PerCpuArrayOptions<V> extends CommonMapOptions {
  value: Codec<V>;
  maxEntries: number;
}

/**
 * An array with per-CPU values (4.6+): the usual home of packet counters.
 * @example
 * const c = PerCpuArrayMap.create({ value: u64, maxEntries: 1 });
 * c.get(0)!.reduce((a, b) => a + b, 0n); // total over CPUs
 */
export class PerCpuArrayMap<V> extends MapBase<number, V[]> {
  static create<V>(opts: PerCpuArrayOptions<V>): PerCpuArrayMap<V> {
    return make(MapType.PERCPU_ARRAY, { ...opts, key: u32 }, opts.flags ?? 0, (fd, p) => new PerCpuArrayMap(fd, p)) as PerCpuArrayMap<V>;
  }

  get cpus(): readonly number[] {
    return possibleCpus();
  }

  setAll(index: number, value: V, flags?: number): void {
    this.set(index, fill(value), flags);
  }
}
