// Keyless value maps: BPF_MAP_TYPE_QUEUE / STACK (4.20, FIFO / LIFO) and
// BLOOM_FILTER (5.16, a probabilistic set). Programs push and pop (or test)
// whole values; userspace uses @lockne/bpf QueueMap / StackMap / BloomFilter.
import { MapDecl, type MapOptions, type MapTypeName, type Ref, type HelperResult } from './common.js';
import type { u64 } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/** Flags of push: BPF_ANY fails with -E2BIG when full, BPF_EXIST drops the oldest (queue) / bottom (stack) value. */
export enum PushFlag {
  ANY = 0,
  EXIST = 2,
}

/** Options of queue, stack and bloom filter maps: no key, only a value layout. */
export type ValueMapOptions<V> = Omit<MapOptions<never, V>, 'key'>;

abstract class PushPopMap<V> extends MapDecl<never, V> {
  constructor(opts: ValueMapOptions<V>) { super(opts); }
  /** bpf_map_push_elem(map, &value, flags): 0, -E2BIG when full (unless PushFlag.EXIST). */
  push(_value: V, _flags?: PushFlag | u64): HelperResult { return kernelOnly(`${this.type} push`); }
  /**
   * bpf_map_pop_elem into a stack copy: the removed value, or null when empty.
   * A Ref like lookup's (read `.value`), narrowed by `if (v !== null)`.
   */
  pop(): Ref<V> | null { return kernelOnly(`${this.type} pop`); }
  /** bpf_map_peek_elem: a copy of the next value pop() would return, or null when empty. */
  peek(): Ref<V> | null { return kernelOnly(`${this.type} peek`); }
}

/**
 * BPF_MAP_TYPE_QUEUE: first in, first out. Minimum kernel 4.20.
 * @example
 * export const jobs = new QueueMap<u32>({ maxEntries: 64, value: u32 });
 * jobs.push(u32(7)); const j = jobs.pop(); if (j !== null) total += j.value;
 */
export class QueueMap<V> extends PushPopMap<V> {
  readonly type: Extract<MapTypeName, 'QUEUE'> = 'QUEUE';
  constructor(opts: ValueMapOptions<V>) { super(opts); }
}

/** BPF_MAP_TYPE_STACK: last in, first out. Minimum kernel 4.20. Same methods as QueueMap. */
export class StackMap<V> extends PushPopMap<V> {
  readonly type: Extract<MapTypeName, 'STACK'> = 'STACK';
  constructor(opts: ValueMapOptions<V>) { super(opts); }
}

/** Options of a bloom filter: `hashes` (1..15, kernel default 5) becomes map_extra. */
export interface BloomFilterOptions<V> extends ValueMapOptions<V> {
  hashes?: number;
}

/**
 * BPF_MAP_TYPE_BLOOM_FILTER: values can be added, never removed; `has` answers
 * "maybe" (true, with a false-positive rate set by maxEntries and hashes) or
 * "certainly not" (false). Minimum kernel 5.16.
 * @example
 * export const seen = new BloomFilter<u32>({ maxEntries: 1024, value: u32 });
 * if (!seen.has(ip.saddr)) { seen.push(ip.saddr); }
 */
export class BloomFilter<V> extends MapDecl<never, V> {
  readonly type: Extract<MapTypeName, 'BLOOM_FILTER'> = 'BLOOM_FILTER';
  /** Number of hash functions (map_extra); 0 lets the kernel pick (5). */
  readonly hashes: number;
  constructor(opts: BloomFilterOptions<V>) {
    super(opts);
    const h = opts.hashes ?? 0;
    if (!Number.isInteger(h) || h < 0 || h > 15) throw new RangeError(`BloomFilter: hashes must be 0..15, got ${String(h)}`);
    this.hashes = h;
  }
  /** bpf_map_push_elem(map, &value, 0): add a value. 0 or -errno. */
  push(_value: V): HelperResult { return kernelOnly('BloomFilter.push'); }
  /** bpf_map_peek_elem(map, &value) == 0: maybe present (true) or certainly absent (false). */
  has(_value: V): boolean { return kernelOnly('BloomFilter.has'); }
}
