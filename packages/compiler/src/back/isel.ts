// Instruction selection: IR → machine IR with virtual registers. Keeps the
// normalisation invariant (unsigned zero-extended, signed sign-extended in 64
// bits) after every operation, moves call arguments into R1-R5 and results out
// of R0 (precoloured), and lays blocks out in reverse post-order so branches
// fall through where they can.
import type { AluOp, JmpCondName, SizeName } from '@lockne/obj';
import type { SourcePos } from '../diagnostics.js';
import { successors, type Block, type BinOp, type CondOp, type Inst, type IrFunction, type MapRef, type Operand, type Terminator, type VReg } from '../ir/ir.js';
import { layoutAlign, layoutSize, type IntTy, type Layout, type Ty } from '../ir/types.js';
import { threadJumps } from '../ir/thread.js';
import { reuseCtxPointers } from '../ir/ctx-cse.js';
import { mergeReturns } from '../ir/returns.js';
import { reuseLoads } from '../ir/load-cse.js';
import { foldPacketOffsets } from '../ir/pkt-fold.js';
import { compareSwapped } from '../ir/swap-compare.js';
import { Frame, imm, pr, R10, vr, type MBlock, type MFunction, type MInst, type MReg, type MSrc } from './mir.js';

const HELPER = { lookup: 1, update: 2, delete: 3, ringbufOutput: 130 } as const;

/** Reverse post-order of the blocks reachable from entry (unreachable blocks are never emitted). */
export function layout(fn: IrFunction): Block[] {
  const seen = new Set<number>();
  const post: Block[] = [];
  const visit = (b: Block): void => {
    seen.add(b.id);
    // Visit the false edge first so the true edge ends up right after: `if` bodies fall through.
    for (const s of successors(b).reverse()) if (!seen.has(s.id)) visit(s);
    post.push(b);
  };
  visit(fn.entry);
  return post.reverse();
}

export const SIZE_OF_BITS: Record<number, SizeName> = { 8: 'B', 16: 'H', 32: 'W', 64: 'DW' };

const fitsS32 = (v: bigint): boolean => v >= -(1n << 31n) && v < 1n << 31n;
const low32 = (v: bigint): number => Number(BigInt.asIntN(32, v));

class Selector {
  private out: MInst[] = [];
  private next: number;
  readonly frame = new Frame();
  /** Stack-slot vregs → their frame offset: addressed as r10+k, never held in a register. */
  private readonly slots = new Map<number, number>();

  constructor(private readonly fn: IrFunction) {
    this.next = fn.vregs.length;
  }

  temp(): MReg {
    return vr(this.next++);
  }

  run(): MFunction {
    const order = layout(this.fn);
    const blocks: MBlock[] = [];
    order.forEach((b, idx) => {
      this.out = [];
      if (b === this.fn.entry) {
        this.emit({ k: 'mov', w64: true, dst: vr(this.fn.ctx.id), src: pr(1), pos: this.fn.pos });
        this.fn.params.forEach((p, k) => this.emit({ k: 'mov', w64: true, dst: vr(p.id), src: pr((k + 2) as 2 | 3 | 4 | 5), pos: this.fn.pos }));
      }
      for (const i of b.insts) this.inst(i);
      if (!b.term) throw new Error(`internal: block b${b.id} of ${this.fn.name} has no terminator`);
      this.term(b.term, order[idx + 1]?.id);
      blocks.push({ id: b.id, insts: this.out, succ: successors(b).map((s) => s.id) });
    });
    return { name: this.fn.name, blocks, nextVreg: this.next, frame: this.frame, args: 1 + this.fn.params.length };
  }

  private emit(i: MInst): void {
    this.out.push(i);
  }

  /** A register holding `o` (constants are materialised). */
  private regOf(o: Operand, pos: SourcePos): MReg {
    if (o.kind === 'reg' && this.slots.has(o.reg.id)) {
      const t = this.temp();
      this.move(t, o, pos);
      return t;
    }
    if (o.kind === 'reg') return vr(o.reg.id);
    const t = this.temp();
    this.movConst(t, o.value, pos);
    return t;
  }

  private movConst(dst: MReg, v: bigint, pos: SourcePos): void {
    const s = BigInt.asIntN(64, v);
    if (fitsS32(s)) this.emit({ k: 'mov', w64: true, dst, src: imm(Number(s)), pos });
    else this.emit({ k: 'ld64', dst, value: s, pos });
  }

