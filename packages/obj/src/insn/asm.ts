// Assembler for the kernel/LLVM eBPF text syntax (the one `llvm-objdump -d`
// and the verifier log print). Two passes: parse every statement, recording
// label positions in slots, then patch label references.
//
// Syntax summary (one instruction per line or ';'-separated):
//   r0 = 1   w0 = 1   r1 = r2   r0 += 5   w1 s/= w2   r0 = -r0   r1 = (s8)r2
//   r1 = be16 r1   r1 = le32 r1   r1 = bswap64 r1   r1 = addr_space_cast(r2, 1, 0)
//   r1 = 0x1234567890 ll   r1 = map_fd(3) ll   r1 = map_value(3, 16) ll   r1 = map[name] ll
//   r1 = btf_id(7) ll   r1 = func(label) ll   r1 = map_idx(0) ll   r1 = map_idx_value(0, 8) ll
//   r0 = *(u32 *)(r1 + 4)   r0 = *(s16 *)(r1 + 2)   *(u64 *)(r10 - 8) = r1   *(u32 *)(r10 - 4) = 0
//   r0 = *(u8 *)skb[12]   r0 = *(u16 *)skb[r6 + 2]
//   lock *(u64 *)(r1 + 0) += r2   r2 = atomic_fetch_add((u64 *)(r1 + 0), r2)
//   r2 = xchg_64(r1 + 0, r2)   r0 = cmpxchg_64(r1 + 0, r0, r2)   (32-bit: xchg32_32, cmpxchg32_32)
//   w0 = load_acquire((u8 *)(r1 + 0))   store_release((u64 *)(r1 + 0), r2)
//   goto +3   goto label   gotol +100000   may_goto +2   if r1 s>= r2 goto out   if w1 & 1 goto +2
//   call 1   call bpf_map_lookup_elem   call bpf_map_lookup_elem#1   call pc+3   call label
//   call kfunc(1234)   call kfunc(1234, 2)   exit
//   .insn CODE, DST, SRC, OFF, IMM      one raw slot, e.g. `.insn 0xff, 1, 2, -3, 4`
//     (CODE 0..255, DST/SRC 0..15, OFF -32768..65535, IMM -2^31..2^32-1; any base)
// Map references: map_fd(FD) or map_fd(NAME), map_value(FD|NAME, OFFSET) and
// map[NAME], with NAME looked up in AsmOptions.maps. Numbers: decimal, 0x, 0b, 0o.
// `call NAME` is a bpf-to-bpf call if NAME is a label, else a helper by name.
// Labels: `name:` alone or before an instruction. Comments: `//`, `/* */`, and
// `#` unless glued to a name (`call foo#1`). Jump/call offsets count slots
// from the next instruction; LD_IMM64 is two slots.

import { AsmError } from './asm-error.js';
import { insn, lockStatement, regStatement, store, storeRelease, type DataContext, type Emitted, type LabelRef } from './asm-data.js';
import { fitsInt16, toInt16 } from './fields.js';
import { helperId } from './helpers.js';
import type { Instruction } from './instruction.js';
import { describe, lex, type Token } from './lexer.js';
import {
  BPF_CALL_INSN, BPF_EXIT_INSN, BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32,
  BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_X,
} from './opcodes.js';
import { Cursor, looksLikeReg, type Target } from './parser.js';

export { AsmError } from './asm-error.js';

export interface AsmOptions {
  /** Map name → fd, for `r1 = map[name] ll`, `map_fd(name)` and `map_value(name, off)`. */
  maps?: Record<string, number>;
}

const CONDITIONS: Record<string, number> = {
  '==': BPF_JEQ, '!=': BPF_JNE, '>': BPF_JGT, '>=': BPF_JGE, '<': BPF_JLT, '<=': BPF_JLE,
  's>': BPF_JSGT, 's>=': BPF_JSGE, 's<': BPF_JSLT, 's<=': BPF_JSLE, '&': BPF_JSET,
};

/**
 * Assemble eBPF text into instruction slots. Throws AsmError (with 1-based
 * line and column) on the first problem.
 * @example
 * assemble(`
 *   r0 = 0
 *   if r1 == 0 goto out
 *   r0 = 1
 * out:
 *   exit`)
 * // → [{code:0xb7,...}, {code:0x15,dst:1,off:1,...}, {code:0xb7,...,imm:1}, {code:0x95,...}]
 */
export function assemble(source: string, options: AsmOptions = {}): Instruction[] {
  const ctx: DataContext = { maps: options.maps };
  const labels = new Map<string, { slot: number; tok: Token }>();
  const items: { at: number; e: Emitted }[] = [];
  let slot = 0;
  for (const toks of lex(source)) {
    const c = new Cursor(toks);
    while (c.isIdent() && c.isPunct(':', 1)) {
      const t = c.next();
      c.next();
      if (looksLikeReg(t)) c.fail(t, `'${t.text}' is a register name, not a label`);
      const prev = labels.get(t.text);
      if (prev) c.fail(t, `duplicate label '${t.text}' (first defined at ${prev.tok.line}:${prev.tok.col})`);
      labels.set(t.text, { slot, tok: t });
    }
    if (c.peek().kind === 'end') continue;
    const e = statement(c, ctx);
    c.end();
    items.push({ at: slot, e });
    slot += e.insns.length;
  }

  const out: Instruction[] = [];
  for (const { at, e } of items) {
    const distance = (name: string) => {
      const l = labels.get(name);
      return l === undefined ? undefined : l.slot - (at + 1);
    };
    if (e.ref) e.insns[0] = patch(e.insns[0]!, e.ref, distance(e.ref.label));
    if (e.callName) e.insns[0] = resolveCall(e.insns[0]!, e.callName, distance(e.callName.text));
    out.push(...e.insns);
  }
  return out;
}

