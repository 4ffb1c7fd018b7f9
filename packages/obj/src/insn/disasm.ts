// Disassembler printing the syntax asm.ts accepts. An instruction is printed
// symbolically only if every field is one the printed form reproduces
// (unused fields zero, registers 0..10); anything else becomes a raw
// `.insn CODE, DST, SRC, OFF, IMM` line. That makes
// assemble(disassemble(x).join('\n')) reproduce x exactly for any input.

import { joinImm64 } from './fields.js';
import { helperName } from './helpers.js';
import type { Instruction } from './instruction.js';
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DIV, BPF_DW,
  BPF_END, BPF_EXIT, BPF_FETCH, BPF_IND, BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP,
  BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_LD, BPF_LD_IMM64, BPF_LDX, BPF_LOAD_ACQ,
  BPF_LSH, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_ST, BPF_STORE_REL, BPF_STX,
  BPF_SUB, BPF_W, BPF_X, BPF_XCHG, BPF_XOR, bpfClass, bpfMode, bpfOp, bpfSize,
} from './opcodes.js';

const ALU_SYMBOLS: Record<number, string> = {
  [BPF_ADD]: '+=', [BPF_SUB]: '-=', [BPF_MUL]: '*=', [BPF_DIV]: '/=', [BPF_OR]: '|=', [BPF_AND]: '&=',
  [BPF_LSH]: '<<=', [BPF_RSH]: '>>=', [BPF_MOD]: '%=', [BPF_XOR]: '^=', [BPF_ARSH]: 's>>=',
};
const JMP_SYMBOLS: Record<number, string> = {
  [BPF_JEQ]: '==', [BPF_JGT]: '>', [BPF_JGE]: '>=', [BPF_JSET]: '&', [BPF_JNE]: '!=', [BPF_JSGT]: 's>',
  [BPF_JSGE]: 's>=', [BPF_JLT]: '<', [BPF_JLE]: '<=', [BPF_JSLT]: 's<', [BPF_JSLE]: 's<=',
};
const ATOMIC_NAMES: Record<number, string> = { [BPF_ADD]: 'add', [BPF_OR]: 'or', [BPF_AND]: 'and', [BPF_XOR]: 'xor' };
const UTYPE: Record<number, string> = { 0x00: 'u32', 0x08: 'u16', 0x10: 'u8', 0x18: 'u64' };
const STYPE: Record<number, string> = { 0x00: 's32', 0x08: 's16', 0x10: 's8' };
const PSEUDO_NAMES = ['', 'map_fd', 'map_value', 'btf_id', 'func', 'map_idx', 'map_idx_value'];

/**
 * Disassemble instruction slots, one line per instruction (a valid LD_IMM64
 * takes one line for its two slots). Unknown or malformed slots print as
 * `.insn CODE, DST, SRC, OFF, IMM`.
 * @example
 * disassemble(assemble('r1 = map_fd(3) ll; call 1; exit'))
 * // ['r1 = map_fd(3) ll', 'call bpf_map_lookup_elem#1', 'exit']
 */
export function disassemble(insns: readonly Instruction[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < insns.length; ) {
    const insn = insns[i]!;
    const wide = insn.code === BPF_LD_IMM64 ? ldImm64(insn, insns[i + 1]) : undefined;
    if (wide !== undefined) {
      out.push(wide);
      i += 2;
    } else {
      out.push(formatSlot(insn) ?? rawInsn(insn));
      i += 1;
    }
  }
  return out;
}

/**
 * The raw `.insn CODE, DST, SRC, OFF, IMM` form of one slot; assembles back to
 * exactly these fields.
 * @example rawInsn({ code: 0xff, dst: 1, src: 2, off: -3, imm: 4 }) // '.insn 0xff, 1, 2, -3, 4'
 */
export function rawInsn(i: Instruction): string {
  return `.insn 0x${i.code.toString(16).padStart(2, '0')}, ${i.dst}, ${i.src}, ${i.off}, ${i.imm}`;
}

