// BPF_MAP_TYPE_CPUMAP (4.15+): XDP redirect to another CPU. The value is
// struct bpf_cpumap_val { u32 qsize; union { int fd; u32 id } bpf_prog; }:
// the queue size of that CPU's kthread and an optional XDP program (5.9+,
// expected attach type XDP_CPUMAP) run there.
import type { Codec } from './codec.js';
import { u32 } from './codec-int.js';
import { CodecError } from './codec-error.js';
import { MapBase, fdOf, type FdLike, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { possibleCpuCount } from './cpus.js';
import { MapType } from '../sys/consts.js';

/** In: queue size (and optionally a program). Out: queue size and the program's id (0: none). */
export interface CpuMapEntry {
  qsize: number;
  prog?: FdLike;
  progId?: number;
}

const cpumapVal: Codec<CpuMapEntry> = {
  size: 8,
  align: 4,
  encode(v, out) {
    if (!v || !Number.isInteger(v.qsize) || v.qsize <= 0) throw new CodecError(`cpumap: qsize ${String(v?.qsize)} is not a positive integer`);
    const d = new DataView(out.buffer, out.byteOffset, 8);
    d.setUint32(0, v.qsize, true);
    d.setInt32(4, v.prog === undefined ? 0 : fdOf(v.prog), true);
  },
  decode(b) {
    const d = new DataView(b.buffer, b.byteOffset, 8);
    return { qsize: d.getUint32(0, true), progId: d.getUint32(4, true) };
  },
};

export interface CpuMapOptions extends Omit<CommonMapOptions, 'btf'> {
  /** Default: the number of possible CPUs (key = CPU id). */
  maxEntries?: number;
}

/**
 * XDP redirect targets by CPU (4.15+). Setting an entry starts a kthread on
 * that CPU with a queue of `qsize` frames.
 * @example
 * const cpus = CpuMap.create();
 * cpus.set(1, { qsize: 192 }); cpus.get(1); // { qsize: 192, progId: 0 }
 */
export class CpuMap extends MapBase<number, CpuMapEntry> {
  static create(opts: CpuMapOptions = {}): CpuMap {
    return createAs((fd, p: MapProps<number, CpuMapEntry>) => new CpuMap(fd, p), {
      ...opts, type: MapType.CPUMAP, keySize: 4, valueSize: 8, maxEntries: opts.maxEntries ?? possibleCpuCount(),
    }, { key: u32, value: cpumapVal });
  }
}
