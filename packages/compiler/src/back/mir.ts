// Machine IR: eBPF instructions over virtual and physical registers, grouped in
// blocks that are already in final layout order. Instruction selection produces
// it, the register allocator rewrites virtual registers into physical ones, and
// the emitter encodes it. Peepholes run on this form.
import type { AluOp, AtomicOpName, JmpCondName, Reg, SizeName } from '@lockne/obj';
import type { SourcePos } from '../diagnostics.js';
import type { CoreRelo } from '../ir/ir.js';

/** A virtual register (allocated later) or a precoloured physical one. */
export type MReg = { readonly kind: 'v'; readonly v: number } | { readonly kind: 'p'; readonly p: Reg };
export type MSrc = MReg | { readonly kind: 'imm'; readonly imm: number };

export type MInst =
  /** With `core`, an immediate the loader relocates (CO-RE): passes must keep it as it is. */
  | { k: 'mov'; w64: boolean; dst: MReg; src: MSrc; pos: SourcePos; core?: CoreRelo }
  | { k: 'alu'; w64: boolean; op: AluOp; dst: MReg; src: MSrc; pos: SourcePos }
  | { k: 'neg'; w64: boolean; dst: MReg; pos: SourcePos }
  | { k: 'movsx'; dst: MReg; src: MReg; bits: 8 | 16 | 32; pos: SourcePos }
  | { k: 'ld64'; dst: MReg; value: bigint; pos: SourcePos }
  /** LD_IMM64 of a map, global (`fn` false) or subprogram (`fn`: a function address) by name. */
  | { k: 'ldmap'; dst: MReg; map: string; fn?: boolean; pos: SourcePos }
  /** With `core`, `off` is a field offset the loader relocates (CO-RE): passes must keep it as it is. */
  | { k: 'ldx'; size: SizeName; dst: MReg; base: MReg; off: number; pos: SourcePos; core?: CoreRelo }
  | { k: 'stx'; size: SizeName; base: MReg; off: number; src: MReg; pos: SourcePos }
  | { k: 'st'; size: SizeName; base: MReg; off: number; imm: number; pos: SourcePos }
  | { k: 'end'; dst: MReg; bits: 16 | 32; pos: SourcePos }
  /** BPF_ATOMIC: FETCH_* and XCHG write the old value into src; CMPXCHG compares with and writes R0. */
  | { k: 'atomic'; op: AtomicOpName; size: 'W' | 'DW'; base: MReg; off: number; src: MReg; pos: SourcePos }
  | { k: 'call'; helper: number; nargs: number; pos: SourcePos }
  | { k: 'exit'; pos: SourcePos }
  | { k: 'jcc'; op: JmpCondName; w32: boolean; a: MReg; b: MSrc; target: number; pos: SourcePos }
  | { k: 'ja'; target: number; pos: SourcePos };

export interface MBlock {
  /** The IR block id; the label `b<id>`. */
  readonly id: number;
  insts: MInst[];
  /** Successor block ids (control flow, for liveness). */
  readonly succ: number[];
}

export interface MFunction {
  readonly name: string;
  readonly blocks: MBlock[];
  /** Next free virtual register number. */
  nextVreg: number;
  readonly frame: Frame;
  /** Argument registers live at entry, R1..R<args> (1 when absent: a program's ctx). */
  readonly args?: number;
}

export const vr = (v: number): MReg => ({ kind: 'v', v });
export const pr = (p: Reg): MReg => ({ kind: 'p', p });
export const imm = (n: number): MSrc => ({ kind: 'imm', imm: n });
export const R10 = pr(10);

const CALL_CLOBBERS: Reg[] = [0, 1, 2, 3, 4, 5];
const ARG_REGS: Reg[] = [1, 2, 3, 4, 5];

function isReg(s: MSrc): s is MReg {
  return s.kind !== 'imm';
}

/** Atomic operations that return the old value (in src, or R0 for CMPXCHG). */
export function fetches(op: AtomicOpName): boolean {
  return op.startsWith('FETCH_') || op === 'XCHG' || op === 'CMPXCHG';
}

