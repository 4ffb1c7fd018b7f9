// Peepholes on allocated machine IR that need to know whether a physical
// register is read again (liveness over R0-R9 and the block graph):
//  - self masks: `wA &= 2^k-1`, low-bit-keeping 32-bit ops on A (other
//    registers' instructions in between), `wA &= 2^j-1`, j ≤ k → the first goes;
//  - operand masks: `wA &= 2^k-1; …; wB op= wA; …; wB &= 2^j-1` with op keeping
//    low bits (add, sub, mul, and, or, xor), j ≤ k and A not read afterwards: the
//    final mask already cuts what the first one would have cut → the first goes;
//  - dead sign extension: `rD = (s32)rS` whose result is only read by 32-bit
//    operations (alu32, mov32, jmp32, stores of ≤ 4 bytes) → `rD = rS` (or nothing);
//  - copy forwarding: `X = Y; …; Z op= X` (nothing in between touches X or Y, X
//    not read afterwards) → `Z op= Y`;
//  - copy propagation across blocks: where a 64-bit `rX = rY` still holds on every
//    path (neither written since), reads of X read Y; the copy then dies
//    (`r7 = r0; if r7 != 0 …; *(u64 *)(r7 + 0)` → `if r0 != 0 …; *(u64 *)(r0 + 0)`).
//    The verifier gives a copy the same id, so a null check or bounds learnt on
//    one name holds for the other.
// @example  w4 &= 65535; w1 += w4; w1 &= 65535   →   w1 += w4; w1 &= 65535   (r4 dead)
import type { MFunction, MInst, MReg } from './mir.js';
import { defs, uses } from './mir.js';

const same = (a: MReg, b: MReg): boolean => a.kind === b.kind && (a.kind === 'v' ? a.v === (b as typeof a).v : a.p === (b as typeof a).p);
const has = (list: MReg[], r: MReg): boolean => list.some((x) => same(x, r));
const touches = (i: MInst, r: MReg): boolean => has(uses(i), r) || has(defs(i), r);
const key = (r: MReg): number => (r.kind === 'p' ? r.p : 100 + r.v);

/** Registers live at the end of each block (physical and virtual alike, by key). */
function liveOutSets(fn: MFunction): Map<number, Set<number>> {
  const liveIn = new Map(fn.blocks.map((b) => [b.id, new Set<number>()]));
  const liveOut = new Map(fn.blocks.map((b) => [b.id, new Set<number>()]));
  for (let changed = true; changed; ) {
    changed = false;
    for (let n = fn.blocks.length - 1; n >= 0; n--) {
      const b = fn.blocks[n]!;
      const out = liveOut.get(b.id)!;
      for (const s of b.succ) for (const v of liveIn.get(s) ?? []) if (!out.has(v)) { out.add(v); changed = true; }
      const live = new Set(out);
      for (let k = b.insts.length - 1; k >= 0; k--) {
        const i = b.insts[k]!;
        for (const d of defs(i)) live.delete(key(d));
        for (const u of uses(i)) live.add(key(u));
      }
      const inn = liveIn.get(b.id)!;
      for (const v of live) if (!inn.has(v)) { inn.add(v); changed = true; }
    }
  }
  return liveOut;
}

/** Is `r` read at or after index `from` of `insts` before being overwritten (block end: live-out)? */
function readLater(insts: MInst[], from: number, r: MReg, out: Set<number>): boolean {
  for (let k = from; k < insts.length; k++) {
    const i = insts[k]!;
    if (has(uses(i), r)) return true;
    if (has(defs(i), r)) return false;
  }
  return out.has(key(r));
}

function lowMask(i: MInst | undefined, d: MReg): number | undefined {
  if (i?.k !== 'alu' || i.w64 || i.op !== 'AND' || i.src.kind !== 'imm' || !same(i.dst, d)) return undefined;
  const m = i.src.imm;
  return m > 0 && (m & (m + 1)) === 0 ? Math.log2(m + 1) : undefined;
}

const KEEPS_LOW = new Set(['ADD', 'SUB', 'MUL', 'AND', 'OR', 'XOR']);

/** Index of the next instruction after `k` touching `r`, or -1. */
function nextTouch(insts: MInst[], k: number, r: MReg): number {
  for (let j = k + 1; j < insts.length; j++) if (touches(insts[j]!, r)) return j;
  return -1;
}

