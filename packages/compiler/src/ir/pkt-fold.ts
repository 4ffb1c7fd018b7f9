// Packet pointer offsets folded into their base: after `p = data + 14` (and a
// header view `v = p or null`), `load [v + 9]` becomes `load [data + 23]` and
// `q = p + 20` becomes `q = data + 34`, while `data` still holds the same value
// on every path. Then the bounds check compares `data + 34` with data_end and the
// verifier gives the range to every pointer derived from `data` by constants
// (same id), so the loads need no copy of their own: clang -O2's shape
// (`r3 = r1; r3 += 34; if r3 > r2 goto …; r4 = *(u8 *)(r1 + 23)`).
// A view that is null on some path still folds: a load through it only runs
// where the program checked it non-null, where it equals `data + k`.
// @example  %3 = ptradd %1, 14; %4 = ptradd %3, 20; %6 = load.u8 [%5+9]  →  %4 = ptradd %1, 34; %6 = load.u8 [%1+23]
import type { Block, Inst, IrFunction, VReg } from './ir.js';
import { successors } from './ir.js';

/** `vreg = base + off` (base a packet pointer), or `null` (the constant 0 of a header view). */
type Fact = { readonly base: VReg; readonly off: number } | 'null';
type Facts = Map<number, Fact>;

/** Instruction offsets are signed 16-bit. */
const MAX_OFF = 0x7fff;

const isPacket = (v: VReg): boolean => v.ty.kind === 'ptr' && (v.ty.ptr === 'packet' || v.ty.ptr === 'packet_or_null');

function factOf(facts: Facts, v: VReg): { base: VReg; off: number } | undefined {
  const f = facts.get(v.id);
  if (f && f !== 'null') return f;
  return isPacket(v) && v.ty.kind === 'ptr' && v.ty.ptr === 'packet' ? { base: v, off: 0 } : undefined;
}

/** Helpers may move packet data (the verifier then drops every packet pointer): start afresh. */
const CALLS = new Set<Inst['op']>(['call', 'mapCall', 'lookup', 'update', 'delete', 'ringbufOutput', 'tailCall']);

function transfer(facts: Facts, i: Inst): void {
  if (CALLS.has(i.op)) facts.clear();
  const dst = 'dst' in i ? i.dst : null;
  let fact: Fact | undefined;
  if (i.op === 'ptradd' && i.off.kind === 'const' && isPacket(i.dst)) {
    const f = factOf(facts, i.base);
    const off = f ? f.off + Number(i.off.value) : undefined;
    if (f && off !== undefined && off >= 0 && off <= MAX_OFF) fact = { base: f.base, off };
  } else if (i.op === 'copy' && isPacket(i.dst)) {
    if (i.src.kind === 'const') fact = i.src.value === 0n ? 'null' : undefined;
    else fact = facts.get(i.src.reg.id) ?? factOf(facts, i.src.reg);
  }
  if (dst) {
    facts.delete(dst.id);
    for (const [v, f] of facts) if (f !== 'null' && f.base.id === dst.id) facts.delete(v);
    if (fact && !(fact !== 'null' && fact.base.id === dst.id)) facts.set(dst.id, fact);
  }
}

const sameFact = (a: Fact, b: Fact): boolean => a === 'null' ? b === 'null' : b !== 'null' && a.base.id === b.base.id && a.off === b.off;

function meet(a: Facts | undefined, b: Facts): Facts {
  if (!a) return new Map(b);
  const out: Facts = new Map();
  for (const [v, fa] of a) {
    const fb = b.get(v);
    if (!fb) continue;
    if (sameFact(fa, fb)) out.set(v, fa);
    else if (fa === 'null') out.set(v, fb);
    else if (fb === 'null') out.set(v, fa);
  }
  return out;
}

/** Rewrite loads, stores and constant pointer adds through folded packet pointers, in place; returns how many. */
export function foldPacketOffsets(fn: IrFunction): number {
  const reach = new Set<Block>();
  const work = [fn.entry];
  while (work.length) { const b = work.pop()!; if (!reach.has(b)) { reach.add(b); work.push(...successors(b)); } }
  const preds = new Map<Block, Block[]>();
  for (const b of reach) for (const s of successors(b)) preds.set(s, [...(preds.get(s) ?? []), b]);
  const out = new Map<Block, Facts>();
  const inOf = (b: Block): Facts => {
    if (b === fn.entry) return new Map();
    let acc: Facts | undefined;
    for (const p of preds.get(b) ?? []) { const o = out.get(p); if (o) acc = meet(acc, o); }
    return acc ?? new Map();
  };
  for (let changed = true, rounds = 0; changed; rounds++) {
    if (rounds > 100) throw new Error(`internal: packet offset folding did not converge in ${fn.name}`);
    changed = false;
    for (const b of reach) {
      const facts = inOf(b);
      for (const i of b.insts) transfer(facts, i);
      const old = out.get(b);
      if (!old || old.size !== facts.size || [...facts].some(([k, f]) => { const o = old.get(k); return !o || !sameFact(o, f); })) { out.set(b, facts); changed = true; }
    }
  }
  let n = 0;
  for (const b of reach) {
    const facts = inOf(b);
    b.insts.forEach((i, k) => {
      if ((i.op === 'load' && !i.core) || i.op === 'store') {
        const f = facts.get(i.base.id);
        if (f && f !== 'null' && f.base.id !== i.base.id && f.off + i.off <= MAX_OFF && f.off + i.off >= 0) {
          b.insts[k] = { ...i, base: f.base, off: f.off + i.off };
          n++;
        }
      } else if (i.op === 'ptradd' && i.off.kind === 'const') {
        const f = facts.get(i.base.id);
        const off = f && f !== 'null' ? f.off + Number(i.off.value) : -1;
        if (f && f !== 'null' && f.base.id !== i.base.id && off >= 0 && off <= MAX_OFF) {
          b.insts[k] = { ...i, base: f.base, off: { kind: 'const', value: BigInt(off), ty: i.off.ty } };
          n++;
        }
      }
      transfer(facts, b.insts[k]!);
    });
  }
  return n;
}
