// Shared returns: `x = K; br R` where R only does `ret x` becomes `ret K`, and
// every empty block that returns the same constant is replaced by one of them,
// so an early `return K` costs a single conditional jump to a common
// `r0 = K; exit` (clang does the same) instead of its own two instructions.
import type { Block, IrFunction, Terminator } from './ir.js';

function keyOf(t: Terminator | null): string | undefined {
  if (t?.op !== 'ret' || t.value.kind !== 'const') return undefined;
  const ty = t.value.ty;
  return `${t.value.value}:${ty.kind === 'int' ? `${ty.signed ? 'i' : 'u'}${ty.bits}` : ty.kind}`;
}

/** Rewrite in place; returns how many edges were redirected. Orphaned blocks are dropped by layout. */
export function mergeReturns(fn: IrFunction): number {
  const canon = new Map<string, Block>();
  const to = new Map<Block, Block>();
  for (const b of fn.blocks) {
    const k = b.insts.length === 0 ? keyOf(b.term) : undefined;
    if (k === undefined) continue;
    const c = canon.get(k);
    if (c) to.set(b, c); else canon.set(k, b);
  }
  // Sink a constant copied just before a jump to a bare `ret x` (the copy is left dead: DCE drops it).
  for (const b of fn.blocks) {
    const t = b.term;
    const last = b.insts[b.insts.length - 1];
    if (t?.op !== 'br' || t.target.insts.length !== 0 || last?.op !== 'copy' || last.src.kind !== 'const') continue;
    const r = t.target.term;
    if (r?.op !== 'ret' || r.value.kind !== 'reg' || r.value.reg.id !== last.dst.id) continue;
    const ret: Terminator = { op: 'ret', value: last.src, pos: r.pos };
    const c = canon.get(keyOf(ret)!);
    b.term = c ? { op: 'br', target: c, pos: t.pos } : ret;
  }
  let n = 0;
  const m = (b: Block): Block => { const c = to.get(b); if (c) n++; return c ?? b; };
  for (const b of fn.blocks) {
    const t = b.term;
    if (t?.op === 'br') b.term = { ...t, target: m(t.target) };
    else if (t?.op === 'cbr') b.term = { ...t, t: m(t.t), f: m(t.f) };
  }
  return n;
}