/** Registers an instruction reads. */
export function uses(i: MInst): MReg[] {
  switch (i.k) {
    case 'mov': return isReg(i.src) ? [i.src] : [];
    case 'alu': return isReg(i.src) ? [i.dst, i.src] : [i.dst];
    case 'neg': case 'end': return [i.dst];
    case 'atomic': return i.op === 'CMPXCHG' ? [i.base, i.src, pr(0)] : [i.base, i.src];
    case 'movsx': return [i.src];
    case 'ld64': case 'ldmap': case 'ja': return [];
    case 'ldx': return [i.base];
    case 'stx': return [i.base, i.src];
    case 'st': return [i.base];
    case 'call': return ARG_REGS.slice(0, i.nargs).map(pr);
    case 'exit': return [pr(0)];
    case 'jcc': return isReg(i.b) ? [i.a, i.b] : [i.a];
  }
}

/** Registers an instruction writes (a call clobbers R0-R5). */
export function defs(i: MInst): MReg[] {
  switch (i.k) {
    case 'mov': case 'alu': case 'neg': case 'end': case 'movsx': case 'ld64': case 'ldmap': case 'ldx': return [i.dst];
    case 'call': return CALL_CLOBBERS.map(pr);
    case 'atomic': return i.op === 'CMPXCHG' ? [pr(0)] : fetches(i.op) ? [i.src] : [];
    default: return [];
  }
}

/** True for instructions with no effect but their destination register. */
export function isPure(i: MInst): boolean {
  return i.k === 'mov' || i.k === 'alu' || i.k === 'neg' || i.k === 'end' || i.k === 'movsx' || i.k === 'ld64' || i.k === 'ldmap' || i.k === 'ldx';
}

/** Apply `f` to every register operand (for rewriting after allocation or spilling). */
export function mapRegs(i: MInst, f: (r: MReg, role: 'use' | 'def' | 'both') => MReg): MInst {
  switch (i.k) {
    case 'mov': return { ...i, src: isReg(i.src) ? f(i.src, 'use') : i.src, dst: f(i.dst, 'def') };
    case 'alu': return { ...i, src: isReg(i.src) ? f(i.src, 'use') : i.src, dst: f(i.dst, 'both') };
    case 'neg': case 'end': return { ...i, dst: f(i.dst, 'both') };
    case 'atomic': return { ...i, base: f(i.base, 'use'), src: f(i.src, fetches(i.op) && i.op !== 'CMPXCHG' ? 'both' : 'use') };
    case 'movsx': return { ...i, src: f(i.src, 'use'), dst: f(i.dst, 'def') };
    case 'ld64': case 'ldmap': return { ...i, dst: f(i.dst, 'def') };
    case 'ldx': return { ...i, base: f(i.base, 'use'), dst: f(i.dst, 'def') };
    case 'stx': return { ...i, base: f(i.base, 'use'), src: f(i.src, 'use') };
    case 'st': return { ...i, base: f(i.base, 'use') };
    case 'jcc': return { ...i, a: f(i.a, 'use'), b: isReg(i.b) ? f(i.b, 'use') : i.b };
    default: return i;
  }
}

/**
 * The stack frame: fixed, aligned slots below R10. Spill slots are 8 bytes and
 * 8-aligned and are never written at another width (verifier rule).
 */
export class Frame {
  private used = 0;
  /** Reserve `size` bytes aligned to `align`; returns the (negative) offset from R10. */
  alloc(size: number, align: number): number {
    this.used = Math.ceil((this.used + size) / align) * align;
    return -this.used;
  }
  get size(): number {
    return this.used;
  }
  /** A copy (for trying an allocation strategy and keeping the better one). */
  clone(): Frame {
    const f = new Frame();
    f.used = this.used;
    return f;
  }
  /** Take over another frame's reservations (the strategy that won). */
  adopt(other: Frame): void {
    this.used = other.used;
  }
}
