// BPF_MAP_TYPE_RINGBUF: a shared MPSC byte ring read by userspace (@lockne/bpf RingBuffer). Kernel 5.8.
import { MapDecl, type MapTypeName, type Pinning, type Ref, type HelperResult } from './common.js';
import type { u64 } from '../ints.js';
import type { TypeDesc } from '../types.js';
import { kernelOnly } from '../kernel-only.js';

/** Flags of ringbuf submit/output: wake the reader now or never (default: adaptive). */
export enum RingBufWakeup {
  ADAPTIVE = 0,
  NO_WAKEUP = 1,
  FORCE_WAKEUP = 2,
}

export interface RingBufOptions {
  /** Size in bytes: a power of two and a multiple of the page size. */
  size: number;
  pinning?: Pinning;
  name?: string;
}

/**
 * A ring buffer of records. Reserve-then-submit writes in place (no copy);
 * output() copies a value. Every reserved record must be submitted or
 * discarded on every path (the verifier tracks it; the compiler reports LK3004).
 * @example
 * export const events = new RingBuf({ size: 1 << 16 });
 * const e = events.reserve(Event); if (e !== null) { e.value.pid = u32(pid); events.submit(e); }
 */
export class RingBuf extends MapDecl<never, never> {
  readonly type: MapTypeName = 'RINGBUF';
  readonly size: number;
  constructor(opts: RingBufOptions) {
    if (opts === null || typeof opts !== 'object') throw new TypeError('RingBuf: options object required');
    if (!Number.isInteger(opts.size) || opts.size <= 0 || (opts.size & (opts.size - 1)) !== 0) {
      throw new RangeError(`RingBuf: size must be a power of two, got ${String(opts.size)}`);
    }
    super({ maxEntries: opts.size, pinning: opts.pinning ?? 'none', ...(opts.name === undefined ? {} : { name: opts.name }) });
    this.size = opts.size;
  }
  /** bpf_ringbuf_reserve(sizeof T): a record to fill, or null when the ring is full. */
  reserve<T>(_type: TypeDesc<T>): Ref<T> | null { return kernelOnly('RingBuf.reserve'); }
  /** bpf_ringbuf_submit: publish a reserved record. */
  submit<T>(_record: Ref<T>, _flags?: RingBufWakeup): void { kernelOnly('RingBuf.submit'); }
  /** bpf_ringbuf_discard: drop a reserved record. */
  discard<T>(_record: Ref<T>, _flags?: RingBufWakeup): void { kernelOnly('RingBuf.discard'); }
  /** bpf_ringbuf_output: copy `value` (laid out as `type`) into the ring. 0 or -errno. */
  output<T>(_type: TypeDesc<T>, _value: T, _flags?: RingBufWakeup | u64): HelperResult { return kernelOnly('RingBuf.output'); }
}