function patch(i: Instruction, ref: LabelRef, rel: number | undefined): Instruction {
  const { tok, label } = ref;
  if (rel === undefined) throw new AsmError(`undefined label '${label}'`, tok.line, tok.col);
  if (ref.field === 'off' && !fitsInt16(rel)) {
    throw new AsmError(`label '${label}' is ${rel} slots away; a 16-bit offset reaches -32768..32767`, tok.line, tok.col);
  }
  return { ...i, [ref.field]: rel };
}

/** `call NAME`: labels win over helper names, since the program defined them. */
function resolveCall(i: Instruction, tok: Token, rel: number | undefined): Instruction {
  if (rel !== undefined) return { ...i, src: BPF_PSEUDO_CALL, imm: rel };
  const id = helperId(tok.text);
  if (id === undefined) throw new AsmError(`unknown helper or label '${tok.text}'`, tok.line, tok.col);
  return { ...i, imm: id };
}

function statement(c: Cursor, ctx: DataContext): Emitted {
  const t = c.peek();
  if (t.kind === 'punct' && t.text === '*') return store(c);
  if (t.kind !== 'ident') c.expected('an instruction');
  if (looksLikeReg(t)) return regStatement(c, ctx);
  switch (t.text) {
    case 'exit':
      c.next();
      return { insns: [insn(BPF_EXIT_INSN)] };
    case 'goto':
    case 'gotol':
    case 'may_goto':
      return jump(c);
    case 'if':
      return conditional(c);
    case 'call':
      return call(c);
    case 'lock':
      return lockStatement(c);
    case 'store_release':
      return storeRelease(c);
    case '.insn':
      return raw(c);
  }
  return c.fail(t, `unknown instruction '${t.text}'`);
}

function withTarget(i: Instruction, target: Target, field: 'off' | 'imm'): Emitted {
  if ('rel' in target) return { insns: [{ ...i, [field]: target.rel }] };
  return { insns: [i], ref: { label: target.label, tok: target.tok, field } };
}

/** `goto +N` (JA, off), `gotol +N` (JMP32 JA, imm), `may_goto +N` (JCOND). */
function jump(c: Cursor): Emitted {
  const kw = c.next().text;
  if (kw === 'gotol') return withTarget(insn(BPF_JMP32 | BPF_JA), c.target(32), 'imm');
  return withTarget(insn(BPF_JMP | (kw === 'goto' ? BPF_JA : BPF_JCOND)), c.target(16), 'off');
}

/** `if rD OP (rS | imm) goto TARGET`; wN registers select JMP32. */
function conditional(c: Cursor): Emitted {
  c.keyword('if');
  const dst = c.reg();
  const opTok = c.next();
  const op = opTok.kind === 'punct' ? CONDITIONS[opTok.text] : undefined;
  if (op === undefined) {
    c.fail(opTok, `expected a comparison (== != > >= < <= s> s>= s< s<= &), got ${describe(opTok)}`);
  }
  const cls = dst.wide ? BPF_JMP : BPF_JMP32;
  const i = c.isReg()
    ? insn(cls | op | BPF_X, dst.n, c.regLike(dst).n)
    : insn(cls | op | BPF_K, dst.n, 0, 0, c.imm32('a register or a number'));
  c.keyword('goto');
  return withTarget(i, c.target(16), 'off');
}

/** `call 1`, `call name`, `call name#1`, `call pc+3`, `call label`, `call kfunc(id[, off])`. */
function call(c: Cursor): Emitted {
  c.keyword('call');
  if (c.isNumber()) return { insns: [insn(BPF_CALL_INSN, 0, 0, 0, c.imm32())] };
  const t = c.peek();
  if (t.kind !== 'ident' || looksLikeReg(t)) c.expected('a helper name or id, a label, pc+N or kfunc(id)');
  if (t.text === 'pc' && (c.isPunct('+', 1) || c.isPunct('-', 1))) {
    const target = c.target(32);
    return withTarget(insn(BPF_CALL_INSN, 0, BPF_PSEUDO_CALL), target, 'imm');
  }
  c.next();
  if (t.text === 'kfunc' && c.eat('(')) {
    const id = c.imm32('a BTF id');
    const off = c.eat(',') ? c.ranged('fd_array index', -0x8000, 0x7fff) : 0;
    c.punct(')');
    return { insns: [insn(BPF_CALL_INSN, 0, BPF_PSEUDO_KFUNC_CALL, off, id)] };
  }
  if (c.eat('#')) {
    const idTok = c.peek();
    const id = c.imm32('a helper id');
    const known = helperId(t.text);
    if (known !== undefined && known !== id) c.fail(idTok, `helper '${t.text}' has id ${known}, not ${id}`);
    return { insns: [insn(BPF_CALL_INSN, 0, 0, 0, id)] };
  }
  return { insns: [insn(BPF_CALL_INSN)], callName: t };
}

/** `.insn CODE, DST, SRC, OFF, IMM`: one slot with exactly these fields. */
function raw(c: Cursor): Emitted {
  c.next();
  const code = c.ranged('opcode', 0, 0xff);
  c.punct(',');
  const dst = c.ranged('dst', 0, 15);
  c.punct(',');
  const src = c.ranged('src', 0, 15);
  c.punct(',');
  const off = toInt16(c.ranged('offset', -0x8000, 0xffff));
  c.punct(',');
  const imm = c.imm32();
  return { insns: [insn(code, dst, src, off, imm)] };
}
