// BPF_MAP_TYPE_BLOOM_FILTER (5.16+): set membership with false positives but
// never false negatives. Values go in; there are no keys and no deletes.
import type { Codec } from './codec.js';
import { none } from './codec.js';
import { MapBase, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapType } from '../sys/consts.js';
import { bpfRaw } from '../sys/syscall.js';
import { encode } from '../sys/layout.js';
import { MapElemAttr } from '../sys/attrs.js';
import { Errno } from '../sys/errno.js';
import { ArgumentError, SyscallError } from '../errors.js';

export interface BloomFilterOptions<V> extends CommonMapOptions {
  value: Codec<V>;
  /** Expected number of values (sizes the bit array). */
  maxEntries: number;
  /** Hash functions per value, 1..15 (map_extra); the kernel's default is 5. */
  hashes?: number;
}

/**
 * A bloom filter (5.16+).
 * @example
 * const seen = BloomFilter.create({ value: u32, maxEntries: 1000 });
 * seen.add(42); seen.has(42); // true; seen.has(7) is false (or, rarely, a false positive)
 */
export class BloomFilter<V> extends MapBase<null, V> {
  static create<V>(opts: BloomFilterOptions<V>): BloomFilter<V> {
    const hashes = opts.hashes ?? 0;
    if (!Number.isInteger(hashes) || hashes < 0 || hashes > 15) {
      throw new ArgumentError(`map '${opts.name ?? 'BLOOM_FILTER'}': hashes ${hashes} is not in 1..15`);
    }
    return createAs((fd, p: MapProps<null, V>) => new BloomFilter(fd, p), {
      ...opts, type: MapType.BLOOM_FILTER, keySize: 0, valueSize: opts.value.size, mapExtra: hashes,
    }, { key: none, value: opts.value });
  }

  /** Add a value (BPF_MAP_UPDATE_ELEM with no key). */
  add(value: V): void {
    this.setBytes(null, this.encodeValue(value));
  }

  /** False: certainly never added. True: probably added. */
  override has(value: V | null): boolean {
    if (value === null) throw new ArgumentError(`${this.handle.description}: has() takes a value`);
    const { ret } = bpfRaw('MAP_LOOKUP_ELEM', encode(MapElemAttr, { map_fd: this.fd, key: null, value: this.encodeValue(value) }));
    if (ret === -Errno.ENOENT) return false;
    if (ret < 0) throw new SyscallError('BPF_MAP_LOOKUP_ELEM', -ret, this.handle.description);
    return true;
  }
}
