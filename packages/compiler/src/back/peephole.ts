// Extension peepholes on machine IR, before register allocation. isel keeps
// every value normalised after each operation; where the next instruction is a
// 32-bit ALU op on the same register, which reads only the low 32 bits and
// zero-extends its result, the extension just before it is wasted:
//  - `wD = wD` (zero-extend) followed by `wD op= …`            → dropped;
//  - `rD = (s32)rS` followed by `wD op= …`                     → `rD = rS`;
//  - `wD &= 2^k-1`, then only low-bit-preserving 32-bit ops on D
//    (add, sub, mul, lsh, and, or, xor, neg), then `wD &= 2^j-1`, j ≤ k
//                                                              → the first AND goes
//    (the low j bits of those ops depend only on the low j bits of their inputs).
import type { MFunction, MInst, MReg } from './mir.js';

const same = (a: MReg, b: MReg): boolean => a.kind === b.kind && (a.kind === 'v' ? a.v === (b as typeof a).v : a.p === (b as typeof a).p);

/** `w32 op= …` writing `d` (reads only d's low 32 bits). */
function alu32On(i: MInst | undefined, d: MReg): boolean {
  return (i?.k === 'alu' || i?.k === 'neg') && !i.w64 && same(i.dst, d);
}

/** Bits of a low mask 2^k-1 (k in 1..31), else undefined. */
function maskBits(i: MInst | undefined, d: MReg): number | undefined {
  if (i?.k !== 'alu' || i.w64 || i.op !== 'AND' || i.src.kind !== 'imm' || !same(i.dst, d)) return undefined;
  const m = i.src.imm;
  if (m <= 0 || (m & (m + 1)) !== 0) return undefined;
  return Math.log2(m + 1);
}

const LOW_BITS = new Set(['ADD', 'SUB', 'MUL', 'LSH', 'AND', 'OR', 'XOR']);

/** Rewrite in place; returns how many instructions were removed. */
export function extensionPeepholes(fn: MFunction): number {
  let n = 0;
  for (const b of fn.blocks) {
    const out: MInst[] = [];
    const insts = b.insts;
    for (let k = 0; k < insts.length; k++) {
      const i = insts[k]!;
      const next = insts[k + 1];
      if (i.k === 'mov' && !i.w64 && i.src.kind !== 'imm' && same(i.src, i.dst) && alu32On(next, i.dst)) { n++; continue; }
      if (i.k === 'movsx' && i.bits === 32 && alu32On(next, i.dst)) {
        if (!same(i.src, i.dst)) out.push({ k: 'mov', w64: true, dst: i.dst, src: i.src, pos: i.pos }); else n++;
        continue;
      }
      const first = maskBits(i, i.k === 'alu' ? i.dst : { kind: 'p', p: 0 });
      if (first !== undefined && i.k === 'alu') {
        let j = k + 1;
        while (j < insts.length) {
          const x = insts[j]!;
          if (x.k === 'neg' && !x.w64 && same(x.dst, i.dst)) { j++; continue; }
          if (x.k === 'alu' && !x.w64 && same(x.dst, i.dst) && LOW_BITS.has(x.op) && maskBits(x, i.dst) === undefined) { j++; continue; }
          break;
        }
        const last = maskBits(insts[j], i.dst);
        if (j > k + 1 && last !== undefined && last <= first) { n++; continue; }
      }
      out.push(i);
    }
    b.insts = out;
  }
  return n;
}
