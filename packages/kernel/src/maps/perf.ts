// BPF_MAP_TYPE_PERF_EVENT_ARRAY: per-CPU perf buffers (@lockne/bpf PerfBuffer). Kernel 4.4.
import { MapDecl, type MapTypeName, type Pinning, type HelperResult } from './common.js';
import type { u32, u64 } from '../ints.js';
import type { TypeDesc } from '../types.js';
import { kernelOnly } from '../kernel-only.js';

/** BPF_F_CURRENT_CPU: output to the buffer of the CPU the program runs on. */
export const CURRENT_CPU = 0xffffffffn as u64;

/**
 * Per-CPU event output; prefer RingBuf on 5.8+.
 * @example export const events = new PerfEventArray(); ... events.output(ctx, Event, ev);
 */
export class PerfEventArray extends MapDecl<u32, u32> {
  readonly type: MapTypeName = 'PERF_EVENT_ARRAY';
  /** maxEntries 0 lets the loader size it to the number of possible CPUs. */
  constructor(opts: { maxEntries?: number; pinning?: Pinning; name?: string } = {}) {
    super({ maxEntries: opts.maxEntries ?? 0, pinning: opts.pinning ?? 'none', ...(opts.name === undefined ? {} : { name: opts.name }) });
  }
  /** bpf_perf_event_output(ctx, map, flags, &value, sizeof T). 0 or -errno. */
  output<C, T>(_ctx: C, _type: TypeDesc<T>, _value: T, _flags?: u64): HelperResult { return kernelOnly('PerfEventArray.output'); }
}
