// Tokenizer for the eBPF assembly syntax. Splits the source into statements
// (separated by newlines and ';') of tokens that carry their 1-based position,
// so every parse error can point at the offending column.

import { AsmError } from './asm-error.js';

export type TokenKind = 'ident' | 'num' | 'punct' | 'end';

export interface Token {
  kind: TokenKind;
  /** source text; for 'end': ';', '\n' or '' (end of input) */
  text: string;
  /** numeric value of a 'num' token */
  value: bigint;
  line: number;
  col: number;
}

// Longest first, so '<<=' wins over '<' and 's>>=' over 's>'.
const PUNCT = [
  's>>=', '<<=', '>>=', 's<=', 's>=', 's/=', 's%=', 's<', 's>',
  '==', '!=', '<=', '>=', '+=', '-=', '*=', '/=', '%=', '|=', '&=', '^=',
  '<', '>', '=', '&', '(', ')', '[', ']', '*', '+', '-', ',', ':', '#',
];

const isIdentStart = (c: string) => /[A-Za-z_.]/.test(c);
const isIdentChar = (c: string) => /[A-Za-z0-9_.]/.test(c);
const isDigit = (c: string) => c >= '0' && c <= '9';

/**
 * Split `source` into statements. Each statement's last token has kind 'end'.
 * Empty statements are dropped. Comments: `//…` and `/*…*\/` anywhere; `#…`
 * unless the `#` directly follows an identifier (as in `call foo#1`).
 */
export function lex(source: string): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const col = () => i - lineStart + 1;
  const tok = (kind: TokenKind, text: string, c: number, value = 0n): Token => ({ kind, text, value, line, col: c });
  const endStatement = (text: string) => {
    if (current.length > 0) {
      current.push(tok('end', text, col()));
      statements.push(current);
    }
    current = [];
  };
  const newline = () => {
    i++;
    line++;
    lineStart = i;
  };

  while (i < source.length) {
    const c = source[i]!;
    if (c === '\n') {
      endStatement('\n');
      newline();
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === ';') {
      endStatement(';');
      i++;
      continue;
    }
    if (source.startsWith('//', i)) {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (source.startsWith('/*', i)) {
      const [l, cc] = [line, col()];
      i += 2;
      while (i < source.length && !source.startsWith('*/', i)) {
        if (source[i] === '\n') newline();
        else i++;
      }
      if (i >= source.length) throw new AsmError("unterminated '/*' comment", l, cc);
      i += 2;
      continue;
    }
    if (c === '#') {
      const prev = current[current.length - 1];
      const glued = prev?.kind === 'ident' && prev.line === line && prev.col + prev.text.length === col();
      if (!glued) {
        while (i < source.length && source[i] !== '\n') i++;
        continue;
      }
    }
    const start = col();
    if (isDigit(c)) {
      const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|[0-9]+)/.exec(source.slice(i, i + 80))!;
      const text = m[0];
      const next = source[i + text.length];
      if (next !== undefined && isIdentChar(next)) {
        const bad = /^[A-Za-z0-9_.]+/.exec(source.slice(i, i + 80))![0];
        throw new AsmError(`invalid number '${bad}'`, line, start);
      }
      current.push(tok('num', text, start, BigInt(text)));
      i += text.length;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < source.length && isIdentChar(source[j]!)) j++;
      const text = source.slice(i, j);
      // 's' glued to an operator is the signed form of that operator ('s<', 's>>=', ...).
      if (text === 's') {
        const op = PUNCT.find((p) => p.startsWith('s') && source.startsWith(p, i));
        if (op) {
          current.push(tok('punct', op, start));
          i += op.length;
          continue;
        }
      }
      current.push(tok('ident', text, start));
      i = j;
      continue;
    }
    const op = PUNCT.find((p) => !p.startsWith('s') && source.startsWith(p, i));
    if (op) {
      current.push(tok('punct', op, start));
      i += op.length;
      continue;
    }
    throw new AsmError(`unexpected character '${c}'`, line, start);
  }
  endStatement('');
  return statements;
}

/** How a token is quoted in error messages. */
export function describe(t: Token): string {
  if (t.kind === 'end') return t.text === '' ? 'end of input' : 'end of statement';
  return `'${t.text}'`;
}