  /** `o` as an ALU source: an immediate when it fits the operation's width. */
  private srcOf(o: Operand, w64: boolean, pos: SourcePos): MSrc {
    if (o.kind === 'reg') return this.regOf(o, pos);
    if (!w64) return imm(low32(o.value));
    const s = BigInt.asIntN(64, o.value);
    return fitsS32(s) ? imm(Number(s)) : this.regOf(o, pos);
  }

  private move(dst: MReg, o: Operand, pos: SourcePos): void {
    const slot = o.kind === 'reg' ? this.slots.get(o.reg.id) : undefined;
    if (slot !== undefined) {
      // A stack address, `dst = r10; dst += off` as clang writes it. The
      // allocator never places dst in r10 itself (see the hint filter in regalloc.ts).
      this.emit({ k: 'mov', w64: true, dst, src: R10, pos });
      this.emit({ k: 'alu', w64: true, op: 'ADD', dst, src: imm(slot), pos });
    } else if (o.kind === 'const') this.movConst(dst, o.value, pos);
    else this.emit({ k: 'mov', w64: true, dst, src: vr(o.reg.id), pos });
  }

  /** Re-establish the normalised form of a `ty` value in `dst` after a 32-bit or wrapping op. */
  private normalise(dst: MReg, ty: IntTy, pos: SourcePos, mayOverflow: boolean): void {
    if (ty.bits === 64) return;
    if (ty.signed) this.emit({ k: 'movsx', dst, src: dst, bits: ty.bits, pos });
    else if (ty.bits < 32 && mayOverflow) this.emit({ k: 'alu', w64: false, op: 'AND', dst, src: imm((1 << ty.bits) - 1), pos });
  }

  /** A memory operand: slot vregs address r10 directly. */
  private mem(base: VReg, off: number): { base: MReg; off: number } {
    const slot = this.slots.get(base.id);
    return slot === undefined ? { base: vr(base.id), off } : { base: R10, off: slot + off };
  }

