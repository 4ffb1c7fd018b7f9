// BPF_MAP_TYPE_PROG_ARRAY: jump tables for tail calls. Kernel 4.2.
import { MapDecl, type MapTypeName, type Pinning, type HelperResult } from './common.js';
import type { u32 } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/**
 * A table of programs of one kind. tailCall() jumps and never returns on
 * success; on failure (empty slot, > 33 chained calls) it returns and the
 * program continues, so always follow it with a fallback return.
 * @example export const jump = new ProgramArray({ maxEntries: 8 }); ... jump.tailCall(ctx, 2); return XdpAction.PASS;
 */
export class ProgramArray extends MapDecl<u32, u32> {
  readonly type: MapTypeName = 'PROG_ARRAY';
  constructor(opts: { maxEntries: number; pinning?: Pinning; name?: string }) {
    super({ maxEntries: opts.maxEntries, pinning: opts.pinning ?? 'none', ...(opts.name === undefined ? {} : { name: opts.name }) });
  }
  /** bpf_tail_call(ctx, map, index): returns only on failure (a negative errno). */
  tailCall<C>(_ctx: C, _index: u32 | number): HelperResult { return kernelOnly('ProgramArray.tailCall'); }
}
