// BPF_MAP_TYPE_ARRAY_OF_MAPS and HASH_OF_MAPS (4.12+): maps whose values are
// other maps. Writes take a map (fd); reads return the inner map's id.
import type { Codec } from './codec.js';
import { u32 } from './codec-int.js';
import { fdIn32 } from './fd-value.js';
import { BpfMap, MapBase, fdOf, type FdLike, type MapCodecs, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapType } from '../sys/consts.js';

interface OuterOptions extends Omit<CommonMapOptions, 'btf'> {
  /** A map shaped like every inner map (type, key/value size, max_entries): the template. */
  inner: FdLike;
  maxEntries: number;
}

export type ArrayOfMapsOptions = OuterOptions;
export interface HashOfMapsOptions<K> extends OuterOptions {
  key: Codec<K>;
}

/** get(), has(), open() for both outer kinds. */
export class OuterMap<K> extends MapBase<K, FdLike> {
  /** The id of the inner map at `key`, or undefined. */
  override get(key: K): number | undefined {
    return super.get(key) as number | undefined;
  }

  /**
   * Open the inner map at `key` (by its id): a new BpfMap the caller closes.
   * @example const inner = outer.open(0, { key: u32, value: u64 });
   */
  open<IK = Uint8Array, IV = Uint8Array>(key: K, codecs: MapCodecs<IK, IV> = {}): BpfMap<IK, IV> | undefined {
    const id = this.get(key);
    return id === undefined ? undefined : BpfMap.fromId(id, codecs);
  }
}

/**
 * An array of maps (4.12+).
 * @example
 * const tmpl = ArrayMap.create({ value: u32, maxEntries: 1 });
 * const outer = ArrayOfMaps.create({ inner: tmpl, maxEntries: 4 });
 * outer.set(0, tmpl); outer.get(0); // tmpl.id
 */
export class ArrayOfMaps extends OuterMap<number> {
  static create(opts: ArrayOfMapsOptions): ArrayOfMaps {
    return createAs((fd, p: MapProps<number, FdLike>) => new ArrayOfMaps(fd, p), {
      ...opts, type: MapType.ARRAY_OF_MAPS, keySize: 4, valueSize: 4, innerMapFd: fdOf(opts.inner),
    }, { key: u32, value: fdIn32('inner map') });
  }
}

/**
 * A hash of maps (4.12+).
 * @example const perCgroup = HashOfMaps.create({ key: u64, inner: tmpl, maxEntries: 64 });
 */
export class HashOfMaps<K> extends OuterMap<K> {
  static create<K>(opts: HashOfMapsOptions<K>): HashOfMaps<K> {
    return createAs((fd, p: MapProps<K, FdLike>) => new HashOfMaps(fd, p), {
      ...opts, type: MapType.HASH_OF_MAPS, keySize: opts.key.size, valueSize: 4, innerMapFd: fdOf(opts.inner),
    }, { key: opts.key, value: fdIn32('inner map') });
  }
}
