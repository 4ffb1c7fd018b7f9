// BPF_MAP_TYPE_ARENA (6.9+): memory shared between programs and user space,
// allocated in pages. User space mmap()s it (pages appear on first touch);
// programs reach it through address-space casts.
import { none, bytes } from './codec.js';
import { MapBase, type MapProps } from './map.js';
import { createAs } from './common.js';
import { MapFlags, MapType } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';
import { mmapFd, pageSize, PROT_READ, PROT_WRITE, unmap } from './mmap.js';

export interface ArenaOptions {
  /** Size in pages (max_entries). */
  pages: number;
  /** Fixed user-space address of the arena (map_extra); 0: chosen at the first mmap. */
  address?: bigint;
  name?: string;
  /** Extra flags: MapFlags.SEGV_ON_FAULT, NO_USER_CONV. MMAPABLE is always set. */
  flags?: number;
}

/**
 * An arena (6.9+).
 * @example
 * const arena = ArenaMap.create({ pages: 4 });
 * const mem = new Uint8Array(arena.mmap()); mem[0] = 1;
 * arena.close(); // unmaps too
 */
export class ArenaMap extends MapBase<null, Uint8Array> {
  #mapped: ArrayBuffer | undefined;

  static create(opts: ArenaOptions): ArenaMap {
    if (!Number.isInteger(opts.pages) || opts.pages < 1) throw new ArgumentError(`map '${opts.name ?? 'ARENA'}': pages ${opts.pages} is not a positive integer`);
    return createAs((fd, p: MapProps<null, Uint8Array>) => new ArenaMap(fd, p), {
      type: MapType.ARENA, keySize: 0, valueSize: 0, maxEntries: opts.pages, name: opts.name,
      flags: (opts.flags ?? 0) | MapFlags.MMAPABLE, mapExtra: opts.address ?? 0n,
    }, { key: none, value: bytes(0) });
  }

  /** Bytes of the arena (pages × page size). */
  get byteLength(): number {
    return this.maxEntries * pageSize();
  }

  /** The arena's memory, mapped read-write (once: later calls return the same buffer). */
  mmap(): ArrayBuffer {
    if (!this.#mapped) {
      // An arena created with a fixed address (map_extra) must be mapped exactly there.
      const fixed = this.info().mapExtra;
      this.#mapped = mmapFd(this.fd, this.byteLength, PROT_READ | PROT_WRITE, 0, this.handle.description, fixed || undefined);
    }
    return this.#mapped;
  }

  /** Unmap (if mapped) and close. */
  override close(): void {
    unmap(this.#mapped);
    this.#mapped = undefined;
    super.close();
  }
}