  private inst(i: Inst): void {
    const pos = i.pos;
    switch (i.op) {
      case 'slot': {
        this.slots.set(i.dst.id, this.frame.alloc(i.size, Math.max(i.align, 1)));
        return;
      }
      case 'ctxptr': {
        this.emit({ k: 'ldx', size: 'W', dst: vr(i.dst.id), base: vr(this.fn.ctx.id), off: i.off, pos });
        return;
      }
      case 'ptradd': {
        const d = vr(i.dst.id);
        // A constant offset into a stack slot folds into the frame offset: `d = r10; d += slot + off`.
        const slot = this.slots.get(i.base.id);
        if (slot !== undefined && i.off.kind === 'const' && fitsS32(BigInt(slot) + i.off.value)) {
          this.emit({ k: 'mov', w64: true, dst: d, src: R10, pos });
          this.emit({ k: 'alu', w64: true, op: 'ADD', dst: d, src: imm(slot + Number(i.off.value)), pos });
          return;
        }
        this.move(d, { kind: 'reg', reg: i.base }, pos);
        if (i.off.kind === 'const' && i.off.value === 0n) return;
        this.emit({ k: 'alu', w64: true, op: 'ADD', dst: d, src: this.srcOf(i.off, true, pos), pos });
        return;
      }
      case 'bswap': {
        const d = vr(i.dst.id);
        this.move(d, i.src, pos);
        this.emit({ k: 'end', dst: d, bits: i.bits, pos });
        return;
      }
      case 'ringbufOutput': {
        const off = this.spillToStack(i.data, i.layout, pos);
        this.emit({ k: 'ldmap', dst: pr(1), map: i.map.name, pos });
        this.emit({ k: 'mov', w64: true, dst: pr(2), src: R10, pos });
        this.emit({ k: 'alu', w64: true, op: 'ADD', dst: pr(2), src: imm(off), pos });
        this.emit({ k: 'mov', w64: true, dst: pr(3), src: imm(layoutSize(i.layout)), pos });
        this.move(pr(4), i.flags, pos);
        this.emit({ k: 'call', helper: HELPER.ringbufOutput, nargs: 4, pos });
        if (i.dst) this.emit({ k: 'mov', w64: true, dst: vr(i.dst.id), src: pr(0), pos });
        return;
      }
      case 'atomic': {
        const m = this.mem(i.base, i.off);
        const size = i.ty.bits === 64 ? 'DW' : 'W';
        if (i.aop === 'cmpxchg') {
          // R0 holds the expected value in and the old value out (32-bit forms zero-extend it).
          this.move(pr(0), i.expected ?? { kind: 'const', value: 0n, ty: i.ty }, pos);
          this.emit({ k: 'atomic', op: 'CMPXCHG', size, base: m.base, off: m.off, src: this.regOf(i.value, pos), pos });
          if (i.dst) this.emit({ k: 'mov', w64: true, dst: vr(i.dst.id), src: pr(0), pos });
          return;
        }
        const name = i.aop.toUpperCase() as 'ADD' | 'AND' | 'OR' | 'XOR' | 'XCHG';
        if (!i.dst && name !== 'XCHG') {
          this.emit({ k: 'atomic', op: name, size, base: m.base, off: m.off, src: this.regOf(i.value, pos), pos });
          return;
        }
        // The old value comes back in the source register: give it a register of its own.
        const t = this.temp();
        this.move(t, i.value, pos);
        this.emit({ k: 'atomic', op: name === 'XCHG' ? 'XCHG' : `FETCH_${name}`, size, base: m.base, off: m.off, src: t, pos });
        if (i.dst) this.emit({ k: 'mov', w64: true, dst: vr(i.dst.id), src: t, pos });
        return;
      }
      case 'copy': return this.move(vr(i.dst.id), i.src, pos);
      case 'bin': return this.bin(i.dst, i.bin, i.a, i.b, i.ty, pos);
      case 'neg': {
        const d = vr(i.dst.id);
        this.move(d, i.a, pos);
        this.emit({ k: 'neg', w64: i.ty.bits === 64, dst: d, pos });
        return this.normalise(d, i.ty, pos, true);
      }
      case 'convert': return this.convert(vr(i.dst.id), i.src, i.from, i.to, pos);
      case 'load': {
        const d = vr(i.dst.id);
        const m = this.mem(i.base, i.off);
        this.emit({ k: 'ldx', size: SIZE_OF_BITS[i.ty.bits]!, dst: d, base: m.base, off: m.off, pos, ...(i.core ? { core: i.core } : {}) });
        // Plain loads zero-extend; sign-extend with movsx (ctx rewriting does not take LDX_MEMSX everywhere).
        if (i.ty.signed && i.ty.bits < 64) this.emit({ k: 'movsx', dst: d, src: d, bits: i.ty.bits as 8 | 16 | 32, pos });
        return;
      }
      case 'store': {
        const m = this.mem(i.base, i.off);
        return this.store(R10, m.base, m.off, i.value, i.ty, pos);
      }
      case 'lookup': {
        const key = this.spillToStack(i.key, i.map.key, pos);
        this.mapCall(i.map, [key], HELPER.lookup, pos);
        this.emit({ k: 'mov', w64: true, dst: vr(i.dst.id), src: pr(0), pos });
        return;
      }
      case 'update': {
        const key = this.spillToStack(i.key, i.map.key, pos);
        const val = this.spillToStack(i.value, i.map.value, pos);
        this.mapCall(i.map, [key, val], HELPER.update, pos, i.flags);
        if (i.dst) this.emit({ k: 'mov', w64: true, dst: vr(i.dst.id), src: pr(0), pos });
        return;
      }
      case 'delete': {
        const key = this.spillToStack(i.key, i.map.key, pos);
        this.mapCall(i.map, [key], HELPER.delete, pos);
        if (i.dst) this.emit({ k: 'mov', w64: true, dst: vr(i.dst.id), src: pr(0), pos });
        return;
      }
      case 'tailCall': {
        this.emit({ k: 'mov', w64: true, dst: pr(1), src: vr(this.fn.ctx.id), pos });
        this.emit({ k: 'ldmap', dst: pr(2), map: i.map.name, pos });
        this.move(pr(3), i.index, pos);
        this.emit({ k: 'call', helper: 12, nargs: 3, pos });
        if (i.dst) this.result(i.dst, pos);
        return;
      }
      // LD_IMM64 naming the global: the emitter records the relocation like a map's.
      case 'globalAddr': return this.emit({ k: 'ldmap', dst: vr(i.dst.id), map: i.global, pos });
      // A 64-bit move of the local value, as clang emits it: the loader patches the immediate.
      case 'coreConst': return this.emit({ k: 'mov', w64: true, dst: vr(i.dst.id), src: imm(Number(i.value)), pos, core: i.relo });
      case 'funcAddr': return this.emit({ k: 'ldmap', dst: vr(i.dst.id), map: i.func, fn: true, pos });
      case 'mapCall': {
        i.args.forEach((a, n) => this.move(pr((n + 2) as 2 | 3 | 4 | 5), a, pos));
        this.emit({ k: 'ldmap', dst: pr(1), map: i.map.name, pos });
        this.emit({ k: 'call', helper: i.helper, nargs: i.args.length + 1, pos });
        if (i.dst) this.result(i.dst, pos);
        return;
      }
      case 'call': {
        i.args.forEach((a, n) => this.move(pr((n + 1) as 1 | 2 | 3 | 4 | 5), a, pos));
        this.emit({ k: 'call', helper: i.helper, nargs: i.args.length, pos });
        if (i.dst) this.result(i.dst, pos);
        return;
      }
    }
  }

