// Assembler forms that move data: ALU operations, moves, 64-bit immediate
// loads, memory loads/stores and atomics. Control flow is in asm.ts.

import { INT64_MIN, UINT64_MAX, splitImm64 } from './fields.js';
import type { Instruction } from './instruction.js';
import { describe, type Token } from './lexer.js';
import {
  BPF_ABS, BPF_ADD, BPF_ADDR_SPACE_CAST, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_CMPXCHG, BPF_DIV,
  BPF_DW, BPF_END, BPF_FETCH, BPF_IND, BPF_K, BPF_LD, BPF_LD_IMM64, BPF_LDX, BPF_LOAD_ACQ, BPF_LSH, BPF_MEM,
  BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, BPF_RSH, BPF_ST, BPF_STORE_REL, BPF_STX,
  BPF_SUB, BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X, BPF_XCHG, BPF_XOR,
} from './opcodes.js';
import type { Cursor, MemRef, PtrType, RegOperand } from './parser.js';

/** A label use, patched once all labels are known. */
export interface LabelRef {
  label: string;
  tok: Token;
  /** which field of the first slot receives the slot distance */
  field: 'off' | 'imm';
}

/** What one statement assembles to. */
export interface Emitted {
  insns: Instruction[];
  ref?: LabelRef;
  /** `call NAME`: a local call if NAME is a label, else a helper call */
  callName?: Token;
}

export interface DataContext {
  maps?: Record<string, number> | undefined;
}

export const insn = (code: number, dst = 0, src = 0, off = 0, imm = 0): Instruction => ({ code, dst, src, off, imm });
const one = (i: Instruction): Emitted => ({ insns: [i] });
const regName = (r: RegOperand) => `${r.wide ? 'r' : 'w'}${r.n}`;
const aluClass = (r: RegOperand) => (r.wide ? BPF_ALU64 : BPF_ALU);

const COMPOUND: Record<string, [op: number, off: number]> = {
  '+=': [BPF_ADD, 0], '-=': [BPF_SUB, 0], '*=': [BPF_MUL, 0], '/=': [BPF_DIV, 0], 's/=': [BPF_DIV, 1],
  '%=': [BPF_MOD, 0], 's%=': [BPF_MOD, 1], '|=': [BPF_OR, 0], '&=': [BPF_AND, 0], '<<=': [BPF_LSH, 0],
  '>>=': [BPF_RSH, 0], 's>>=': [BPF_ARSH, 0], '^=': [BPF_XOR, 0],
};
const LOCK_OPS: Record<string, number> = { '+=': BPF_ADD, '|=': BPF_OR, '&=': BPF_AND, '^=': BPF_XOR };
const FETCH_OPS: Record<string, number> = { add: BPF_ADD, or: BPF_OR, and: BPF_AND, xor: BPF_XOR };
const PSEUDO: Record<string, number> = {
  map_fd: BPF_PSEUDO_MAP_FD, map_value: BPF_PSEUDO_MAP_VALUE, btf_id: BPF_PSEUDO_BTF_ID,
  map_idx: BPF_PSEUDO_MAP_IDX, map_idx_value: BPF_PSEUDO_MAP_IDX_VALUE,
};

/** A statement starting with a register: `rD op= x` or `rD = expression`. */
export function regStatement(c: Cursor, ctx: DataContext): Emitted {
  const dst = c.reg();
  const opTok = c.next();
  const compound = opTok.kind === 'punct' ? COMPOUND[opTok.text] : undefined;
  if (compound) {
    const [op, off] = compound;
    if (c.isReg()) return one(insn(aluClass(dst) | op | BPF_X, dst.n, c.regLike(dst).n, off));
    return one(insn(aluClass(dst) | op | BPF_K, dst.n, 0, off, c.imm32('a register or a number')));
  }
  if (opTok.kind !== 'punct' || opTok.text !== '=') {
    c.fail(opTok, `expected '=' or an operator such as '+=', got ${describe(opTok)}`);
  }
  return assign(c, dst, ctx);
}

