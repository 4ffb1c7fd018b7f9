// BPF_MAP_TYPE_STACK_TRACE (4.6): call stacks by id. `getStackId(ctx, flags)`
// (bpf_get_stackid) stores the current kernel (or user) stack and returns its
// id, the key userspace reads the addresses under (@lockne/bpf StackTraceMap).
import { MapDecl, type MapTypeName, type Pinning } from './common.js';
import type { u64, i64 } from '../ints.js';
import type { TracepointContext, RawTracepointContext, KprobeContext } from '../context/tracing.js';
import { kernelOnly } from '../kernel-only.js';

/** Flags of getStackId: BPF_F_USER_STACK, BPF_F_FAST_STACK_CMP, BPF_F_REUSE_STACKID (low 8 bits: frames to skip). */
export enum StackIdFlag {
  KERNEL = 0,
  USER_STACK = 0x100,
  FAST_STACK_CMP = 0x200,
  REUSE_STACKID = 0x400,
}

/**
 * Stack traces keyed by u32 id, each `depth` u64 addresses. Kernel 4.6.
 * @example
 * export const stacks = new StackTrace({ maxEntries: 1024 });
 * tracepoint('sched', 'sched_switch', (ctx) => { const id = stacks.getStackId(ctx, StackIdFlag.KERNEL); ...; return 0; });
 */
export class StackTrace extends MapDecl<never, never> {
  readonly type: Extract<MapTypeName, 'STACK_TRACE'> = 'STACK_TRACE';
  /** Frames per stack (value size depth * 8). */
  readonly depth: number;
  constructor(opts: { maxEntries: number; depth?: number; pinning?: Pinning; name?: string }) {
    super({ maxEntries: opts.maxEntries, pinning: opts.pinning ?? 'none', ...(opts.name === undefined ? {} : { name: opts.name }) });
    const d = opts.depth ?? 127;
    if (!Number.isInteger(d) || d < 1 || d > 127) throw new RangeError(`StackTrace: depth must be 1..127, got ${String(d)}`);
    this.depth = d;
  }
  /** bpf_get_stackid(ctx, map, flags): the stack's id (>= 0) or -errno (-EFAULT no stack, -EEXIST/-ENOMEM). */
  getStackId(_ctx: TracepointContext | RawTracepointContext | KprobeContext, _flags?: StackIdFlag | u64 | number): i64 { return kernelOnly('StackTrace.getStackId'); }
}