  /** Copy R0 into dst, normalised to dst's width (helpers return 64-bit registers). */
  private result(dst: VReg, pos: SourcePos): void {
    const d = vr(dst.id);
    const ty = dst.ty;
    if (ty.kind === 'int' && ty.bits === 32 && !ty.signed) this.emit({ k: 'mov', w64: false, dst: d, src: pr(0), pos });
    else {
      this.emit({ k: 'mov', w64: true, dst: d, src: pr(0), pos });
      if (ty.kind === 'int') this.normalise(d, ty, pos, true);
    }
  }

  private store(_fp: MReg, base: MReg, off: number, v: Operand, ty: IntTy, pos: SourcePos): void {
    const size = SIZE_OF_BITS[ty.bits]!;
    if (v.kind === 'const' && (ty.bits < 64 || fitsS32(BigInt.asIntN(64, v.value)))) {
      this.emit({ k: 'st', size, base, off, imm: ty.bits < 64 ? low32(v.value) : Number(BigInt.asIntN(64, v.value)), pos });
    } else {
      this.emit({ k: 'stx', size, base, off, src: this.regOf(v, pos), pos });
    }
  }

  /** Write a key/value into a fresh stack slot of exactly its size; returns the slot offset. Structs already live in a slot. */
  private spillToStack(v: Operand, layout: Layout, pos: SourcePos): number {
    if (layout.kind !== 'int') {
      const slot = v.kind === 'reg' ? this.slots.get(v.reg.id) : undefined;
      if (slot === undefined) throw new Error(`internal: ${layout.name} operand is not a stack slot`);
      return slot;
    }
    const ty = layout;
    const off = this.frame.alloc(layoutSize(ty), layoutAlign(ty));
    this.store(R10, R10, off, v, ty, pos);
    return off;
  }

  private mapCall(map: MapRef, slots: number[], helper: number, pos: SourcePos, flags?: Operand): void {
    this.emit({ k: 'ldmap', dst: pr(1), map: map.name, pos });
    slots.forEach((off, n) => {
      const r = pr((n + 2) as 2 | 3);
      this.emit({ k: 'mov', w64: true, dst: r, src: R10, pos });
      this.emit({ k: 'alu', w64: true, op: 'ADD', dst: r, src: imm(off), pos });
    });
    if (flags) this.move(pr(4), flags, pos);
    this.emit({ k: 'call', helper, nargs: 1 + slots.length + (flags ? 1 : 0), pos });
  }

  private bin(dstV: VReg, op: BinOp, a: Operand, b: Operand, ty: IntTy, pos: SourcePos): void {
    const w64 = ty.bits === 64;
    const names: Record<BinOp, AluOp> = {
      add: 'ADD', sub: 'SUB', mul: 'MUL', div: ty.signed ? 'SDIV' : 'DIV', mod: ty.signed ? 'SMOD' : 'MOD',
      and: 'AND', or: 'OR', xor: 'XOR', shl: 'LSH', shr: ty.signed ? 'ARSH' : 'RSH',
    };
    const d = vr(dstV.id);
    // `K op x` for commutative ops: `d = x; d op= K` (an immediate, and x's register can be reused).
    if (a.kind === 'const' && b.kind === 'reg' && (op === 'add' || op === 'mul' || op === 'and' || op === 'or' || op === 'xor')) [a, b] = [b, a];
    // Two-address form: d = a; d op= b. If b lives in d already, go through a temp.
    const bAliases = b.kind === 'reg' && b.reg.id === dstV.id && !(a.kind === 'reg' && a.reg.id === dstV.id);
    const work = bAliases ? this.temp() : d;
    this.move(work, a, pos);
    this.emit({ k: 'alu', w64, op: names[op], dst: work, src: this.srcOf(b, w64, pos), pos });
    this.normalise(work, ty, pos, op === 'add' || op === 'sub' || op === 'mul' || op === 'shl');
    if (work !== d) this.emit({ k: 'mov', w64: true, dst: d, src: work, pos });
  }