function assign(c: Cursor, dst: RegOperand, ctx: DataContext): Emitted {
  const cls = aluClass(dst);
  if (c.isPunct('-') && c.isReg(1)) {
    c.next();
    sameReg(c, c.regLike(dst), dst, 'negation');
    return one(insn(cls | BPF_NEG | BPF_K, dst.n));
  }
  if (c.isNumber()) return movImm(c, dst);
  if (c.isReg()) return one(insn(cls | BPF_MOV | BPF_X, dst.n, c.regLike(dst).n));
  if (c.isPunct('(')) return movsx(c, dst);
  if (c.isPunct('*')) return load(c, dst);
  const t = c.peek();
  if (t.kind !== 'ident') c.expected('a register, a number or an expression');
  const name = t.text;
  const endian = /^(be|le|bswap)(16|32|64)$/.exec(name);
  if (endian) {
    c.next();
    sameReg(c, c.regLike(dst), dst, 'byte swap');
    const code = endian[1] === 'bswap' ? BPF_ALU64 | BPF_END | BPF_K : BPF_ALU | BPF_END | (endian[1] === 'be' ? BPF_TO_BE : BPF_TO_LE);
    return one(insn(code, dst.n, 0, 0, Number(endian[2])));
  }
  if (name === 'map' || name === 'func' || name in PSEUDO) return ldPseudo(c, dst, ctx);
  if (/^atomic(64)?_(fetch_(add|or|and|xor)|xchg|cmpxchg)$/.test(name) || /^(xchg|cmpxchg)(_64|32_32)$/.test(name)) {
    return atomicFetch(c, dst);
  }
  if (name === 'load_acquire') {
    c.next();
    c.punct('(');
    const ty = c.ptrType(false);
    const m = c.memRef();
    c.punct(')');
    needWide(c, dst, ty);
    return one(insn(BPF_STX | BPF_ATOMIC | ty.size, dst.n, m.base.n, m.off, BPF_LOAD_ACQ));
  }
  if (name === 'addr_space_cast') {
    c.next();
    if (!dst.wide) c.fail(dst.tok, 'addr_space_cast needs an rN destination');
    c.punct('(');
    const src = c.reg('r');
    c.punct(',');
    const dstAs = c.ranged('address space', 0, 0xffff);
    c.punct(',');
    const srcAs = c.ranged('address space', 0, 0xffff);
    c.punct(')');
    return one(insn(BPF_ALU64 | BPF_MOV | BPF_X, dst.n, src.n, BPF_ADDR_SPACE_CAST, ((dstAs << 16) | srcAs) | 0));
  }
  return c.fail(t, `unknown operation '${name}'`);
}

function sameReg(c: Cursor, got: RegOperand, dst: RegOperand, what: string): void {
  if (got.n !== dst.n) c.fail(got.tok, `${what} works in place: expected '${regName(dst)}', got '${regName(got)}'`);
}

/** A u64 access needs the rN view of the register. */
function needWide(c: Cursor, r: RegOperand, ty: PtrType): void {
  if (ty.bits === 64 && !r.wide) c.fail(r.tok, `a 64-bit access needs an rN register, got '${regName(r)}'`);
}

/** `rD = 5`, `wD = -1` or `rD = 0x1234567890 ll`. */
function movImm(c: Cursor, dst: RegOperand): Emitted {
  const { value, tok } = c.number();
  if (!c.isIdent('ll')) return one(insn(aluClass(dst) | BPF_MOV | BPF_K, dst.n, 0, 0, c.checkImm32(value, tok)));
  c.next();
  if (!dst.wide) c.fail(dst.tok, `a 64-bit immediate load needs an rN destination, got '${regName(dst)}'`);
  if (value < INT64_MIN || value > UINT64_MAX) c.fail(tok, `immediate ${value} does not fit in 64 bits`);
  const { lo, hi } = splitImm64(value);
  return { insns: [insn(BPF_LD_IMM64, dst.n, 0, 0, lo), insn(0, 0, 0, 0, hi)] };
}

/** `rD = (s8)rS`: sign-extending move. */
function movsx(c: Cursor, dst: RegOperand): Emitted {
  c.punct('(');
  const t = c.peek();
  const bits = t.kind === 'ident' ? { s8: 8, s16: 16, s32: 32 }[t.text] : undefined;
  if (bits === undefined) c.expected("'s8', 's16' or 's32'");
  c.next();
  c.punct(')');
  const src = c.regLike(dst);
  if (bits === 32 && !dst.wide) c.fail(t, "'(s32)' sign extension needs rN registers");
  return one(insn(aluClass(dst) | BPF_MOV | BPF_X, dst.n, src.n, bits));
}

