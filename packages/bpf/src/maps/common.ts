// Shared option shapes and the create-then-wrap step of the per-kind classes.
import type { Codec } from './codec.js';
import { createMapFd, type MapBtf, type MapCreateRequest } from './create.js';
import { checkCodecs, type MapProps } from './map.js';
import { native } from '../sys/native.js';
import { MapType, enumName } from '../sys/consts.js';

/** Options every kind accepts. */
export interface CommonMapOptions {
  /** Up to 15 characters of [A-Za-z0-9_.]. */
  name?: string;
  /** Extra BPF_F_* map flags (MapFlags), or'd with the kind's own. */
  flags?: number;
  numaNode?: number;
  btf?: MapBtf;
}

/**
 * Check the codecs, create the map, and wrap the fd with `make`; the fd is
 * closed again if wrapping throws.
 */
export function createAs<T, K, V>(
  make: (fd: number, props: MapProps<K, V>) => T,
  req: MapCreateRequest,
  codecs: { key?: Codec<K>; value?: Codec<V>; valueBytes?: number },
): T {
  const label = `map '${req.name || enumName(MapType, req.type)}'`;
  checkCodecs(label, req.keySize, codecs.valueBytes ?? req.valueSize, codecs.key, codecs.value);
  const fd = createMapFd(req);
  try {
    return make(fd, {
      type: req.type, name: req.name ?? '', keySize: req.keySize, valueSize: req.valueSize,
      maxEntries: req.maxEntries, flags: req.flags ?? 0, key: codecs.key, value: codecs.value,
    });
  } catch (e) {
    native.close(fd);
    throw e;
  }
}
