// Module-level integer constants and constant folding where the language needs a
// compile-time value: `const PORT = 53;` at the top level is an untyped constant
// (it adopts the use site's width, like a literal), and map options such as
// `maxEntries: 4 * 1024` or `size: 1 << 16` fold `+ - * / % << >> >>> & | ^ ~`
// and unary `-` over integer literals, module constants and enum members.
//
// @example const PORT = 53; const SLOTS = 1 << 10;
//          export const seen = new HashMap<u16, u64>({ maxEntries: SLOTS * 4 });
import ts from 'typescript';
import type { ModuleInfo } from './lower.js';
import { ARITH, fold } from './expressions.js';

/** An untyped constant: `big` when written with bigint literals (`1n`), which default to 64 bits. */
export interface ConstValue { readonly value: bigint; readonly big: boolean }

/** Largest shift folded: beyond it the value is no use to any width and bigint would grow without bound. */
const MAX_SHIFT = 128n;

/** Module-level constants of each module being lowered, by symbol. */
const byModule = new WeakMap<ModuleInfo, Map<ts.Symbol, ConstValue>>();

export function moduleConstOf(info: ModuleInfo, sym: ts.Symbol | undefined): ConstValue | undefined {
  return sym ? byModule.get(info)?.get(sym) : undefined;
}

export function declareModuleConst(info: ModuleInfo, sym: ts.Symbol, c: ConstValue): void {
  let m = byModule.get(info);
  if (!m) byModule.set(info, (m = new Map()));
  m.set(sym, c);
}

function symbolOf(info: ModuleInfo, node: ts.Node): ts.Symbol | undefined {
  const s = info.checker.getSymbolAtLocation(node);
  return s && s.flags & ts.SymbolFlags.Alias ? info.checker.getAliasedSymbol(s) : s;
}

/** The integer `e` denotes at compile time, or undefined when it is not a constant expression. */
export function constExpr(info: ModuleInfo, e0: ts.Expression): ConstValue | undefined {
  let e = e0;
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e) || ts.isTypeAssertionExpression(e)) e = e.expression;
  if (ts.isNumericLiteral(e)) {
    if (!/^(0[xXbBoO])?[0-9a-fA-F_]+$/.test(e.text)) return undefined;
    return { value: BigInt(e.text.replace(/_/g, '')), big: false };
  }
  if (ts.isBigIntLiteral(e)) return { value: BigInt(e.text.slice(0, -1).replace(/_/g, '')), big: true };
  if (ts.isIdentifier(e)) {
    const c = moduleConstOf(info, symbolOf(info, e));
    if (c) return c;
  }
  if (ts.isPrefixUnaryExpression(e)) {
    const v = constExpr(info, e.operand);
    if (!v) return undefined;
    if (e.operator === ts.SyntaxKind.MinusToken) return { value: -v.value, big: v.big };
    if (e.operator === ts.SyntaxKind.TildeToken) return { value: ~v.value, big: v.big };
    if (e.operator === ts.SyntaxKind.PlusToken && !v.big) return v;
    return undefined;
  }
  if (ts.isBinaryExpression(e)) {
    const op = ARITH[e.operatorToken.kind];
    const a = op && constExpr(info, e.left);
    const b = a && constExpr(info, e.right);
    if (!op || !a || !b) return undefined;
    if ((op === 'shl' || op === 'shr') && (b.value < 0n || b.value > MAX_SHIFT)) return undefined;
    return { value: fold(op, a.value, b.value), big: a.big || b.big };
  }
  // Enum members (XdpAction.PASS) and literal-typed constants from elsewhere.
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
    const c = info.checker.getConstantValue(e);
    if (typeof c === 'number' && Number.isInteger(c)) return { value: BigInt(c), big: false };
  }
  const t = info.checker.getTypeAtLocation(e);
  if (t.isNumberLiteral() && Number.isInteger(t.value)) return { value: BigInt(t.value), big: false };
  if (t.flags & ts.TypeFlags.BigIntLiteral) {
    const v = (t as ts.BigIntLiteralType).value;
    return { value: BigInt(`${v.negative ? '-' : ''}${v.base10Value}`), big: true };
  }
  return undefined;
}
