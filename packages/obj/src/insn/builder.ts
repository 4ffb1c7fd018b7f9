// A typed builder for code that generates programs. Method names and argument
// orders follow the kernel's instruction macros (BPF_MOV64_IMM(dst, imm),
// BPF_JMP_IMM(op, dst, imm, off), BPF_LDX_MEM(size, dst, src, off), ...), with
// labels in place of hand-counted offsets.

import { INT64_MIN, UINT64_MAX, fitsImm32, fitsInt16, fitsInt32, splitImm64, toInt32 } from './fields.js';
import { helperId, type HelperName } from './helpers.js';
import type { Instruction } from './instruction.js';
import {
  ALU_OPS, ATOMIC_OPS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL_INSN, BPF_END, BPF_EXIT_INSN, BPF_JA, BPF_JMP,
  BPF_JMP32, BPF_K, BPF_LD_IMM64, BPF_LDX, BPF_MEM, BPF_MEMSX, BPF_MOV, BPF_NEG, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BPF_ST, BPF_STX, BPF_TO_BE, BPF_TO_LE, BPF_X,
  JMP_COND_OPS, SIZES, type AtomicOpName, type JmpCondName, type SizeName,
} from './opcodes.js';

/** A register number, r0..r10 (r10 is the read-only frame pointer). */
export type Reg = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;
/** Binary ALU operations; SDIV/SMOD are the signed forms (off=1). */
export type AluOp = 'ADD' | 'SUB' | 'MUL' | 'DIV' | 'SDIV' | 'OR' | 'AND' | 'LSH' | 'RSH' | 'MOD' | 'SMOD' | 'XOR' | 'ARSH' | 'MOV';
/** A label name, or a raw slot offset relative to the next instruction. */
export type JumpTarget = string | number;

const ALU: Record<AluOp, [op: number, off: number]> = {
  ADD: [ALU_OPS.ADD, 0], SUB: [ALU_OPS.SUB, 0], MUL: [ALU_OPS.MUL, 0], DIV: [ALU_OPS.DIV, 0], SDIV: [ALU_OPS.DIV, 1],
  OR: [ALU_OPS.OR, 0], AND: [ALU_OPS.AND, 0], LSH: [ALU_OPS.LSH, 0], RSH: [ALU_OPS.RSH, 0], MOD: [ALU_OPS.MOD, 0],
  SMOD: [ALU_OPS.MOD, 1], XOR: [ALU_OPS.XOR, 0], ARSH: [ALU_OPS.ARSH, 0], MOV: [ALU_OPS.MOV, 0],
};

interface Fixup {
  at: number;
  label: string;
  field: 'off' | 'imm';
}

/**
 * Builds an instruction list with symbolic labels. Every method returns the
 * builder, so calls chain.
 * @example
 * const insns = new ProgramBuilder()
 *   .mov64Imm(0, 0)
 *   .jmpImm('JEQ', 1, 0, 'out')
 *   .mov64Imm(0, 1)
 *   .label('out')
 *   .exit()
 *   .build();
 */