/** `rD = *(u32 *)(rS + off)`, sign-extending `*(s16 *)`, or legacy `*(u8 *)skb[...]`. */
function load(c: Cursor, dst: RegOperand): Emitted {
  c.punct('*');
  const ty = c.ptrType(true);
  if (c.isIdent('skb')) return skbLoad(c, dst, ty);
  const m = c.memRef();
  needWide(c, dst, ty);
  return one(insn(BPF_LDX | ty.size | (ty.signed ? BPF_MEMSX : BPF_MEM), dst.n, m.base.n, m.off));
}

/** `r0 = *(u16 *)skb[12]` (LD|ABS) or `r0 = *(u8 *)skb[r6 + 4]` (LD|IND). */
function skbLoad(c: Cursor, dst: RegOperand, ty: PtrType): Emitted {
  if (ty.signed || ty.bits === 64) c.fail(ty.tok, 'packet loads take u8, u16 or u32');
  if (!dst.wide || dst.n !== 0) c.fail(dst.tok, `packet loads always write r0, got '${regName(dst)}'`);
  c.next();
  c.punct('[');
  if (!c.isReg()) {
    const imm = c.imm32('a register or an offset');
    c.punct(']');
    return one(insn(BPF_LD | ty.size | BPF_ABS, 0, 0, 0, imm));
  }
  const src = c.reg('r');
  let imm = 0;
  if (c.isPunct('+') || c.isPunct('-')) {
    const sign = c.next().text === '-' ? -1n : 1n;
    if (!c.isNumber()) c.expected('an offset');
    const { value, tok } = c.number();
    imm = c.checkImm32(sign * value, tok);
  }
  c.punct(']');
  return one(insn(BPF_LD | ty.size | BPF_IND, 0, src.n, 0, imm));
}

/** `r1 = map_fd(3) ll`, `map_value(3, 16)`, `map[name]`, `btf_id(7)`, `func(label)`, `map_idx(0)`, ... */
function ldPseudo(c: Cursor, dst: RegOperand, ctx: DataContext): Emitted {
  const nameTok = c.next();
  const name = nameTok.text;
  if (!dst.wide) c.fail(dst.tok, `a 64-bit immediate load needs an rN destination, got '${regName(dst)}'`);
  let src: number;
  let imm = 0;
  let imm2 = 0;
  let ref: LabelRef | undefined;
  if (name === 'map') {
    c.punct('[');
    imm = mapFd(c, c.ident('a map name'), ctx);
    c.punct(']');
    src = BPF_PSEUDO_MAP_FD;
  } else if (name === 'func') {
    c.punct('(');
    const target = c.target(32);
    c.punct(')');
    if ('rel' in target) imm = target.rel;
    else ref = { label: target.label, tok: target.tok, field: 'imm' };
    src = BPF_PSEUDO_FUNC;
  } else {
    src = PSEUDO[name]!;
    c.punct('(');
    const isMap = src === BPF_PSEUDO_MAP_FD || src === BPF_PSEUDO_MAP_VALUE;
    imm = isMap && c.isIdent() ? mapFd(c, c.next(), ctx) : c.imm32(isMap ? 'a map fd or name' : 'a number');
    if (c.eat(',')) imm2 = c.imm32();
    c.punct(')');
  }
  if (c.isIdent('ll')) c.next();
  const first = insn(BPF_LD_IMM64, dst.n, src, 0, imm);
  return ref ? { insns: [first, insn(0)], ref } : { insns: [first, insn(0, 0, 0, 0, imm2)] };
}

function mapFd(c: Cursor, nameTok: Token, ctx: DataContext): number {
  const maps = ctx.maps;
  if (!maps) c.fail(nameTok, `unknown map '${nameTok.text}' (no maps were given to the assembler)`);
  if (!Object.hasOwn(maps, nameTok.text)) c.fail(nameTok, `unknown map '${nameTok.text}'`);
  const fd = maps[nameTok.text]!;
  if (!Number.isInteger(fd) || fd < -0x80000000 || fd > 0x7fffffff) c.fail(nameTok, `map '${nameTok.text}' has an invalid fd ${fd}`);
  return fd;
}