const ok = (r: number) => r <= 10;
const signed = (n: number) => (n < 0 ? `-${-n}` : `+${n}`);
const plusOff = (off: number) => (off < 0 ? `- ${-off}` : `+ ${off}`);
const mem = (base: number, off: number) => `(r${base} ${plusOff(off)})`;

function formatSlot(i: Instruction): string | undefined {
  switch (bpfClass(i.code)) {
    case BPF_ALU:
    case BPF_ALU64:
      return alu(i);
    case BPF_JMP:
    case BPF_JMP32:
      return jmp(i);
    case BPF_LD:
      return ldLegacy(i);
    case BPF_LDX:
      return ldx(i);
    case BPF_ST:
      if (bpfMode(i.code) !== BPF_MEM || i.src !== 0 || !ok(i.dst)) return undefined;
      return `*(${UTYPE[bpfSize(i.code)]} *)${mem(i.dst, i.off)} = ${i.imm}`;
    default:
      return stx(i);
  }
}

function alu(i: Instruction): string | undefined {
  const wide = bpfClass(i.code) === BPF_ALU64;
  const x = (i.code & BPF_X) !== 0;
  const op = bpfOp(i.code);
  const r = (n: number) => `${wide ? 'r' : 'w'}${n}`;
  const { dst: d, src: s, off, imm } = i;
  if (!ok(d)) return undefined;
  if (op === BPF_NEG) return x || s || off || imm ? undefined : `${r(d)} = -${r(d)}`;
  if (op === BPF_END) {
    if (s || off || (wide && x) || (imm !== 16 && imm !== 32 && imm !== 64)) return undefined;
    return `r${d} = ${wide ? 'bswap' : x ? 'be' : 'le'}${imm} r${d}`;
  }
  if (op === BPF_MOV) {
    if (!x) return s || off ? undefined : `${r(d)} = ${imm}`;
    if (!ok(s)) return undefined;
    if (wide && off === 1) return `r${d} = addr_space_cast(r${s}, ${imm >>> 16}, ${imm & 0xffff})`;
    if (imm !== 0) return undefined;
    if (off === 0) return `${r(d)} = ${r(s)}`;
    if (off === 8 || off === 16 || (wide && off === 32)) return `${r(d)} = (s${off})${r(s)}`;
    return undefined;
  }
  const sym = ALU_SYMBOLS[op];
  const sdivmod = (op === BPF_DIV || op === BPF_MOD) && off === 1;
  if (sym === undefined || (off !== 0 && !sdivmod)) return undefined;
  const text = sdivmod ? `s${sym}` : sym;
  if (x) return imm || !ok(s) ? undefined : `${r(d)} ${text} ${r(s)}`;
  return s ? undefined : `${r(d)} ${text} ${imm}`;
}

function jmp(i: Instruction): string | undefined {
  const wide = bpfClass(i.code) === BPF_JMP;
  const x = (i.code & BPF_X) !== 0;
  const op = bpfOp(i.code);
  const { dst: d, src: s, off, imm } = i;
  switch (op) {
    case BPF_JA:
      if (x || d || s) return undefined;
      if (wide) return imm ? undefined : `goto ${signed(off)}`;
      return off ? undefined : `gotol ${signed(imm)}`;
    case BPF_CALL:
      if (!wide || x || d) return undefined;
      if (s === 0 && off === 0) {
        const name = helperName(imm);
        return name ? `call ${name}#${imm}` : `call ${imm}`;
      }
      if (s === 1 && off === 0) return `call pc${signed(imm)}`;
      if (s === 2) return off ? `call kfunc(${imm}, ${off})` : `call kfunc(${imm})`;
      return undefined;
    case BPF_EXIT:
      return !wide || x || d || s || off || imm ? undefined : 'exit';
    case BPF_JCOND:
      return !wide || x || d || s || imm ? undefined : `may_goto ${signed(off)}`;
  }
  const sym = JMP_SYMBOLS[op];
  if (sym === undefined || !ok(d)) return undefined;
  const r = (n: number) => `${wide ? 'r' : 'w'}${n}`;
  if (x) return imm || !ok(s) ? undefined : `if ${r(d)} ${sym} ${r(s)} goto ${signed(off)}`;
  return s ? undefined : `if ${r(d)} ${sym} ${imm} goto ${signed(off)}`;
}