export class ProgramBuilder {
  private readonly slots: Instruction[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: Fixup[] = [];

  /** Number of slots emitted so far (LD_IMM64 counts 2); the next label's position. */
  get length(): number {
    return this.slots.length;
  }

  /** Define `name` at the current position. */
  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`duplicate label '${name}'`);
    this.labels.set(name, this.slots.length);
    return this;
  }

  /** Append raw instruction slots as they are. */
  emit(...insns: Instruction[]): this {
    for (const i of insns) this.slots.push({ code: i.code, dst: i.dst, src: i.src, off: i.off, imm: i.imm });
    return this;
  }

  // ---- ALU ----
  mov64Imm(dst: Reg, imm: number): this {
    return this.alu64Imm('MOV', dst, imm);
  }
  mov64Reg(dst: Reg, src: Reg): this {
    return this.alu64Reg('MOV', dst, src);
  }
  mov32Imm(dst: Reg, imm: number): this {
    return this.alu32Imm('MOV', dst, imm);
  }
  mov32Reg(dst: Reg, src: Reg): this {
    return this.alu32Reg('MOV', dst, src);
  }
  /** `dst OP= imm` on 64 bits. @example b.alu64Imm('ADD', 2, -8) // r2 += -8 */
  alu64Imm(op: AluOp, dst: Reg, imm: number): this {
    return this.aluOp(BPF_ALU64, op, dst, 0, imm, BPF_K);
  }
  alu64Reg(op: AluOp, dst: Reg, src: Reg): this {
    return this.aluOp(BPF_ALU64, op, dst, src, 0, BPF_X);
  }
  alu32Imm(op: AluOp, dst: Reg, imm: number): this {
    return this.aluOp(BPF_ALU, op, dst, 0, imm, BPF_K);
  }
  alu32Reg(op: AluOp, dst: Reg, src: Reg): this {
    return this.aluOp(BPF_ALU, op, dst, src, 0, BPF_X);
  }
  neg64(dst: Reg): this {
    return this.push(BPF_ALU64 | BPF_NEG | BPF_K, reg(dst), 0, 0, 0);
  }
  neg32(dst: Reg): this {
    return this.push(BPF_ALU | BPF_NEG | BPF_K, reg(dst), 0, 0, 0);
  }
  /** Byte swap in place: 'be'/'le' convert to that order, 'bswap' swaps unconditionally. */
  endian(kind: 'be' | 'le' | 'bswap', dst: Reg, bits: 16 | 32 | 64): this {
    if (bits !== 16 && bits !== 32 && bits !== 64) throw new RangeError(`byte swap width ${bits} is not 16, 32 or 64`);
    const code = kind === 'bswap' ? BPF_ALU64 | BPF_END | BPF_K : BPF_ALU | BPF_END | (kind === 'be' ? BPF_TO_BE : BPF_TO_LE);
    return this.push(code, reg(dst), 0, 0, bits);
  }
  /** `dst = (sN)src` on 64 bits. */
  movsx64(dst: Reg, src: Reg, bits: 8 | 16 | 32): this {
    if (bits !== 8 && bits !== 16 && bits !== 32) throw new RangeError(`movsx width ${bits} is not 8, 16 or 32`);
    return this.push(BPF_ALU64 | BPF_MOV | BPF_X, reg(dst), reg(src), bits, 0);
  }
  /** `wdst = (sN)wsrc`. */
  movsx32(dst: Reg, src: Reg, bits: 8 | 16): this {
    if (bits !== 8 && bits !== 16) throw new RangeError(`movsx32 width ${bits} is not 8 or 16`);
    return this.push(BPF_ALU | BPF_MOV | BPF_X, reg(dst), reg(src), bits, 0);
  }

  // ---- 64-bit immediates ----
  /** `dst = value ll`. @example b.ldImm64(1, 0x1234567890n) */
  ldImm64(dst: Reg, value: bigint | number): this {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`ldImm64 value ${value} is not a safe integer`);
    const v = BigInt(value);
    if (v < INT64_MIN || v > UINT64_MAX) throw new RangeError(`ldImm64 value ${v} does not fit in 64 bits`);
    const { lo, hi } = splitImm64(v);
    return this.ld64(dst, 0, lo, hi);
  }
  /** `dst = map_fd(fd) ll`: the kernel replaces it with the map's address. */
  ldMapFd(dst: Reg, fd: number): this {
    return this.ld64(dst, BPF_PSEUDO_MAP_FD, int32(fd, 'map fd'), 0);
  }
  /** `dst = map_value(fd, offset) ll`: address of the map's value (array maps) plus offset. */
  ldMapValue(dst: Reg, fd: number, offset: number): this {
    return this.ld64(dst, BPF_PSEUDO_MAP_VALUE, int32(fd, 'map fd'), int32(offset, 'value offset'));
  }
  /** `dst = func(target) ll`: address of a bpf function (for callbacks). */
  ldFunc(dst: Reg, target: JumpTarget): this {
    this.ld64(dst, BPF_PSEUDO_FUNC, 0, 0);
    return this.target(this.slots.length - 2, target, 'imm');
  }

  // ---- memory ----
  /** `dst = *(size *)(src + off)`. @example b.ldxMem('W', 0, 1, 4) */
  ldxMem(size: SizeName, dst: Reg, src: Reg, off: number): this {
    return this.push(BPF_LDX | BPF_MEM | sz(size), reg(dst), reg(src), int16(off), 0);
  }
  /** Sign-extending load: `dst = *(sN *)(src + off)`. */
  ldxMemSx(size: Exclude<SizeName, 'DW'>, dst: Reg, src: Reg, off: number): this {
    if ((size as string) === 'DW') throw new RangeError('sign-extending loads take B, H or W');
    return this.push(BPF_LDX | BPF_MEMSX | sz(size), reg(dst), reg(src), int16(off), 0);
  }
  /** `*(size *)(dst + off) = src`. @example b.stxMem('DW', 10, 1, -8) */
  stxMem(size: SizeName, dst: Reg, src: Reg, off: number): this {
    return this.push(BPF_STX | BPF_MEM | sz(size), reg(dst), reg(src), int16(off), 0);
  }
  /** `*(size *)(dst + off) = imm`. */
  stMem(size: SizeName, dst: Reg, off: number, imm: number): this {
    return this.push(BPF_ST | BPF_MEM | sz(size), reg(dst), 0, int16(off), imm32(imm));
  }
  /**
   * Atomic operation on `*(size *)(dst + off)` with `src` (kernel BPF_ATOMIC_OP).
   * For LOAD_ACQ, dst receives the value and src holds the address.
   */
  atomic(op: AtomicOpName, size: SizeName, dst: Reg, src: Reg, off: number): this {
    const imm = ATOMIC_OPS[op];
    if (imm === undefined) throw new RangeError(`unknown atomic operation '${op}'`);
    if (op !== 'LOAD_ACQ' && op !== 'STORE_REL' && size !== 'W' && size !== 'DW') {
      throw new RangeError(`atomic ${op} takes size W or DW, not ${size}`);
    }
    return this.push(BPF_STX | BPF_ATOMIC | sz(size), reg(dst), reg(src), int16(off), imm);
  }
  /** `lock *(size *)(dst + off) += src`, or with `fetch` the old value lands in src. */
  atomicAdd(size: 'W' | 'DW', dst: Reg, src: Reg, off: number, fetch = false): this {
    return this.atomic(fetch ? 'FETCH_ADD' : 'ADD', size, dst, src, off);
  }

  // ---- control flow ----
  /** `goto target`. */
  ja(target: JumpTarget): this {
    this.push(BPF_JMP | BPF_JA, 0, 0, 0, 0);
    return this.target(this.slots.length - 1, target, 'off');
  }
  /** `if dst OP imm goto target`. @example b.jmpImm('JEQ', 0, 0, 'miss') */
  jmpImm(op: JmpCondName, dst: Reg, imm: number, target: JumpTarget): this {
    return this.jmpOp(BPF_JMP, op, dst, 0, imm32(imm), BPF_K, target);
  }
  jmpReg(op: JmpCondName, dst: Reg, src: Reg, target: JumpTarget): this {
    return this.jmpOp(BPF_JMP, op, dst, src, 0, BPF_X, target);
  }
  /** 32-bit compare: `if wdst OP imm goto target`. */
  jmp32Imm(op: JmpCondName, dst: Reg, imm: number, target: JumpTarget): this {
    return this.jmpOp(BPF_JMP32, op, dst, 0, imm32(imm), BPF_K, target);
  }
  jmp32Reg(op: JmpCondName, dst: Reg, src: Reg, target: JumpTarget): this {
    return this.jmpOp(BPF_JMP32, op, dst, src, 0, BPF_X, target);
  }
  /** Call a helper by id or name. @example b.call('bpf_map_lookup_elem') */
  call(helper: number | HelperName): this {
    const id = typeof helper === 'number' ? helper : helperId(helper);
    if (id === undefined) throw new RangeError(`unknown helper '${helper}'`);
    return this.push(BPF_CALL_INSN, 0, 0, 0, imm32(id));
  }
  /** bpf-to-bpf call to a label (or a relative slot offset). */
  callLocal(target: JumpTarget): this {
    this.push(BPF_CALL_INSN, 0, BPF_PSEUDO_CALL, 0, 0);
    return this.target(this.slots.length - 1, target, 'imm');
  }
  /** Call a kernel function by BTF id; `fdIndex` selects a module BTF in fd_array. */
  callKfunc(btfId: number, fdIndex = 0): this {
    return this.push(BPF_CALL_INSN, 0, BPF_PSEUDO_KFUNC_CALL, int16(fdIndex), imm32(btfId));
  }
  exit(): this {
    return this.push(BPF_EXIT_INSN, 0, 0, 0, 0);
  }

  /**
   * Resolve labels and return a fresh copy of the instructions. Throws if a
   * label is undefined or too far for its field.
   */
  build(): Instruction[] {
    const out = this.slots.map((i) => ({ ...i }));
    for (const { at, label, field } of this.fixups) {
      const pos = this.labels.get(label);
      if (pos === undefined) throw new Error(`undefined label '${label}' (used by instruction ${at})`);
      const rel = pos - (at + 1);
      if (field === 'off' && !fitsInt16(rel)) throw new RangeError(`label '${label}' is ${rel} slots from instruction ${at}: beyond a 16-bit offset`);
      out[at]![field] = rel;
    }
    return out;
  }

  private push(code: number, dst: number, src: number, off: number, imm: number): this {
    this.slots.push({ code, dst, src, off, imm });
    return this;
  }

  private ld64(dst: Reg, src: number, lo: number, hi: number): this {
    this.push(BPF_LD_IMM64, reg(dst), src, 0, lo);
    return this.push(0, 0, 0, 0, hi);
  }

  private aluOp(cls: number, op: AluOp, dst: Reg, src: Reg | 0, imm: number, source: number): this {
    const entry = ALU[op];
    if (entry === undefined) throw new RangeError(`unknown ALU operation '${op}'`);
    return this.push(cls | entry[0] | source, reg(dst), reg(src), entry[1], imm32(imm));
  }

  private jmpOp(cls: number, op: JmpCondName, dst: Reg, src: Reg | 0, imm: number, source: number, target: JumpTarget): this {
    const code = JMP_COND_OPS[op];
    if (code === undefined) throw new RangeError(`unknown jump condition '${op}'`);
    this.push(cls | code | source, reg(dst), reg(src), 0, imm);
    return this.target(this.slots.length - 1, target, 'off');
  }

  private target(at: number, target: JumpTarget, field: 'off' | 'imm'): this {
    if (typeof target === 'string') this.fixups.push({ at, label: target, field });
    else this.slots[at]![field] = field === 'off' ? int16(target) : int32(target, 'offset');
    return this;
  }
}

function reg(r: number): number {
  if (!Number.isInteger(r) || r < 0 || r > 10) throw new RangeError(`register ${r} is not r0..r10`);
  return r;
}

function sz(size: SizeName): number {
  const s = SIZES[size];
  if (s === undefined) throw new RangeError(`unknown size '${size}' (B, H, W or DW)`);
  return s;
}

function int16(v: number): number {
  if (!fitsInt16(v)) throw new RangeError(`offset ${v} does not fit in 16 bits`);
  return v | 0;
}

function int32(v: number, what: string): number {
  if (!fitsInt32(v)) throw new RangeError(`${what} ${v} does not fit in a signed 32-bit field`);
  return v | 0;
}

function imm32(v: number): number {
  if (!fitsImm32(v)) throw new RangeError(`immediate ${v} does not fit in 32 bits`);
  return toInt32(v);
}
