// BPF_MAP_TYPE_DEVMAP (4.14+) and DEVMAP_HASH (5.4+): network devices for
// bpf_redirect_map() from XDP. The value is struct bpf_devmap_val { u32
// ifindex; union { int fd; u32 id } bpf_prog; } (the program, 5.8+, runs on
// the frame before it is sent; it must be loaded with expected attach type
// XDP_DEVMAP).
import type { Codec } from './codec.js';
import { u32 } from './codec-int.js';
import { CodecError } from './codec-error.js';
import { MapBase, fdOf, type FdLike, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapType } from '../sys/consts.js';

/** In: ifindex (and optionally a program). Out: ifindex and the program's id (0: none). */
export interface DevMapEntry {
  ifindex: number;
  prog?: FdLike;
  progId?: number;
}

const devmapVal: Codec<DevMapEntry | number> = {
  size: 8,
  align: 4,
  encode(v, out) {
    const e = typeof v === 'number' ? { ifindex: v } : v;
    if (!e || !Number.isInteger(e.ifindex) || e.ifindex <= 0) throw new CodecError(`devmap: ifindex ${String(e?.ifindex)} is not a positive integer`);
    const d = new DataView(out.buffer, out.byteOffset, 8);
    d.setUint32(0, e.ifindex, true);
    d.setInt32(4, e.prog === undefined ? 0 : fdOf(e.prog), true);
  },
  decode(b) {
    const d = new DataView(b.buffer, b.byteOffset, 8);
    return { ifindex: d.getUint32(0, true), progId: d.getUint32(4, true) };
  },
};

export interface DevMapOptions extends Omit<CommonMapOptions, 'btf'> {
  maxEntries: number;
}
export interface DevMapHashOptions extends DevMapOptions {
  key?: Codec<number>;
}

/** get() for both device maps. */
export class DeviceMap extends MapBase<number, DevMapEntry | number> {
  override get(key: number): DevMapEntry | undefined {
    return super.get(key) as DevMapEntry | undefined;
  }
}

/**
 * Devices by index (4.14+).
 * @example
 * const ports = DevMap.create({ maxEntries: 8 });
 * ports.set(0, ifindex); ports.get(0); // { ifindex, progId: 0 }
 */
export class DevMap extends DeviceMap {
  static create(opts: DevMapOptions): DevMap {
    return createAs((fd, p: MapProps<number, DevMapEntry | number>) => new DevMap(fd, p), {
      ...opts, type: MapType.DEVMAP, keySize: 4, valueSize: 8,
    }, { key: u32, value: devmapVal });
  }
}

/**
 * Devices by a sparse u32 key, usually the ifindex itself (5.4+).
 * @example const ports = DevMapHash.create({ maxEntries: 64 }); ports.set(ifindex, ifindex);
 */
export class DevMapHash extends DeviceMap {
  static create(opts: DevMapHashOptions): DevMapHash {
    return createAs((fd, p: MapProps<number, DevMapEntry | number>) => new DevMapHash(fd, p), {
      ...opts, type: MapType.DEVMAP_HASH, keySize: 4, valueSize: 8,
    }, { key: opts.key ?? u32, value: devmapVal });
  }
}
