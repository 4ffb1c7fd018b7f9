// BPF_MAP_TYPE_RINGBUF (5.8+) and BPF_MAP_TYPE_USER_RINGBUF (6.1+): creation
// and the mmap layout readers/writers need. Reading and writing records is
// the ring reader's job (events/); this file gets the map itself right.
import { MapBase, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapType } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';
import { pageSize, PROT_READ, PROT_WRITE } from './mmap.js';
import { none, bytes } from './codec.js';

export interface RingBufOptions extends Omit<CommonMapOptions, 'btf'> {
  /** Data area in bytes: a power of two and a multiple of the page size. */
  size: number;
}

/** One mmap() a ring user makes: offset into the map fd, length, protection. */
export interface RingRegion {
  offset: number;
  length: number;
  prot: number;
}

/**
 * Where the positions and data live: the consumer position page at offset 0,
 * then the producer position page followed by the data area mapped twice in
 * a row (so a record that wraps reads contiguously).
 */
export interface RingLayout {
  pageSize: number;
  dataSize: number;
  consumer: RingRegion;
  producer: RingRegion;
}

function checkSize(size: number, what: string): void {
  const page = pageSize();
  if (!Number.isInteger(size) || size < page || (size & (size - 1)) !== 0) {
    throw new ArgumentError(`${what}: size ${size} must be a power of two and at least one page (${page} bytes)`);
  }
}

function layout(size: number, userProduces: boolean): RingLayout {
  const page = pageSize();
  return {
    pageSize: page,
    dataSize: size,
    // The side user space drives is writable for it; the other is read-only.
    consumer: { offset: 0, length: page, prot: userProduces ? PROT_READ : PROT_READ | PROT_WRITE },
    producer: { offset: page, length: page + 2 * size, prot: userProduces ? PROT_READ | PROT_WRITE : PROT_READ },
  };
}

/**
 * A kernel-to-user ring buffer (5.8+): programs reserve/submit or output
 * records; a reader mmaps it (see `layout`) and polls its fd.
 * @example
 * const rb = RingBufMap.create({ size: 256 * 1024 });
 * rb.layout.producer.length; // page + 2 * 256 KiB
 */
export class RingBufMap extends MapBase<null, Uint8Array> {
  static create(opts: RingBufOptions): RingBufMap {
    checkSize(opts.size, `map '${opts.name ?? 'RINGBUF'}'`);
    return createAs((fd, p: MapProps<null, Uint8Array>) => new RingBufMap(fd, p), {
      ...opts, type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: opts.size,
    }, { key: none, value: bytes(0) });
  }

  /** Size of the data area (max_entries). */
  get size(): number {
    return this.maxEntries;
  }

  get layout(): RingLayout {
    return layout(this.maxEntries, false);
  }
}

/**
 * A user-to-kernel ring buffer (6.1+): user space writes records, a program
 * drains them with bpf_user_ringbuf_drain().
 * @example const urb = UserRingBufMap.create({ size: 64 * 1024 });
 */
export class UserRingBufMap extends MapBase<null, Uint8Array> {
  static create(opts: RingBufOptions): UserRingBufMap {
    checkSize(opts.size, `map '${opts.name ?? 'USER_RINGBUF'}'`);
    return createAs((fd, p: MapProps<null, Uint8Array>) => new UserRingBufMap(fd, p), {
      ...opts, type: MapType.USER_RINGBUF, keySize: 0, valueSize: 0, maxEntries: opts.size,
    }, { key: none, value: bytes(0) });
  }

  get size(): number {
    return this.maxEntries;
  }

  get layout(): RingLayout {
    return layout(this.maxEntries, true);
  }
}
