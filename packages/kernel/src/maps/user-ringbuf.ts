// BPF_MAP_TYPE_USER_RINGBUF (6.1): a ring userspace writes (@lockne/bpf
// UserRingBuffer) and a program drains with bpf_user_ringbuf_drain.
import { MapDecl, type MapTypeName, type Pinning, type HelperResult } from './common.js';
import type { u64 } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/**
 * A userspace → kernel ring of records. Kernel 6.1.
 * `drain` is declared; this compiler version does not compile it yet (LK6001):
 * the map itself compiles and loads, so userspace can already create and fill it.
 * @example export const commands = new UserRingBuf({ size: 1 << 14 });
 */
export class UserRingBuf extends MapDecl<never, never> {
  readonly type: Extract<MapTypeName, 'USER_RINGBUF'> = 'USER_RINGBUF';
  readonly size: number;
  constructor(opts: { size: number; pinning?: Pinning; name?: string }) {
    if (opts === null || typeof opts !== 'object') throw new TypeError('UserRingBuf: options object required');
    if (!Number.isInteger(opts.size) || opts.size <= 0 || (opts.size & (opts.size - 1)) !== 0) {
      throw new RangeError(`UserRingBuf: size must be a power of two, got ${String(opts.size)}`);
    }
    super({ maxEntries: opts.size, pinning: opts.pinning ?? 'none', ...(opts.name === undefined ? {} : { name: opts.name }) });
    this.size = opts.size;
  }
  /** bpf_user_ringbuf_drain(map, callback, ctx, flags): records consumed or -errno. Not compiled yet (LK6001). */
  drain<C>(_callback: (record: unknown, ctx: C) => u64 | number, _ctx: C, _flags?: u64): HelperResult { return kernelOnly('UserRingBuf.drain'); }
}
