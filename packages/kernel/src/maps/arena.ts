// BPF_MAP_TYPE_ARENA (6.9): pages of memory shared between a program and
// userspace (mmap). Always BPF_F_MMAPABLE (1024); maxEntries = pages.
import { MapDecl, type MapTypeName, type Pinning } from './common.js';
import { kernelOnly } from '../kernel-only.js';

/** BPF_F_MMAPABLE: the flag every arena needs (the compiler always sets it). */
export const ARENA_MMAPABLE = 1024;

/**
 * A sparse memory region of `pages` pages. Kernel 6.9. This compiler version
 * creates and loads the map (userspace maps it); kernel-side arena pointers
 * (bpf_arena_alloc_pages kfuncs, address space casts) are not compiled yet (LK6001).
 * @example export const heap = new Arena({ pages: 16 });
 */
export class Arena extends MapDecl<never, never> {
  readonly type: Extract<MapTypeName, 'ARENA'> = 'ARENA';
  readonly pages: number;
  constructor(opts: { pages: number; pinning?: Pinning; name?: string }) {
    super({ maxEntries: opts.pages, flags: ARENA_MMAPABLE, pinning: opts.pinning ?? 'none', ...(opts.name === undefined ? {} : { name: opts.name }) });
    this.pages = opts.pages;
  }
  /** bpf_arena_alloc_pages: not compiled yet (LK6001). */
  allocPages(_count: number): never { return kernelOnly('Arena.allocPages'); }
}
