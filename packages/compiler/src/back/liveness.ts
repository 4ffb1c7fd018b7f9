// Liveness of virtual registers over the machine CFG, and the live intervals the
// linear-scan allocator works on. Positions: instruction n (in layout order)
// reads at 2n and writes at 2n+1, so a value dying at n and one born at n can
// share a register.
import { defs, uses, type MFunction, type MReg } from './mir.js';

export interface Interval {
  readonly v: number;
  start: number;
  end: number;
  /** Physical registers or vregs this one is copied to/from: allocation hints. */
  readonly hintP: Set<number>;
  readonly hintV: Set<number>;
}

/** Occupied ranges of each physical register (call arguments, R0 results, call clobbers, R1 at entry). */
export type FixedRanges = Map<number, Array<[number, number]>>;

const vid = (r: MReg): number | null => (r.kind === 'v' ? r.v : null);

export function liveSets(fn: MFunction): { liveIn: Map<number, Set<number>>; liveOut: Map<number, Set<number>> } {
  const gen = new Map<number, Set<number>>();
  const kill = new Map<number, Set<number>>();
  for (const b of fn.blocks) {
    const g = new Set<number>();
    const k = new Set<number>();
    for (const i of b.insts) {
      for (const u of uses(i)) { const v = vid(u); if (v !== null && !k.has(v)) g.add(v); }
      for (const d of defs(i)) { const v = vid(d); if (v !== null) k.add(v); }
    }
    gen.set(b.id, g);
    kill.set(b.id, k);
  }
  const liveIn = new Map<number, Set<number>>(fn.blocks.map((b) => [b.id, new Set<number>()]));
  const liveOut = new Map<number, Set<number>>(fn.blocks.map((b) => [b.id, new Set<number>()]));
  for (let changed = true; changed; ) {
    changed = false;
    for (let n = fn.blocks.length - 1; n >= 0; n--) {
      const b = fn.blocks[n]!;
      const out = liveOut.get(b.id)!;
      for (const s of b.succ) for (const v of liveIn.get(s) ?? []) if (!out.has(v)) { out.add(v); changed = true; }
      const inn = liveIn.get(b.id)!;
      const k = kill.get(b.id)!;
      for (const v of gen.get(b.id)!) if (!inn.has(v)) { inn.add(v); changed = true; }
      for (const v of out) if (!k.has(v) && !inn.has(v)) { inn.add(v); changed = true; }
    }
  }
  return { liveIn, liveOut };
}

/** One interval per vreg (from first def/live-in to last use/live-out, in layout order) plus fixed ranges. */
export function intervals(fn: MFunction): { intervals: Interval[]; fixed: FixedRanges } {
  const { liveIn, liveOut } = liveSets(fn);
  const map = new Map<number, Interval>();
  const get = (v: number): Interval => {
    let it = map.get(v);
    if (!it) { it = { v, start: Infinity, end: -Infinity, hintP: new Set(), hintV: new Set() }; map.set(v, it); }
    return it;
  };
  const touch = (v: number, p: number): void => {
    const it = get(v);
    it.start = Math.min(it.start, p);
    it.end = Math.max(it.end, p);
  };
  const fixed: FixedRanges = new Map();
  const fixedDef = (p: number, at: number): void => {
    if (p === 10) return;
    const list = fixed.get(p) ?? [];
    list.push([at, at]);
    fixed.set(p, list);
  };
  const fixedUse = (p: number, at: number): void => {
    if (p === 10) return;
    const list = fixed.get(p);
    const last = list?.[list.length - 1];
    if (!last) throw new Error(`internal: r${p} read at ${at} before any write`);
    last[1] = Math.max(last[1], at);
  };
  for (let p = 1; p <= (fn.args ?? 1); p++) fixedDef(p, -1); // ctx arrives in R1 (a callback's arguments in R1..)
  let n = 0;
  for (const b of fn.blocks) {
    const first = 2 * n;
    for (const v of liveIn.get(b.id)!) touch(v, first);
    for (const i of b.insts) {
      for (const u of uses(i)) u.kind === 'v' ? touch(u.v, 2 * n) : fixedUse(u.p, 2 * n);
      for (const d of defs(i)) d.kind === 'v' ? touch(d.v, 2 * n + 1) : fixedDef(d.p, 2 * n + 1);
      if (i.k === 'mov' && i.w64 && i.src.kind !== 'imm') {
        const [s, d] = [i.src, i.dst];
        if (d.kind === 'v' && s.kind === 'p') get(d.v).hintP.add(s.p);
        if (d.kind === 'p' && s.kind === 'v') get(s.v).hintP.add(d.p);
        if (d.kind === 'v' && s.kind === 'v') { get(d.v).hintV.add(s.v); get(s.v).hintV.add(d.v); }
      }
      n++;
    }
    const last = 2 * n - 1;
    if (n > first / 2) for (const v of liveOut.get(b.id)!) touch(v, last);
  }
  return { intervals: [...map.values()].filter((i) => i.start !== Infinity), fixed };
}
