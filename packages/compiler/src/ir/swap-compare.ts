// `ntohs(x) == K` → `x == htons(K)`: when a compare-and-branch tests for
// (in)equality the result of a bswap made in the same block, compare its
// source with the byte-swapped constant instead; the swap is then usually dead.
// Only for an unsigned source no wider than the swap (so it is zero-extended and
// the swap is a bijection on its values) and a constant the swap can produce.
import type { Inst, IrFunction, VReg } from './ir.js';

export function swapBits(v: bigint, bits: 16 | 32): bigint {
  let r = 0n;
  for (let k = 0; k < bits / 8; k++) r = (r << 8n) | ((v >> BigInt(8 * k)) & 0xffn);
  return r;
}

function writes(i: Inst, r: VReg): boolean {
  return 'dst' in i && i.dst !== null && i.dst.id === r.id;
}

/** Rewrite in place; returns how many compares changed. */
export function compareSwapped(fn: IrFunction): number {
  let n = 0;
  for (const b of fn.blocks) {
    const t = b.term;
    if (t?.op !== 'cbr' || (t.cond !== 'eq' && t.cond !== 'ne')) continue;
    const [x, c] = t.a.kind === 'reg' && t.b.kind === 'const' ? [t.a, t.b] : t.b.kind === 'reg' && t.a.kind === 'const' ? [t.b, t.a] : [];
    if (!x || !c || x.kind !== 'reg' || c.kind !== 'const') continue;
    // The def reaching the branch, and its source unchanged since.
    let k = b.insts.length - 1;
    while (k >= 0 && !writes(b.insts[k]!, x.reg)) k--;
    const sw = b.insts[k];
    if (sw?.op !== 'bswap' || sw.src.kind !== 'reg') continue;
    const src = sw.src.reg;
    if (src.ty.kind !== 'int' || src.ty.signed || src.ty.bits > sw.bits || src.id === x.reg.id) continue;
    if (b.insts.slice(k + 1).some((i) => writes(i, src))) continue;
    if (c.value < 0n || c.value >= 1n << BigInt(sw.bits)) continue;
    const swapped = { kind: 'const' as const, value: swapBits(c.value, sw.bits), ty: c.ty };
    b.term = { ...t, a: { kind: 'reg', reg: src }, b: swapped };
    n++;
  }
  return n;
}
