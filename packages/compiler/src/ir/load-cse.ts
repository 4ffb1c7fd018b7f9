// Redundant loads: a load of [base+off] at the same width and signedness as an
// earlier one still valid on every path becomes a copy (tcp.flags tested twice,
// ctx fields read again). A store makes its value available to a later load of
// the same place (store-to-load forwarding) on stack and map-value memory, and
// on __sk_buff fields the kernel writes back unchanged (mark, priority, cb[]).
// Helper calls forget everything (they may write packet, map and ctx memory); a
// store forgets the overlapping loads through its own base and every load
// through another base into memory of the same (or an unknown) kind — a stack
// store cannot change a ctx field or a map value; redefining a register forgets
// what used it.
import type { Block, Inst, IrFunction, Operand } from './ir.js';
import { successors } from './ir.js';
import { memoryKind, type IntTy, type Ty } from './types.js';

interface Entry { readonly base: number; readonly region: Region; readonly off: number; readonly size: number; readonly key: string; readonly val: Operand }
type Avail = Map<string, Entry>;

const CALLS = new Set<Inst['op']>(['call', 'mapCall', 'lookup', 'update', 'delete', 'ringbufOutput', 'tailCall']);
/**
 * __sk_buff fields a store reads back verbatim: mark (8), priority (32), cb[0..4] (48..67).
 * Not queue_mapping (a store of 0xffff is skipped) nor tc_index (a no-op without NET_SCHED).
 */
const SKB_PLAIN = (off: number, size: number): boolean => (off === 8 || off === 32 || (off >= 48 && off + size <= 68)) && size === 4;

/** Disjoint kinds of memory: a store into one cannot change a load from another. */
type Region = 'ctx' | 'stack' | 'map_value' | 'packet' | 'unknown';
function regionOf(t: Ty): Region {
  const k = memoryKind(t);
  return k === 'ctx' || k === 'stack' || k === 'map_value' || k === 'packet' ? k : 'unknown';
}
const mayAlias = (a: Region, b: Region): boolean => a === b || a === 'unknown' || b === 'unknown';

const keyOf = (base: number, off: number, ty: IntTy): string => `${base}:${off}:${ty.bits}${ty.signed ? 's' : 'u'}`;

function forwardable(fn: IrFunction, i: Extract<Inst, { op: 'store' }>): boolean {
  const t = i.base.ty;
  if (t.kind !== 'ptr') return false;
  if (t.ptr === 'stack' || t.ptr === 'map_value') return true;
  return t.ptr === 'ctx' && i.base.id === fn.ctx.id && fn.ctxKind === '__sk_buff' && SKB_PLAIN(i.off, i.ty.bits / 8);
}

function transfer(fn: IrFunction, avail: Avail, i: Inst): void {
  if (CALLS.has(i.op)) { avail.clear(); return; }
  if (i.op === 'store' || i.op === 'atomic') {
    const size = i.ty.bits / 8;
    const region = regionOf(i.base.ty);
    for (const [k, e] of avail) {
      if (e.base === i.base.id ? e.off < i.off + size && i.off < e.off + e.size : mayAlias(e.region, region)) avail.delete(k);
    }
  }
  if ('dst' in i && i.dst) for (const [k, e] of avail) if (e.base === i.dst.id || (e.val.kind === 'reg' && e.val.reg.id === i.dst.id)) avail.delete(k);
  // A CO-RE load's offset is the local one: two flavours of a struct may share it.
  if (i.op === 'load' && i.dst.id !== i.base.id && !i.core) {
    const key = keyOf(i.base.id, i.off, i.ty);
    avail.set(key, { base: i.base.id, region: regionOf(i.base.ty), off: i.off, size: i.ty.bits / 8, key, val: { kind: 'reg', reg: i.dst } });
  }
  if (i.op === 'store' && forwardable(fn, i)) {
    const v = i.value;
    const ok = v.kind === 'const' || (v.reg.ty.kind === 'int' && v.reg.ty.bits === i.ty.bits && v.reg.ty.signed === i.ty.signed && v.reg.id !== i.base.id);
    const key = keyOf(i.base.id, i.off, i.ty);
    if (ok) avail.set(key, { base: i.base.id, region: regionOf(i.base.ty), off: i.off, size: i.ty.bits / 8, key, val: v });
  }
}

const same = (x: Operand, y: Operand): boolean => (x.kind === 'reg' ? y.kind === 'reg' && x.reg.id === y.reg.id : y.kind === 'const' && x.value === y.value);

function meet(a: Avail | undefined, b: Avail): Avail {
  if (!a) return new Map(b);
  return new Map([...a].filter(([k, e]) => { const o = b.get(k); return o !== undefined && same(o.val, e.val); }));
}

/** Rewrite redundant loads into copies, in place; returns how many. */
export function reuseLoads(fn: IrFunction): number {
  const reach = new Set<Block>();
  const work = [fn.entry];
  while (work.length) { const b = work.pop()!; if (!reach.has(b)) { reach.add(b); work.push(...successors(b)); } }
  const preds = new Map<Block, Block[]>();
  for (const b of reach) for (const s of successors(b)) preds.set(s, [...(preds.get(s) ?? []), b]);
  const out = new Map<Block, Avail>();
  const inOf = (b: Block): Avail => {
    if (b === fn.entry) return new Map();
    let acc: Avail | undefined;
    for (const p of preds.get(b) ?? []) { const o = out.get(p); if (o) acc = meet(acc, o); }
    return acc ?? new Map();
  };
  for (let changed = true, rounds = 0; changed; rounds++) {
    if (rounds > 100) throw new Error(`internal: load reuse did not converge in ${fn.name}`);
    changed = false;
    for (const b of reach) {
      const avail = inOf(b);
      for (const i of b.insts) transfer(fn, avail, i);
      const old = out.get(b);
      if (!old || old.size !== avail.size || [...avail].some(([k, e]) => { const o = old.get(k); return !o || !same(o.val, e.val); })) { out.set(b, avail); changed = true; }
    }
  }
  let n = 0;
  for (const b of reach) {
    const avail = inOf(b);
    b.insts.forEach((i, k) => {
      const have = i.op === 'load' && !i.core ? avail.get(keyOf(i.base.id, i.off, i.ty)) : undefined;
      if (i.op === 'load' && have && !(have.val.kind === 'reg' && have.val.reg.id === i.dst.id)) {
        const src: Operand = have.val.kind === 'const'
          ? { kind: 'const', value: i.ty.signed ? BigInt.asIntN(i.ty.bits, have.val.value) : BigInt.asUintN(i.ty.bits, have.val.value), ty: i.dst.ty }
          : have.val;
        b.insts[k] = { op: 'copy', dst: i.dst, src, pos: i.pos };
        n++;
      }
      transfer(fn, avail, b.insts[k]!);
    });
  }
  return n;
}
