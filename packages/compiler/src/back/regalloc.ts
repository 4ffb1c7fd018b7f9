// Linear-scan register allocation with precoloured call arguments and results.
// R1-R5 are clobbered by calls (modelled as fixed ranges), so a value live across
// a call can only get R6-R9; R10 is never allocated. When registers run out, the
// value ending last is spilled to an 8-byte, 8-aligned stack slot with DW
// loads/stores around each use/def, and allocation runs again.
// Later: interval splitting, rematerialisation of constants/r10+k, shared spill slots.
import { extensionPeepholes } from './peephole.js';
import { livenessPeepholes } from './peephole-phys.js';
import type { Reg } from '@lockne/obj';
import { coalesceCopies } from './coalesce.js';
import { coalesceByInterference } from './coalesce-live.js';
import { intervals, liveSets, type FixedRanges, type Interval } from './liveness.js';
import { defs, isPure, mapRegs, pr, R10, uses, vr, type MFunction, type MInst, type MReg } from './mir.js';

const ORDER: Reg[] = [1, 2, 3, 4, 5, 0, 6, 7, 8, 9];

export class RegAllocError extends Error {}

function conflicts(fixed: FixedRanges, p: number, it: Interval): boolean {
  for (const [a, b] of fixed.get(p) ?? []) if (it.start <= b && a <= it.end) return true;
  return false;
}

interface Result { assign: Map<number, Reg>; spilled: number[] }

function scan(fn: MFunction, unspillable: Set<number>): Result {
  const { intervals: list, fixed } = intervals(fn);
  list.sort((a, b) => a.start - b.start || a.end - b.end);
  const assign = new Map<number, Reg>();
  const active: Interval[] = [];
  const spilled: number[] = [];
  for (const it of list) {
    for (let k = active.length - 1; k >= 0; k--) if (active[k]!.end < it.start) active.splice(k, 1);
    const taken = new Set(active.map((a) => assign.get(a.v)!));
    const ok = (p: Reg): boolean => !taken.has(p) && !conflicts(fixed, p, it);
    // Only allocatable registers may come from a hint: a copy from r10 (the
    // frame pointer) must not place the value in r10 itself.
    const hints: Reg[] = [...it.hintP].filter((p) => ORDER.includes(p as Reg)).map((p) => p as Reg);
    for (const v of it.hintV) { const p = assign.get(v); if (p !== undefined) hints.push(p); }
    const choice = [...hints, ...ORDER].find(ok);
    if (choice !== undefined) {
      assign.set(it.v, choice);
      active.push(it);
      continue;
    }
    // Out of registers: give up the active value that ends last, if its register suits this one.
    const victim = active
      .filter((a) => !unspillable.has(a.v) && a.end > it.end && !conflicts(fixed, assign.get(a.v)!, it))
      .sort((a, b) => b.end - a.end)[0];
    if (victim) {
      assign.set(it.v, assign.get(victim.v)!);
      assign.delete(victim.v);
      active.splice(active.indexOf(victim), 1);
      active.push(it);
      spilled.push(victim.v);
    } else if (!unspillable.has(it.v)) {
      spilled.push(it.v);
    } else {
      throw new RegAllocError(`${fn.name}: no register for a spill temporary (v${it.v})`);
    }
  }
  return { assign, spilled };
}

/** Replace spilled vregs by short-lived temporaries loaded from / stored to their slot. */
function rewriteSpills(fn: MFunction, spilled: number[], unspillable: Set<number>): void {
  const slots = new Map(spilled.map((v) => [v, fn.frame.alloc(8, 8)]));
  for (const b of fn.blocks) {
    const out: MInst[] = [];
    for (const i of b.insts) {
      const before: MInst[] = [];
      const after: MInst[] = [];
      const temps = new Map<number, MReg>();
      const rewritten = mapRegs(i, (r, role) => {
        if (r.kind !== 'v' || !slots.has(r.v)) return r;
        const off = slots.get(r.v)!;
        let t = temps.get(r.v);
        if (!t) {
          const id = fn.nextVreg++;
          t = vr(id);
          unspillable.add(id);
          temps.set(r.v, t);
          if (role !== 'def') before.push({ k: 'ldx', size: 'DW', dst: t, base: R10, off, pos: i.pos });
          if (role !== 'use') after.push({ k: 'stx', size: 'DW', base: R10, off, src: t, pos: i.pos });
        } else if (role !== 'use' && !after.length) {
          after.push({ k: 'stx', size: 'DW', base: R10, off, src: t, pos: i.pos });
        }
        return t;
      });
      out.push(...before, rewritten, ...after);
    }
    b.insts = out;
  }
}