/**
 * `r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)`, `r2 = xchg_64(r1 + 0, r2)`,
 * `r0 = cmpxchg_64(r1 + 0, r0, r2)` and the kernel's `atomic64_*` spellings.
 */
function atomicFetch(c: Cursor, dst: RegOperand): Emitted {
  const nameTok = c.next();
  const name = nameTok.text;
  const llvm = /^(xchg|cmpxchg)(_64|32_32)$/.exec(name);
  const kind = llvm ? llvm[1]! : name.replace(/^atomic(64)?_/, '');
  c.punct('(');
  let ty: PtrType;
  let m: MemRef;
  if (llvm) {
    ty = llvm[2] === '_64' ? { size: BPF_DW, bits: 64, signed: false, tok: nameTok } : { size: BPF_W, bits: 32, signed: false, tok: nameTok };
    m = c.addr();
  } else {
    ty = c.ptrType(false);
    m = c.memRef();
  }
  rmwSize(c, ty);
  c.punct(',');
  if (kind === 'cmpxchg') {
    const cmp = c.reg(ty.bits === 64 ? 'r' : 'any');
    if (cmp.n !== 0) c.fail(cmp.tok, `cmpxchg compares with r0, got '${regName(cmp)}'`);
    c.punct(',');
  }
  const val = c.reg(ty.bits === 64 ? 'r' : 'any');
  c.punct(')');
  needWide(c, dst, ty);
  let imm: number;
  if (kind === 'cmpxchg') {
    if (dst.n !== 0) c.fail(dst.tok, `cmpxchg returns the old value in r0, got '${regName(dst)}'`);
    imm = BPF_CMPXCHG;
  } else {
    if (dst.n !== val.n) {
      c.fail(dst.tok, `${name} returns the old value in its value register '${regName(val)}', got '${regName(dst)}'`);
    }
    imm = kind === 'xchg' ? BPF_XCHG : FETCH_OPS[kind.slice('fetch_'.length)]! | BPF_FETCH;
  }
  return one(insn(BPF_STX | BPF_ATOMIC | ty.size, m.base.n, val.n, m.off, imm));
}

function rmwSize(c: Cursor, ty: PtrType): void {
  if (ty.bits !== 32 && ty.bits !== 64) c.fail(ty.tok, 'atomic read-modify-write takes u32 or u64');
}

/** `*(u32 *)(r10 - 4) = r1` (STX) or `= 0` (ST). */
export function store(c: Cursor): Emitted {
  c.punct('*');
  const ty = c.ptrType(false);
  const m = c.memRef();
  c.punct('=');
  if (c.isReg()) {
    const src = c.reg();
    needWide(c, src, ty);
    return one(insn(BPF_STX | BPF_MEM | ty.size, m.base.n, src.n, m.off));
  }
  return one(insn(BPF_ST | BPF_MEM | ty.size, m.base.n, 0, m.off, c.imm32('a register or a number')));
}

/** `lock *(u64 *)(r1 + 0) += r2` (also `|=`, `&=`, `^=`). */
export function lockStatement(c: Cursor): Emitted {
  c.keyword('lock');
  c.punct('*');
  const ty = c.ptrType(false);
  const m = c.memRef();
  rmwSize(c, ty);
  const opTok = c.next();
  const op = opTok.kind === 'punct' ? LOCK_OPS[opTok.text] : undefined;
  if (op === undefined) c.fail(opTok, `expected '+=', '|=', '&=' or '^=', got ${describe(opTok)}`);
  const val = c.reg(ty.bits === 64 ? 'r' : 'any');
  return one(insn(BPF_STX | BPF_ATOMIC | ty.size, m.base.n, val.n, m.off, op));
}

/** `store_release((u64 *)(r1 + 0), r2)`. */
export function storeRelease(c: Cursor): Emitted {
  c.keyword('store_release');
  c.punct('(');
  const ty = c.ptrType(false);
  const m = c.memRef();
  c.punct(',');
  const val = c.reg();
  needWide(c, val, ty);
  c.punct(')');
  return one(insn(BPF_STX | BPF_ATOMIC | ty.size, m.base.n, val.n, m.off, BPF_STORE_REL));
}
