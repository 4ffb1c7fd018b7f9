// Condition visitor: boolean expressions become branches (short-circuit && and
// ||, comparisons fused into conditional jumps), and null checks of map
// pointers narrow them on the branch where they are known non-null.
import ts from 'typescript';
import { konst, reg, type Block, type CondOp } from '../ir/ir.js';
import { BOOL, INT, type Ty } from '../ir/types.js';
import type { Lowerer, Val } from './lower.js';
import { COMPARISON, lowerExpr } from './expressions.js';

const CMP: Partial<Record<ts.SyntaxKind, CondOp>> = {
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: 'eq', [ts.SyntaxKind.EqualsEqualsToken]: 'eq',
  [ts.SyntaxKind.ExclamationEqualsEqualsToken]: 'ne', [ts.SyntaxKind.ExclamationEqualsToken]: 'ne',
  [ts.SyntaxKind.LessThanToken]: 'lt', [ts.SyntaxKind.LessThanEqualsToken]: 'le',
  [ts.SyntaxKind.GreaterThanToken]: 'gt', [ts.SyntaxKind.GreaterThanEqualsToken]: 'ge',
};

function strip(n: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(n)) n = n.expression;
  return n;
}

/** The nullable-pointer local an expression names, as a vreg id. */
function pointerLocal(L: Lowerer, n: ts.Expression): number | undefined {
  n = strip(n);
  if (!ts.isIdentifier(n)) return undefined;
  const sym = L.symbolOf(n);
  const local = sym && L.locals.get(sym);
  return local?.kind === 'var' && local.vreg.ty.kind === 'ptr' ? local.vreg.id : undefined;
}

/** Pointers known non-null when `n` is true (`which` = true) or false. */
export function facts(L: Lowerer, n0: ts.Expression, which: boolean): Set<number> {
  const n = strip(n0);
  const out = new Set<number>();
  const direct = pointerLocal(L, n);
  if (direct !== undefined) { if (which) out.add(direct); return out; }
  if (ts.isPrefixUnaryExpression(n) && n.operator === ts.SyntaxKind.ExclamationToken) return facts(L, n.operand, !which);
  if (!ts.isBinaryExpression(n)) return out;
  const k = n.operatorToken.kind;
  if (k === ts.SyntaxKind.AmpersandAmpersandToken && which) for (const s of [n.left, n.right]) for (const v of facts(L, s, true)) out.add(v);
  if (k === ts.SyntaxKind.BarBarToken && !which) for (const s of [n.left, n.right]) for (const v of facts(L, s, false)) out.add(v);
  const op = CMP[k];
  if (op === 'eq' || op === 'ne') {
    const isNull = (e: ts.Expression) => strip(e).kind === ts.SyntaxKind.NullKeyword;
    const p = isNull(n.right) ? pointerLocal(L, n.left) : isNull(n.left) ? pointerLocal(L, n.right) : undefined;
    if (p !== undefined && (op === 'ne') === which) out.add(p);
  }
  return out;
}

/** Run `fn` with extra narrowing facts, restoring the previous set after. */
export function withFacts<T>(L: Lowerer, extra: Set<number>, fn: () => T): T {
  const saved = L.narrowed;
  L.narrowed = new Set([...saved, ...extra]);
  try {
    return fn();
  } finally {
    L.narrowed = saved;
  }
}

/** Branch to `t` when `node` is true, else to `f`. */
export function lowerCond(L: Lowerer, node0: ts.Expression, t: Block, f: Block): void {
  const node = strip(node0);
  const pos = L.pos(node);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) return lowerCond(L, node.operand, f, t);
  if (ts.isBinaryExpression(node)) {
    const k = node.operatorToken.kind;
    if (k === ts.SyntaxKind.AmpersandAmpersandToken || k === ts.SyntaxKind.BarBarToken) {
      const and = k === ts.SyntaxKind.AmpersandAmpersandToken;
      const mid = L.b.newBlock();
      lowerCond(L, node.left, and ? mid : t, and ? f : mid);
      L.b.setBlock(mid);
      withFacts(L, facts(L, node.left, and), () => lowerCond(L, node.right, t, f));
      return;
    }
    const op = CMP[k];
    if (op && COMPARISON.has(k)) {
      const a = lowerExpr(L, node.left);
      const b = lowerExpr(L, node.right);
      const isPtr = (v: Val) => v.kind === 'val' && v.ty.kind === 'ptr';
      if (isPtr(a) || isPtr(b)) {
        if (op !== 'eq' && op !== 'ne') L.fail('LK1001', 'pointers can only be compared with null', node);
        const p = isPtr(a) ? a : b;
        const other = isPtr(a) ? b : a;
        if (p.kind !== 'val' || !(other.kind === 'val' && other.op.kind === 'const' && other.op.value === 0n)) {
          return L.fail('LK1001', 'pointers can only be compared with null', node);
        }
        return L.b.terminate({ op: 'cbr', cond: op, a: p.op, b: konst(0n, p.ty), ty: p.ty, t, f, pos });
      }
      const u = L.unify(a, b, node);
      if (u.ty.kind === 'bool' && op !== 'eq' && op !== 'ne') L.fail('LK2009', 'booleans can only be compared with === / !==', node);
      return L.b.terminate({ op: 'cbr', cond: op, a: u.a, b: u.b, ty: u.ty, t, f, pos });
    }
  }
  const v = lowerExpr(L, node);
  if (v.kind === 'lit') return L.b.terminate({ op: 'br', target: v.value !== 0n ? t : f, pos });
  const { op, ty } = L.operand(v, undefined, node);
  L.b.terminate({ op: 'cbr', cond: 'ne', a: op, b: konst(0n, ty), ty, t, f, pos });
}

/** A boolean expression or ternary as a value (0/1 for booleans). */
export function lowerCondValue(L: Lowerer, node0: ts.Expression, want?: Ty): Val {
  const node = strip(node0);
  const tb = L.b.newBlock();
  const fb = L.b.newBlock();
  const join = L.b.newBlock();
  const pos = L.pos(node);
  if (ts.isConditionalExpression(node)) {
    lowerCond(L, node.condition, tb, fb);
    L.b.setBlock(tb);
    const va = withFacts(L, facts(L, node.condition, true), () => lowerExpr(L, node.whenTrue, want));
    const tEnd = L.b.current;
    L.b.setBlock(fb);
    const vb = withFacts(L, facts(L, node.condition, false), () => lowerExpr(L, node.whenFalse, want));
    const fEnd = L.b.current;
    const ty: Ty = want ?? (va.kind === 'val' ? va.ty : vb.kind === 'val' ? vb.ty : va.kind === 'lit' && va.big ? INT.i64 : INT.i32);
    const res = L.b.vreg(ty);
    for (const [blk, v, n] of [[tEnd, va, node.whenTrue], [fEnd, vb, node.whenFalse]] as const) {
      L.b.setBlock(blk);
      L.b.emit({ op: 'copy', dst: res, src: L.operand(v, ty, n).op, pos });
      L.b.terminate({ op: 'br', target: join, pos });
    }
    L.b.setBlock(join);
    return { kind: 'val', op: reg(res), ty };
  }
  const res = L.b.vreg(BOOL);
  lowerCond(L, node, tb, fb);
  for (const [blk, bit] of [[tb, 1n], [fb, 0n]] as const) {
    L.b.setBlock(blk);
    L.b.emit({ op: 'copy', dst: res, src: konst(bit, BOOL), pos });
    L.b.terminate({ op: 'br', target: join, pos });
  }
  L.b.setBlock(join);
  return { kind: 'val', op: reg(res), ty: BOOL };
}