/** `wA &= 2^k-1` at index k is redundant (see the header); */
function operandMaskDead(insts: MInst[], k: number, out: Set<number>): boolean {
  const i = insts[k]!;
  if (i.k !== 'alu') return false;
  const bits = lowMask(i, i.dst);
  if (bits === undefined) return false;
  const a = i.dst;
  const u = nextTouch(insts, k, a);
  const use = insts[u];
  if (!use || use.k !== 'alu' || use.w64 || !KEEPS_LOW.has(use.op) || use.src.kind === 'imm' || !same(use.src, a) || same(use.dst, a)) return false;
  if (readLater(insts, u + 1, a, out)) return false;
  // B = use.dst: only low-bit-keeping 32-bit ops on B until a mask of ≤ bits.
  const b = use.dst;
  for (let j = u + 1; j < insts.length; j++) {
    const x = insts[j]!;
    if (!touches(x, b)) continue;
    const m = lowMask(x, b);
    if (m !== undefined) return m <= bits;
    if (x.k === 'alu' && !x.w64 && same(x.dst, b) && KEEPS_LOW.has(x.op) && (x.src.kind === 'imm' || !same(x.src, b))) continue;
    if (x.k === 'neg' && !x.w64 && same(x.dst, b)) continue;
    return false;
  }
  return false;
}

/** `wA &= 2^k-1` then only low-bit-keeping 32-bit ops on A (others interleaved), then `wA &= 2^j-1`, j ≤ k. */
function selfMaskDead(insts: MInst[], k: number): boolean {
  const i = insts[k]!;
  if (i.k !== 'alu') return false;
  const bits = lowMask(i, i.dst);
  if (bits === undefined) return false;
  const a = i.dst;
  let ops = 0;
  for (let j = k + 1; j < insts.length; j++) {
    const x = insts[j]!;
    if (!touches(x, a)) continue;
    const m = lowMask(x, a);
    if (m !== undefined) return ops > 0 && m <= bits;
    const keeps = x.k === 'alu' && !x.w64 && same(x.dst, a) && (KEEPS_LOW.has(x.op) || x.op === 'LSH') && (x.src.kind === 'imm' || !same(x.src, a));
    if (!keeps && !(x.k === 'neg' && !x.w64 && same(x.dst, a))) return false;
    ops++;
  }
  return false;
}

/** Does every read of `d` after index k (until it is overwritten) look only at its low 32 bits? */
function onlyLow32Reads(insts: MInst[], k: number, d: MReg, out: Set<number>): boolean {
  for (let j = k + 1; j < insts.length; j++) {
    const x = insts[j]!;
    const reads = has(uses(x), d);
    if (reads) {
      const low = (x.k === 'alu' && !x.w64) || (x.k === 'neg' && !x.w64) || (x.k === 'mov' && !x.w64)
        || (x.k === 'jcc' && x.w32) || (x.k === 'stx' && x.size !== 'DW' && same(x.src, d) && !same(x.base, d));
      if (!low) return false;
    }
    if (has(defs(x), d)) return true;
  }
  return !out.has(key(d));
}

/** Available 64-bit copies `x←y` (keys "x:y", physical registers). */
type Copies = Set<string>;

function copyTransfer(avail: Copies, i: MInst): void {
  for (const d of defs(i)) {
    if (d.kind !== 'p') continue;
    for (const c of [...avail]) { const [x, y] = c.split(':'); if (Number(x) === d.p || Number(y) === d.p) avail.delete(c); }
  }
  if (i.k === 'mov' && i.w64 && i.src.kind === 'p' && i.dst.kind === 'p' && i.src.p !== i.dst.p && i.src.p !== 10) avail.add(`${i.dst.p}:${i.src.p}`);
}