  private convert(d: MReg, src: Operand, from: IntTy, to: IntTy, pos: SourcePos): void {
    if (src.kind === 'const') return this.movConst(d, src.value, pos); // already wrapped by the front end
    const s = vr(src.reg.id);
    const mov = (): void => this.emit({ k: 'mov', w64: true, dst: d, src: s, pos });
    if (to.bits === 64) return mov(); // normalised values extend for free
    if (!to.signed) {
      if (!from.signed && from.bits <= to.bits) return mov();
      this.emit({ k: 'mov', w64: false, dst: d, src: s, pos }); // keep the low 32 bits
      if (to.bits < 32) this.emit({ k: 'alu', w64: false, op: 'AND', dst: d, src: imm((1 << to.bits) - 1), pos });
      return;
    }
    if ((from.signed && from.bits <= to.bits) || (!from.signed && from.bits < to.bits)) return mov();
    this.emit({ k: 'movsx', dst: d, src: s, bits: to.bits as 8 | 16 | 32, pos });
  }

  private term(t: Terminator, nextId: number | undefined): void {
    const pos = t.pos;
    if (t.op === 'ret') {
      this.move(pr(0), t.value, pos);
      return this.emit({ k: 'exit', pos });
    }
    if (t.op === 'br') {
      if (t.target.id !== nextId) this.emit({ k: 'ja', target: t.target.id, pos });
      return;
    }
    let { a, b, cond } = t;
    let tb = t.t.id;
    let fb = t.f.id;
    if (a.kind === 'const' && b.kind === 'const') {
      const taken = evalCond(cond, a.value, b.value, signedOf(t.ty));
      const target = taken ? tb : fb;
      if (target !== nextId) this.emit({ k: 'ja', target, pos });
      return;
    }
    if (a.kind === 'const') [a, b, cond] = [b, a, swapCond(cond)];
    if (tb === nextId) [tb, fb, cond] = [fb, tb, invertCond(cond)];
    const w32 = t.ty.kind !== 'ptr' && (t.ty.kind === 'bool' || t.ty.bits <= 32);
    const bSrc = this.srcOf(b, !w32, pos);
    this.emit({ k: 'jcc', op: jmpName(cond, signedOf(t.ty)), w32, a: this.regOf(a, pos), b: bSrc, target: tb, pos });
    if (fb !== nextId) this.emit({ k: 'ja', target: fb, pos });
  }
}

function signedOf(t: Ty): boolean {
  return t.kind === 'int' && t.signed;
}

function jmpName(c: CondOp, signed: boolean): JmpCondName {
  switch (c) {
    case 'eq': return 'JEQ';
    case 'ne': return 'JNE';
    case 'lt': return signed ? 'JSLT' : 'JLT';
    case 'le': return signed ? 'JSLE' : 'JLE';
    case 'gt': return signed ? 'JSGT' : 'JGT';
    case 'ge': return signed ? 'JSGE' : 'JGE';
  }
}

export function invertCond(c: CondOp): CondOp {
  return ({ eq: 'ne', ne: 'eq', lt: 'ge', ge: 'lt', gt: 'le', le: 'gt' } as const)[c];
}

export function swapCond(c: CondOp): CondOp {
  return ({ eq: 'eq', ne: 'ne', lt: 'gt', gt: 'lt', le: 'ge', ge: 'le' } as const)[c];
}

export function evalCond(c: CondOp, a: bigint, b: bigint, _signed: boolean): boolean {
  // Constants are already wrapped into their (shared) type, so plain comparison is exact.
  switch (c) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'lt': return a < b;
    case 'le': return a <= b;
    case 'gt': return a > b;
    case 'ge': return a >= b;
  }
}

/** Select instructions for one function. */
export function selectInstructions(fn: IrFunction): MFunction {
  threadJumps(fn);
  reuseCtxPointers(fn);
  foldPacketOffsets(fn);
  reuseLoads(fn);
  compareSwapped(fn);
  mergeReturns(fn);
  return new Selector(fn).run();
}