/** Drop pure instructions whose result nobody reads (iterates: chains die too). */
export function deadCodeElimination(fn: MFunction): void {
  // Backwards over each block from its live-out set: a pure instruction whose
  // result is not live afterwards goes (e.g. a null written on a path that never reads it).
  for (let changed = true; changed; ) {
    changed = false;
    const { liveOut } = liveSets(fn);
    for (const b of fn.blocks) {
      const live = new Set(liveOut.get(b.id));
      const kept: typeof b.insts = [];
      for (let n = b.insts.length - 1; n >= 0; n--) {
        const i = b.insts[n]!;
        if (isPure(i) && defs(i).every((d) => d.kind === 'v' && !live.has(d.v))) { changed = true; continue; }
        for (const d of defs(i)) if (d.kind === 'v') live.delete(d.v);
        for (const u of uses(i)) if (u.kind === 'v') live.add(u.v);
        kept.push(i);
      }
      b.insts = kept.reverse();
    }
  }
}

/** Machine instruction count (LD_IMM64 takes two slots), then frame size: what we minimise. */
function cost(fn: MFunction): number {
  let n = 0;
  for (const b of fn.blocks) for (const i of b.insts) n += i.k === 'ld64' || i.k === 'ldmap' ? 2 : 1;
  return n * 1024 + fn.frame.size;
}

function cloneFn(fn: MFunction): MFunction {
  return { name: fn.name, nextVreg: fn.nextVreg, frame: fn.frame.clone(), blocks: fn.blocks.map((b) => ({ ...b, insts: [...b.insts] })), ...(fn.args === undefined ? {} : { args: fn.args }) };
}

/**
 * Allocate physical registers in place; afterwards every operand is physical.
 * Allocates up to three times: without copy coalescing, with hull-disjoint
 * merges, and with interference-based merges on top (a merged interval can force
 * spills the copy would have avoided), and keeps the smallest code.
 */
export function allocateRegisters(fn: MFunction): void {
  const plain = cloneFn(fn);
  allocateOnce(plain);
  let best = plain;
  const tryVariant = (v: MFunction): void => {
    try {
      allocateOnce(v);
      if (cost(v) < cost(best)) best = v;
    } catch (e) {
      if (!(e instanceof RegAllocError)) throw e;
    }
  };
  const merged = cloneFn(fn);
  const hullMerges = coalesceCopies(merged);
  const deeper = cloneFn(merged);
  if (hullMerges > 0) tryVariant(merged);
  // Then copies whose hulls overlap but whose values never differ (a merged
  // interval is longer, so it may spill: kept only when smaller).
  if (coalesceByInterference(deeper) > 0) tryVariant(deeper);
  fn.blocks.forEach((b, k) => { b.insts = best.blocks[k]!.insts; });
  fn.nextVreg = best.nextVreg;
  fn.frame.adopt(best.frame);
  extensionPeepholes(fn); // on physical registers: copies are coalesced by now
  livenessPeepholes(fn);
}

function allocateOnce(fn: MFunction): void {
  const unspillable = new Set<number>();
  for (let round = 0; ; round++) {
    if (round > 20) throw new RegAllocError(`${fn.name}: register allocation did not converge`);
    const { assign, spilled } = scan(fn, unspillable);
    if (spilled.length) {
      rewriteSpills(fn, spilled, unspillable);
      continue;
    }
    for (const b of fn.blocks) {
      b.insts = b.insts
        .map((i) => mapRegs(i, (r) => (r.kind === 'v' ? pr(assign.get(r.v) ?? 0) : r)))
        // A 64-bit self-move is a no-op (a 32-bit one zero-extends and stays).
        .filter((i) => !(i.k === 'mov' && i.w64 && i.src.kind === 'p' && i.dst.kind === 'p' && i.src.p === i.dst.p));
    }
    return;
  }
}