/** Legacy packet loads; always into r0. */
function ldLegacy(i: Instruction): string | undefined {
  const mode = bpfMode(i.code);
  const size = bpfSize(i.code);
  if (size === BPF_DW || i.dst !== 0 || i.off !== 0) return undefined;
  const ty = UTYPE[size];
  if (mode === BPF_ABS) return i.src ? undefined : `r0 = *(${ty} *)skb[${i.imm}]`;
  if (mode !== BPF_IND || !ok(i.src)) return undefined;
  return `r0 = *(${ty} *)skb[r${i.src}${i.imm === 0 ? '' : ` ${plusOff(i.imm)}`}]`;
}

function ldx(i: Instruction): string | undefined {
  const mode = bpfMode(i.code);
  const ty = mode === BPF_MEM ? UTYPE[bpfSize(i.code)] : mode === BPF_MEMSX ? STYPE[bpfSize(i.code)] : undefined;
  if (ty === undefined || i.imm !== 0 || !ok(i.dst) || !ok(i.src)) return undefined;
  return `r${i.dst} = *(${ty} *)${mem(i.src, i.off)}`;
}

function stx(i: Instruction): string | undefined {
  const { dst: d, src: s, off, imm } = i;
  const size = bpfSize(i.code);
  const ty = UTYPE[size]!;
  const mode = bpfMode(i.code);
  if (!ok(d) || !ok(s)) return undefined;
  if (mode === BPF_MEM) return imm ? undefined : `*(${ty} *)${mem(d, off)} = r${s}`;
  if (mode !== BPF_ATOMIC) return undefined;
  const v = size === BPF_DW ? 'r' : 'w';
  if (imm === BPF_LOAD_ACQ) return `${v}${d} = load_acquire((${ty} *)${mem(s, off)})`;
  if (imm === BPF_STORE_REL) return `store_release((${ty} *)${mem(d, off)}, ${v}${s})`;
  if (size !== BPF_DW && size !== BPF_W) return undefined; // read-modify-write is 32 or 64 bits only
  const addr = `r${d} ${plusOff(off)}`;
  const n = size === BPF_DW ? '_64' : '32_32';
  if (imm === BPF_XCHG) return `${v}${s} = xchg${n}(${addr}, ${v}${s})`;
  if (imm === BPF_CMPXCHG) return `${v}0 = cmpxchg${n}(${addr}, ${v}0, ${v}${s})`;
  const name = ATOMIC_NAMES[imm & ~BPF_FETCH];
  if (name === undefined || (imm & ~0xf1) !== 0) return undefined;
  if (imm & BPF_FETCH) return `${v}${s} = atomic_fetch_${name}((${ty} *)${mem(d, off)}, ${v}${s})`;
  return `lock *(${ty} *)${mem(d, off)} ${ALU_SYMBOLS[imm]} ${v}${s}`;
}

/** LD_IMM64 when both slots are well formed, else undefined (printed raw, slot by slot). */
function ldImm64(i: Instruction, next: Instruction | undefined): string | undefined {
  if (!next || next.code !== 0 || next.dst || next.src || next.off || i.off || !ok(i.dst)) return undefined;
  const lhs = `r${i.dst} = `;
  if (i.src === 0) {
    const u = joinImm64(i.imm, next.imm);
    const s = BigInt.asIntN(64, u);
    const text = s >= -0x80000000n && s <= 0x7fffffffn ? s.toString() : `0x${u.toString(16)}`;
    return `${lhs}${text} ll`;
  }
  const name = PSEUDO_NAMES[i.src];
  if (name === undefined) return undefined;
  if (name === 'func') return next.imm ? undefined : `${lhs}func(pc${signed(i.imm)}) ll`;
  const twoArgs = name.endsWith('value') || next.imm !== 0;
  return `${lhs}${name}(${i.imm}${twoArgs ? `, ${next.imm}` : ''}) ll`;
}
