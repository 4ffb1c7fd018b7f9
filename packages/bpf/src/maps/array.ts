// BPF_MAP_TYPE_ARRAY (3.19+): u32 index keys, preallocated zeroed values.
import type { Codec } from './codec.js';
import { u32 } from './codec-int.js';
import { MapBase, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapFlags, MapType } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';
import { mmapFd, pageSize, PROT_READ, PROT_WRITE } from './mmap.js';
import { perCpuStride } from './codec-percpu.js';

export interface ArrayMapOptions<V> extends CommonMapOptions {
  value: Codec<V>;
  maxEntries: number;
  /** BPF_F_MMAPABLE (5.5+): the values can be mapped into this process with mmap(). */
  mmapable?: boolean;
}

/**
 * A fixed-size array indexed 0..maxEntries-1 (kernel 3.19+). Every element
 * exists (zeroed) from creation; delete is not supported.
 * @example
 * const cfg = ArrayMap.create({ value: u32, maxEntries: 4 });
 * cfg.set(0, 1500); cfg.get(0); // 1500
 */
export class ArrayMap<V> extends MapBase<number, V> {
  static create<V>(opts: ArrayMapOptions<V>): ArrayMap<V> {
    const flags = (opts.flags ?? 0) | (opts.mmapable ? MapFlags.MMAPABLE : 0);
    return createAs((fd, p: MapProps<number, V>) => new ArrayMap(fd, p), {
      ...opts, type: MapType.ARRAY, keySize: 4, valueSize: opts.value.size, flags,
    }, { key: u32, value: opts.value });
  }

  /**
   * Map the values of a BPF_F_MMAPABLE array into memory: element i starts at
   * i * round_up(valueSize, 8). Release with munmap (native) or let GC do it.
   */
  mmap(): ArrayBuffer {
    if (!(this.flags & MapFlags.MMAPABLE)) throw new ArgumentError(`${this.handle.description}: created without mmapable`);
    const len = Math.ceil((perCpuStride(this.valueSize) * this.maxEntries) / pageSize()) * pageSize();
    return mmapFd(this.fd, len, PROT_READ | PROT_WRITE, 0, this.handle.description);
  }
}
