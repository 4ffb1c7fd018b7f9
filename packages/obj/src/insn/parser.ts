// Token cursor with the operand parsers that all instruction forms share:
// registers, signed numbers, sized pointer types and memory references.
// Every failure is an AsmError at the offending token.

import { AsmError } from './asm-error.js';
import { fitsInt16, toInt32 } from './fields.js';
import { describe, type Token } from './lexer.js';
import { BPF_B, BPF_DW, BPF_H, BPF_W } from './opcodes.js';

export interface RegOperand {
  n: number;
  /** true for rN (64-bit view), false for wN (32-bit view) */
  wide: boolean;
  tok: Token;
}

export interface PtrType {
  /** BPF_B/H/W/DW */
  size: number;
  bits: 8 | 16 | 32 | 64;
  signed: boolean;
  tok: Token;
}

/** Where a jump or call goes: a relative slot count or a label. */
export type Target = { rel: number; tok: Token } | { label: string; tok: Token };

export interface MemRef {
  base: RegOperand;
  off: number;
}

const REG_RE = /^([rw])([0-9]+)$/;
const TYPES: Record<string, { size: number; bits: 8 | 16 | 32 | 64; signed: boolean }> = {
  u8: { size: BPF_B, bits: 8, signed: false },
  u16: { size: BPF_H, bits: 16, signed: false },
  u32: { size: BPF_W, bits: 32, signed: false },
  u64: { size: BPF_DW, bits: 64, signed: false },
  s8: { size: BPF_B, bits: 8, signed: true },
  s16: { size: BPF_H, bits: 16, signed: true },
  s32: { size: BPF_W, bits: 32, signed: true },
};

/** True if an identifier is spelled like a register (r0..r99, w0..w99), valid or not. */
export const looksLikeReg = (t: Token): boolean => t.kind === 'ident' && REG_RE.test(t.text);

export class Cursor {
  private pos = 0;

  constructor(private readonly toks: readonly Token[]) {}

  peek(ahead = 0): Token {
    return this.toks[Math.min(this.pos + ahead, this.toks.length - 1)]!;
  }