/** Replace reads of copies by their sources where the copy holds on every path; returns how many operands changed. */
function propagateCopies(fn: MFunction): number {
  const preds = new Map<number, number[]>();
  for (const b of fn.blocks) for (const s of b.succ) preds.set(s, [...(preds.get(s) ?? []), b.id]);
  const out = new Map<number, Copies>();
  const entry = fn.blocks[0]?.id;
  const inOf = (id: number): Copies => {
    if (id === entry) return new Set();
    let acc: Copies | undefined;
    for (const p of preds.get(id) ?? []) {
      const o = out.get(p);
      if (!o) continue; // not yet visited: optimistic
      acc = acc ? new Set([...acc].filter((c) => o.has(c))) : new Set(o);
    }
    return acc ?? new Set();
  };
  for (let changed = true, rounds = 0; changed; rounds++) {
    if (rounds > 100) throw new Error(`internal: copy propagation did not converge in ${fn.name}`);
    changed = false;
    for (const b of fn.blocks) {
      const avail = inOf(b.id);
      for (const i of b.insts) copyTransfer(avail, i);
      const old = out.get(b.id);
      if (!old || old.size !== avail.size || [...avail].some((c) => !old.has(c))) { out.set(b.id, avail); changed = true; }
    }
  }
  let n = 0;
  for (const b of fn.blocks) {
    const avail = inOf(b.id);
    b.insts.forEach((i, k) => {
      const src = (r: MReg): MReg => {
        if (r.kind !== 'p') return r;
        for (const c of avail) { const [x, y] = c.split(':'); if (Number(x) === r.p) { n++; return { kind: 'p', p: Number(y) as typeof r.p }; } }
        return r;
      };
      // Only operands that are read and not written (a call's or exit's registers are implicit).
      let j: MInst = i;
      switch (i.k) {
        case 'mov': if (i.src.kind === 'p') j = { ...i, src: src(i.src) }; break;
        case 'alu': if (i.src.kind === 'p') j = { ...i, src: src(i.src) }; break;
        case 'jcc': j = { ...i, a: src(i.a), b: i.b.kind === 'p' ? src(i.b) : i.b }; break;
        case 'ldx': j = { ...i, base: src(i.base) }; break;
        case 'st': j = { ...i, base: src(i.base) }; break;
        case 'stx': j = { ...i, base: src(i.base), src: src(i.src) }; break;
        default: break;
      }
      b.insts[k] = j;
      copyTransfer(avail, j);
    });
  }
  return n;
}

/** Drop 64-bit register moves whose destination is never read (left by copy propagation). */
function deadMoves(fn: MFunction, liveOut: Map<number, Set<number>>): number {
  let n = 0;
  for (const b of fn.blocks) {
    const out = liveOut.get(b.id)!;
    for (let k = 0; k < b.insts.length; ) {
      const i = b.insts[k]!;
      const selfMove = i.k === 'mov' && i.w64 && i.src.kind === 'p' && i.dst.kind === 'p' && i.src.p === i.dst.p;
      if (i.k === 'mov' && i.w64 && i.src.kind === 'p' && (selfMove || !readLater(b.insts, k + 1, i.dst, out))) { b.insts.splice(k, 1); n++; } else k++;
    }
  }
  return n;
}

/**
 * Run the peepholes to a fixed point; returns how many instructions were removed.
 * Liveness is computed once per round: a rewrite only shortens live ranges or
 * moves a read within its block, so stale live-out sets are conservative.
 */
export function livenessPeepholes(fn: MFunction): number {
  let removed = 0;
  for (let changed = true; changed; ) {
    changed = false;
    if (propagateCopies(fn) > 0) {
      const dead = deadMoves(fn, liveOutSets(fn));
      removed += dead;
      if (dead > 0) changed = true;
    }
    const liveOut = liveOutSets(fn);
    for (const b of fn.blocks) {
      const out = liveOut.get(b.id)!;
      const insts = b.insts;
      for (let k = 0; k < insts.length; ) {
        if (rewriteAt(insts, k, out)) { removed += 1; changed = true; } else k++;
      }
    }
  }
  return removed;
}

/** Try each peephole at index k; true when one removed or replaced the instruction there. */
function rewriteAt(insts: MInst[], k: number, out: Set<number>): boolean {
  const i = insts[k]!;
  if (selfMaskDead(insts, k) || operandMaskDead(insts, k, out)) { insts.splice(k, 1); return true; }
  if (i.k === 'movsx' && i.bits === 32 && onlyLow32Reads(insts, k, i.dst, out)) {
    if (same(i.src, i.dst)) { insts.splice(k, 1); return true; }
    insts[k] = { k: 'mov', w64: true, dst: i.dst, src: i.src, pos: i.pos };
    return false; // not counted as removed; the mov may still forward below on a later round
  }
  if (i.k !== 'mov' || i.src.kind === 'imm' || same(i.src, i.dst)) return false;
  const x = i.dst;
  const y = i.src;
  const u = nextTouch(insts, k, x);
  const use = insts[u];
  const ty = nextTouch(insts, k, y);
  if (!use || (ty !== -1 && ty < u)) return false;
  // Only the source operand of a same-or-narrower operation: a 32-bit copy gives only low bits.
  const fits = (w64: boolean): boolean => i.w64 || !w64;
  const ok = (use.k === 'alu' || use.k === 'mov') && use.src.kind !== 'imm' && same(use.src, x) && !same(use.dst, x) && fits(use.w64);
  if (!ok || readLater(insts, u + 1, x, out)) return false;
  insts[u] = { ...use, src: y } as MInst;
  insts.splice(k, 1);
  return true;
}
