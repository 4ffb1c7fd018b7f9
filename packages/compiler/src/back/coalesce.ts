// Copy coalescing before register allocation: a 64-bit `mov v_d, v_s` between
// two virtual registers whose live intervals do not overlap (typically v_s dies
// at the move) merges them into one vreg, so the move becomes a self-move and
// disappears. `d = a; d op= b` two-address sequences and `x = load; y = bswap x`
// lose their copies this way. Intervals are the allocator's (one hull per vreg,
// covering every point where it is live), so disjoint hulls can never hold two
// live values at once: the merge cannot change what any instruction reads.
import { intervals } from './liveness.js';
import type { MFunction } from './mir.js';
import { renameMerged } from './merge-vregs.js';

/** Merge copy-related vregs in place; returns how many moves were removed. */
export function coalesceCopies(fn: MFunction): number {
  const { intervals: list } = intervals(fn);
  const hull = new Map(list.map((it) => [it.v, { start: it.start, end: it.end }]));
  const parent = new Map<number, number>();
  const find = (v: number): number => {
    let r = v;
    while (parent.has(r)) r = parent.get(r)!;
    return r;
  };
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (i.k !== 'mov' || !i.w64 || i.src.kind !== 'v' || i.dst.kind !== 'v') continue;
      const a = find(i.src.v);
      const d = find(i.dst.v);
      if (a === d) continue;
      const ha = hull.get(a);
      const hd = hull.get(d);
      if (!ha || !hd || !(ha.end < hd.start || hd.end < ha.start)) continue;
      parent.set(d, a);
      hull.set(a, { start: Math.min(ha.start, hd.start), end: Math.max(ha.end, hd.end) });
    }
  }
  return renameMerged(fn, parent, find);
}
