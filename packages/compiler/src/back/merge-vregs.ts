// The last step both copy coalescers share: rewrite every merged vreg to its
// representative, then drop the moves that became self-moves.
import { mapRegs, vr, type MFunction } from './mir.js';

/**
 * Rename each vreg in `parent` to `find(v)` in place; returns how many 64-bit self-moves were removed.
 * @example renameMerged(fn, new Map([[3, 2]]), (v) => (v === 3 ? 2 : v)) // `mov v2, v3` disappears
 */
export function renameMerged(fn: MFunction, parent: ReadonlyMap<number, number>, find: (v: number) => number): number {
  if (parent.size === 0) return 0;
  let removed = 0;
  for (const b of fn.blocks) {
    b.insts = b.insts
      .map((i) => mapRegs(i, (r) => (r.kind === 'v' && parent.has(r.v) ? vr(find(r.v)) : r)))
      .filter((i) => {
        const self = i.k === 'mov' && i.w64 && i.src.kind === 'v' && i.dst.kind === 'v' && i.src.v === i.dst.v;
        if (self) removed++;
        return !self;
      });
  }
  return removed;
}
