// Copy coalescing by interference: `mov v_d, v_s` (64-bit) merges the two vregs
// when neither is live where the other is written — except at the copy itself
// (and other copies between them), which writes the value both already share.
// This is the classic Chaitin test; it catches what the hull test of
// coalesce.ts cannot: a value copied and then both names read later
// (`b = u64(len)` while `len` stays live), where hulls overlap but the two
// registers always hold the same bits.
// @example  v2 = ldx [v6+0]; v3 = v2; v1 += v3; stx [v7+16], v2  →  v3 becomes v2
import { liveSets } from './liveness.js';
import { defs, uses, type MFunction, type MInst } from './mir.js';
import { renameMerged } from './merge-vregs.js';

interface DefSite { readonly v: number; readonly inst: MInst; readonly liveAfter: ReadonlySet<number> }

/** Merge non-interfering copy-related vregs in place; returns how many moves were removed. */
export function coalesceByInterference(fn: MFunction): number {
  const { liveOut } = liveSets(fn);
  const sites = new Map<number, DefSite[]>();
  for (const b of fn.blocks) {
    const live = new Set(liveOut.get(b.id));
    for (let n = b.insts.length - 1; n >= 0; n--) {
      const i = b.insts[n]!;
      const after = new Set(live);
      for (const d of defs(i)) if (d.kind === 'v') { live.delete(d.v); sites.set(d.v, [...(sites.get(d.v) ?? []), { v: d.v, inst: i, liveAfter: after }]); }
      for (const u of uses(i)) if (u.kind === 'v') live.add(u.v);
    }
  }
  const parent = new Map<number, number>();
  const find = (v: number): number => { let r = v; while (parent.has(r)) r = parent.get(r)!; return r; };
  const members = new Map<number, number[]>();
  const membersOf = (root: number): number[] => members.get(root) ?? [root];
  /** Does some def of class `x` (not a copy from class `y`) happen where a member of `y` is live? */
  const clobbers = (x: number, y: number): boolean => {
    const ys = membersOf(y);
    for (const v of membersOf(x)) {
      for (const s of sites.get(v) ?? []) {
        const i = s.inst;
        if (i.k === 'mov' && i.w64 && i.src.kind === 'v' && find(i.src.v) === y) continue;
        if (ys.some((w) => s.liveAfter.has(w))) return true;
      }
    }
    return false;
  };
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (i.k !== 'mov' || !i.w64 || i.src.kind !== 'v' || i.dst.kind !== 'v') continue;
      const a = find(i.src.v);
      const d = find(i.dst.v);
      if (a === d || clobbers(a, d) || clobbers(d, a)) continue;
      parent.set(d, a);
      members.set(a, [...membersOf(a), ...membersOf(d)]);
      members.delete(d);
    }
  }
  return renameMerged(fn, parent, find);
}