  next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.pos++;
    return t;
  }

  fail(t: Token, reason: string): never {
    throw new AsmError(reason, t.line, t.col);
  }

  /** Fail with "expected WHAT, got TOKEN" at the current token. */
  expected(what: string): never {
    const t = this.peek();
    this.fail(t, `expected ${what}, got ${describe(t)}`);
  }

  isPunct(text: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'punct' && t.text === text;
  }

  isIdent(text?: string, ahead = 0): boolean {
    const t = this.peek(ahead);
    return t.kind === 'ident' && (text === undefined || t.text === text);
  }

  /** Consume the punctuation `text` if it is next. */
  eat(text: string): boolean {
    if (!this.isPunct(text)) return false;
    this.pos++;
    return true;
  }

  punct(text: string): Token {
    if (!this.isPunct(text)) this.expected(`'${text}'`);
    return this.next();
  }

  keyword(text: string): Token {
    if (!this.isIdent(text)) this.expected(`'${text}'`);
    return this.next();
  }

  ident(what = 'a name'): Token {
    if (!this.isIdent()) this.expected(what);
    return this.next();
  }

  end(): void {
    if (this.peek().kind !== 'end') this.expected('end of statement');
  }

  /** A register; `width` restricts it to the rN or wN view. */
  reg(width: 'r' | 'w' | 'any' = 'any'): RegOperand {
    const t = this.peek();
    const m = t.kind === 'ident' ? REG_RE.exec(t.text) : null;
    if (!m) this.expected(width === 'w' ? 'a wN register' : width === 'r' ? 'an rN register' : 'a register');
    const n = Number(m[2]);
    if (n > 10 || m[2]!.length > 2 || (m[2]!.length === 2 && m[2]![0] === '0')) this.fail(t, `unknown register '${t.text}'`);
    const wide = m[1] === 'r';
    if (width === 'r' && !wide) this.fail(t, `expected an rN register (64-bit), got '${t.text}'`);
    if (width === 'w' && wide) this.fail(t, `expected a wN register (32-bit), got '${t.text}'`);
    this.next();
    return { n, wide, tok: t };
  }

  /** A register of the same width as `like` (rN with rN, wN with wN). */
  regLike(like: RegOperand): RegOperand {
    return this.reg(like.wide ? 'r' : 'w');
  }

  isReg(ahead = 0): boolean {
    return looksLikeReg(this.peek(ahead));
  }

  isNumber(): boolean {
    const t = this.peek();
    return t.kind === 'num' || ((t.text === '-' || t.text === '+') && this.peek(1).kind === 'num');
  }

  /** An integer with an optional sign. Returns the value and the first token. */
  number(what = 'a number'): { value: bigint; tok: Token } {
    const tok = this.peek();
    let sign = 1n;
    if (this.isPunct('-') || this.isPunct('+')) {
      sign = this.next().text === '-' ? -1n : 1n;
    }
    if (this.peek().kind !== 'num') this.expected(what);
    return { value: sign * this.next().value, tok };
  }

  /** A 32-bit immediate (signed or unsigned spelling), normalized to signed. */
  imm32(what = 'a number'): number {
    if (!this.isNumber()) this.expected(what);
    const { value, tok } = this.number();
    return this.checkImm32(value, tok);
  }

  checkImm32(value: bigint, tok: Token): number {
    if (value < -0x80000000n || value > 0xffffffffn) this.fail(tok, `immediate ${value} does not fit in 32 bits`);
    return toInt32(Number(value));
  }

  /** A number within [min, max]. */
  ranged(what: string, min: number, max: number): number {
    const { value, tok } = this.number(what);
    if (value < BigInt(min) || value > BigInt(max)) this.fail(tok, `${what} ${value} is out of range ${min}..${max}`);
    return Number(value);
  }

  /** `(u32 *)` → the size. Signed types only where `allowSigned`. */
  ptrType(allowSigned: boolean): PtrType {
    this.punct('(');
    const t = this.peek();
    const ty = t.kind === 'ident' ? TYPES[t.text] : undefined;
    if (!ty || (ty.signed && !allowSigned)) this.expected(allowSigned ? 'a type (u8 u16 u32 u64 s8 s16 s32)' : 'a type (u8 u16 u32 u64)');
    this.next();
    this.punct('*');
    this.punct(')');
    return { ...ty, tok: t };
  }

  /** `rN`, `rN + 4` or `rN - 8` (the inside of a memory reference). */
  addr(): MemRef {
    const base = this.reg('r');
    let off = 0;
    if (this.isPunct('+') || this.isPunct('-')) {
      const sign = this.next().text === '-' ? -1n : 1n;
      const { value, tok } = this.number('an offset');
      const v = sign * value;
      if (!fitsInt16(Number(v))) this.fail(tok, `offset ${v} does not fit in 16 bits (-32768..32767)`);
      off = Number(v) | 0;
    }
    return { base, off };
  }

  /**
   * A jump/call target: `+3`, `-1`, `pc+3` (relative, in slots after the next
   * instruction) or a label name, resolved later.
   */
  target(bits: 16 | 32): Target {
    const t = this.peek();
    if (t.kind === 'ident' && t.text === 'pc' && (this.isPunct('+', 1) || this.isPunct('-', 1))) this.next();
    else if (t.kind === 'ident') {
      if (looksLikeReg(t)) this.fail(t, `expected a label or '+N'/'-N', got register '${t.text}'`);
      this.next();
      return { label: t.text, tok: t };
    }
    if (!this.isPunct('+') && !this.isPunct('-')) this.expected("a label or '+N'/'-N'");
    const { value, tok } = this.number('an offset');
    const [min, max] = bits === 16 ? [-0x8000, 0x7fff] : [-0x80000000, 0x7fffffff];
    if (value < BigInt(min) || value > BigInt(max)) this.fail(tok, `offset ${value} does not fit in ${bits} bits`);
    this.skipAnnotation();
    return { rel: Number(value) | 0, tok };
  }

  /** llvm-objdump appends `<LBB0_2>` or `<.text+0x40>` to jump targets; it carries no information. */
  private skipAnnotation(): void {
    if (!this.isPunct('<')) return;
    const open = this.next();
    while (!this.isPunct('>')) {
      if (this.peek().kind === 'end') this.fail(open, "unclosed '<' annotation");
      this.next();
    }
    this.next();
  }

  /** `(rN + off)`. */
  memRef(): MemRef {
    this.punct('(');
    const ref = this.addr();
    this.punct(')');
    return ref;
  }
}
