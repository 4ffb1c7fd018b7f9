// BPF_MAP_TYPE_STACK_TRACE (4.6+): call stacks collected by bpf_get_stackid(),
// stored by stack id.
import type { Codec } from './codec.js';
import { u32 } from './codec-int.js';
import { MapBase, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapType } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';

export interface StackTraceOptions extends Omit<CommonMapOptions, 'btf'> {
  maxEntries: number;
  /** Frames kept per stack (≤ kernel.perf_event_max_stack, usually 127). Default 127. */
  depth?: number;
}

function ips(depth: number): Codec<bigint[]> {
  return {
    size: depth * 8,
    align: 8,
    encode(v, out) {
      if (!Array.isArray(v) || v.length > depth) throw new ArgumentError(`stack trace: expected at most ${depth} addresses`);
      const d = new DataView(out.buffer, out.byteOffset, out.byteLength);
      v.forEach((ip, i) => d.setBigUint64(i * 8, BigInt.asUintN(64, ip), true));
    },
    decode(b) {
      const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const out: bigint[] = [];
      for (let i = 0; i < depth; i++) {
        const ip = d.getBigUint64(i * 8, true);
        if (ip === 0n) break; // unused frames are zero
        out.push(ip);
      }
      return out;
    },
  };
}

/**
 * Stack traces by id (4.6+): get(id) returns the instruction pointers,
 * innermost first. Needs root (perf callchain buffers).
 * @example
 * const stacks = StackTraceMap.create({ maxEntries: 1024 });
 * stacks.get(id); // [0xffffffff81234567n, ...]
 */
export class StackTraceMap extends MapBase<number, bigint[]> {
  static create(opts: StackTraceOptions): StackTraceMap {
    const depth = opts.depth ?? 127;
    if (!Number.isInteger(depth) || depth < 1) throw new ArgumentError(`map '${opts.name ?? 'STACK_TRACE'}': depth ${depth} is not a positive integer`);
    return createAs((fd, p: MapProps<number, bigint[]>) => new StackTraceMap(fd, p), {
      ...opts, type: MapType.STACK_TRACE, keySize: 4, valueSize: depth * 8,
    }, { key: u32, value: ips(depth) });
  }
}
