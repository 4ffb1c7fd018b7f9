// Statement visitor: locals, if/else with null narrowing, bounded for loops,
// break/continue, early return. Code after a return is unreachable and dropped.
import ts from 'typescript';
import { sameTy, wrap, type IntTy } from '../ir/types.js';
import { facts, lowerCond, withFacts } from './conditions.js';
import { lowerExpr } from './expressions.js';
import { widthOf } from './kernel.js';
import { layoutOfTypeNode } from './layout.js';
import { aggregate } from './memory.js';
import type { Lowerer } from './lower.js';
import { moduleConstOf } from './constants.js';
import { unsupportedStatement } from './unsupported.js';
import { forOfStatement } from './for-of.js';

export function lowerStatements(L: Lowerer, stmts: readonly ts.Statement[]): void {
  for (const s of stmts) lowerStatement(L, s);
}

export function lowerStatement(L: Lowerer, s: ts.Statement): void {
  if (!L.b.open) return; // unreachable (after return/break): the verifier refuses dead code
  if (ts.isBlock(s)) return lowerStatements(L, s.statements);
  if (ts.isVariableStatement(s)) return declare(L, s.declarationList);
  if (ts.isExpressionStatement(s)) { lowerExpr(L, s.expression); return; }
  if (ts.isIfStatement(s)) return ifStatement(L, s);
  if (ts.isReturnStatement(s)) return returnStatement(L, s);
  if (ts.isForStatement(s)) return forStatement(L, s);
  if (ts.isSwitchStatement(s)) return switchStatement(L, s);
  if (ts.isBreakStatement(s) || ts.isContinueStatement(s)) {
    const loop = L.loops.length > (L.inline[L.inline.length - 1]?.loops ?? 0) ? L.loops[L.loops.length - 1] : undefined;
    if (!loop || s.label) return L.fail('LK1001', 'break/continue only without labels, inside a for loop or (break) a switch', s);
    if (ts.isContinueStatement(s) && loop.noContinue) return L.fail('LK1001', 'continue inside a switch needs an enclosing for loop', s);
    return L.b.terminate({ op: 'br', target: ts.isBreakStatement(s) ? loop.brk : loop.cont, pos: L.pos(s) });
  }
  if (ts.isEmptyStatement(s)) return;
  if (ts.isWhileStatement(s) || ts.isDoStatement(s)) return L.fail('LK5003', 'use a for loop with constant bounds (or bpf.loop)', s);
  if (ts.isForOfStatement(s)) return forOfStatement(L, s);
  const specific = unsupportedStatement(s);
  if (specific) return L.fail(specific.code, specific.message, s);
  L.fail('LK1001', `${ts.SyntaxKind[s.kind]} is not supported in *.bpf.ts`, s);
}

function declare(L: Lowerer, list: ts.VariableDeclarationList): void {
  const mutable = !(list.flags & ts.NodeFlags.Const);
  for (const d of list.declarations) {
    if (!ts.isIdentifier(d.name)) return L.fail('LK1001', 'destructuring is not supported', d.name);
    if (!d.initializer) return L.fail('LK3008', `'${d.name.text}' needs an initial value`, d);
    const sym = L.symbolOf(d.name);
    if (!sym) return L.fail('LK1001', `no symbol for '${d.name.text}'`, d.name);
    const layout = d.type ? layoutOfTypeNode(L.checker, d.type) : undefined;
    if (layout && layout.kind !== 'int') {
      // A struct local lives in its own stack slot (built from a literal, or copied).
      const op = aggregate(L, d.initializer, layout);
      if (op.kind !== 'reg') return L.fail('LK3010', `'${d.name.text}' is not a ${layout.name}`, d);
      L.locals.set(sym, { kind: 'var', vreg: op.reg, mutable: false });
      continue;
    }
    const want = d.type ? widthOf(L.checker, L.checker.getTypeFromTypeNode(d.type)) : undefined;
    const v = lowerExpr(L, d.initializer, want);
    if (v.kind === 'lit' && !want) {
      if (mutable) return L.fail('LK2005', `'let ${d.name.text}' starts from a bare literal: give it a width (let ${d.name.text}: u32 = ...)`, d);
      L.locals.set(sym, { kind: 'const', value: v.value, big: v.big });
      continue;
    }
    const { op, ty } = L.operand(v, want, d.initializer);
    if (want && !sameTy(ty, want)) L.mismatch(ty, want, d.initializer);
    // A fresh temporary (an expression's result) becomes the local itself: no copy to coalesce later.
    if (op.kind === 'reg' && sameTy(op.reg.ty, ty) && op.reg !== L.b.ctx && !isLocal(L, op.reg.id)) {
      L.locals.set(sym, { kind: 'var', vreg: op.reg, mutable });
      continue;
    }
    const vreg = L.b.vreg(ty, d.name.text);
    L.b.emit({ op: 'copy', dst: vreg, src: op, pos: L.pos(d) });
    // A copy of a narrowed pointer is narrowed too (the verifier shares the id).
    if (op.kind === 'reg' && L.narrowed.has(op.reg.id)) L.narrowed.add(vreg.id);
    L.locals.set(sym, { kind: 'var', vreg, mutable });
  }
}

function isLocal(L: Lowerer, id: number): boolean {
  for (const l of L.locals.values()) if (l.kind === 'var' && l.vreg.id === id) return true;
  return false;
}

function ifStatement(L: Lowerer, s: ts.IfStatement): void {
  const tb = L.b.newBlock();
  const fb = s.elseStatement ? L.b.newBlock() : null;
  const join = L.b.newBlock();
  lowerCond(L, s.expression, tb, fb ?? join);
  const whenTrue = facts(L, s.expression, true);
  const whenFalse = facts(L, s.expression, false);
  L.b.setBlock(tb);
  withFacts(L, whenTrue, () => lowerStatement(L, s.thenStatement));
  const thenFalls = L.b.open;
  L.b.terminate({ op: 'br', target: join, pos: L.pos(s) });
  let elseFalls = true;
  if (fb && s.elseStatement) {
    L.b.setBlock(fb);
    const e = s.elseStatement;
    withFacts(L, whenFalse, () => lowerStatement(L, e));
    elseFalls = L.b.open;
    L.b.terminate({ op: 'br', target: join, pos: L.pos(s) });
  }
  L.b.setBlock(join);
  // `if (v === null) return ...;` narrows v for the rest of the block.
  if (!thenFalls && elseFalls) for (const v of whenFalse) L.narrowed.add(v);
  if (thenFalls && !elseFalls) for (const v of whenTrue) L.narrowed.add(v);
}

/**
 * `switch (x) { case 1: ...; case 2: ... }` over integer constants: a chain of equality tests on `x`
 * (evaluated once), then the case bodies in source order, falling through as in JavaScript; `break`
 * leaves the switch.
 */
function switchStatement(L: Lowerer, s: ts.SwitchStatement): void {
  const pos = L.pos(s);
  const v = lowerExpr(L, s.expression);
  const { op: disc, ty } = L.operand(v, undefined, s.expression);
  if (ty.kind !== 'int') return L.fail('LK1001', 'switch works on integers', s.expression);
  const clauses = s.caseBlock.clauses;
  const bodies = clauses.map(() => L.b.newBlock());
  const end = L.b.newBlock();
  let defaultBody: number | undefined;
  clauses.forEach((c, i) => {
    if (ts.isDefaultClause(c)) { defaultBody = i; return; }
    const cv = lowerExpr(L, c.expression, ty);
    if (cv.kind !== 'lit' && !(cv.kind === 'val' && cv.op.kind === 'const')) {
      L.fail('LK1001', 'switch cases must be integer constants', c.expression);
    }
    const { op: k } = L.operand(cv, ty, c.expression);
    const next = L.b.newBlock();
    L.b.terminate({ op: 'cbr', cond: 'eq', a: disc, b: k, ty, t: bodies[i]!, f: next, pos: L.pos(c) });
    L.b.setBlock(next);
  });
  L.b.terminate({ op: 'br', target: defaultBody === undefined ? end : bodies[defaultBody]!, pos });
  const enclosing = L.loops.length > (L.inline[L.inline.length - 1]?.loops ?? 0) ? L.loops[L.loops.length - 1] : undefined;
  L.loops.push(enclosing && !enclosing.noContinue ? { brk: end, cont: enclosing.cont, isSwitch: true } : { brk: end, cont: end, isSwitch: true, noContinue: true });
  clauses.forEach((c, i) => {
    L.b.setBlock(bodies[i]!);
    lowerStatements(L, c.statements);
    // Fall through into the next case's body, as JavaScript does (the last one to the end).
    L.b.terminate({ op: 'br', target: bodies[i + 1] ?? end, pos: L.pos(c) });
  });
  L.loops.pop();
  L.b.setBlock(end);
}

function returnStatement(L: Lowerer, s: ts.ReturnStatement): void {
  const frame = L.inline[L.inline.length - 1];
  if (frame) {
    // `return` inside an inlined function: the result into its register, then to the call's continuation.
    if (s.expression && frame.result) {
      const ty = frame.result.ty;
      const { op } = L.operand(lowerExpr(L, s.expression, ty), ty, s.expression);
      L.b.emit({ op: 'copy', dst: frame.result, src: op, pos: L.pos(s) });
    } else if (s.expression) L.fail('LK1001', 'a function without a return type cannot return a value', s);
    else if (frame.result) L.fail('LK4003', 'this function must return a value', s);
    return L.b.terminate({ op: 'br', target: frame.exit, pos: L.pos(s) });
  }
  if (!s.expression && L.bareReturn) return L.b.terminate({ op: 'ret', value: L.bareReturn, pos: L.pos(s) });
  if (!s.expression) return L.fail('LK4003', 'a program must return its verdict', s);
  const v = lowerExpr(L, s.expression, L.returnTy);
  const value = v.kind === 'val' && v.ty.kind === 'int' ? v.op : L.operand(v, L.returnTy, s.expression).op;
  L.b.terminate({ op: 'ret', value, pos: L.pos(s) });
}

/** `for (let i: T = C0; i < C1; i++)`: the verifier walks each iteration, so bounds must be constant. */
function forStatement(L: Lowerer, s: ts.ForStatement): void {
  checkBounded(L, s);
  if (s.initializer && ts.isVariableDeclarationList(s.initializer)) declare(L, s.initializer);
  const plan = unrollPlan(L, s);
  if (plan) return unrolled(L, s, plan);
  const header = L.b.newBlock();
  const body = L.b.newBlock();
  const cont = L.b.newBlock();
  const exit = L.b.newBlock();
  const pos = L.pos(s);
  L.b.terminate({ op: 'br', target: header, pos });
  L.b.setBlock(header);
  lowerCond(L, s.condition!, body, exit);
  L.b.setBlock(body);
  L.loops.push({ brk: exit, cont });
  lowerStatement(L, s.statement);
  L.loops.pop();
  L.b.terminate({ op: 'br', target: cont, pos });
  L.b.setBlock(cont);
  lowerExpr(L, s.incrementor!);
  L.b.terminate({ op: 'br', target: header, pos });
  L.b.setBlock(exit);

}

/** Unroll loops of at most this many iterations… */
const UNROLL_TRIPS = 8;
/** …whose body, times the trip count, stays under this many syntax nodes (code size). */
const UNROLL_NODES = 1000;

interface UnrollPlan { readonly sym: ts.Symbol; readonly ty: IntTy; readonly values: readonly bigint[] }

/**
 * The counter values of a short constant loop, when unrolling it pays: the
 * verifier walks every iteration anyway, and with `i` a constant in each copy
 * `ctx.header(T, 14 + i)` needs no range check and reuses ctx->data (as clang -O2).
 * Only loops whose counter reaches a ctx.header() offset are unrolled; others stay loops.
 * Called after the counter is declared, so width errors are the same either way.
 */
function unrollPlan(L: Lowerer, s: ts.ForStatement): UnrollPlan | undefined {
  const decl = (s.initializer as ts.VariableDeclarationList).declarations[0]!;
  const sym = L.symbolOf(decl.name as ts.Identifier);
  const local = sym && L.locals.get(sym);
  if (!sym || local?.kind !== 'var' || local.vreg.ty.kind !== 'int') return undefined;
  const ty = local.vreg.ty;
  const constOf = (e: ts.Expression): bigint | undefined => {
    const v = lowerExpr(L, e, ty);
    return v.kind === 'lit' ? wrap(v.value, ty) : v.kind === 'val' && v.op.kind === 'const' ? v.op.value : undefined;
  };
  const c = s.condition as ts.BinaryExpression;
  const start = constOf(decl.initializer!);
  const bound = constOf(c.right);
  const inc = s.incrementor!;
  let step: bigint | undefined;
  if (ts.isPostfixUnaryExpression(inc) || ts.isPrefixUnaryExpression(inc)) step = inc.operator === ts.SyntaxKind.PlusPlusToken ? 1n : -1n;
  else if (ts.isBinaryExpression(inc)) {
    const k = constOf(inc.right);
    step = k === undefined ? undefined : inc.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken ? k : -k;
  }
  if (start === undefined || bound === undefined || step === undefined) return undefined;
  const holds = (i: bigint): boolean | undefined => {
    switch (c.operatorToken.kind) {
      case ts.SyntaxKind.LessThanToken: return i < bound;
      case ts.SyntaxKind.LessThanEqualsToken: return i <= bound;
      case ts.SyntaxKind.GreaterThanToken: return i > bound;
      case ts.SyntaxKind.GreaterThanEqualsToken: return i >= bound;
      case ts.SyntaxKind.ExclamationEqualsEqualsToken: case ts.SyntaxKind.ExclamationEqualsToken: return i !== bound;
      default: return undefined;
    }
  };
  const values: bigint[] = [];
  for (let i = start; ; i = wrap(i + step, ty)) {
    const h = holds(i);
    if (h === undefined || values.length > UNROLL_TRIPS) return undefined;
    if (!h) break;
    values.push(i);
  }
  let nodes = 0;
  let packetByCounter = false;
  const mentions = (n: ts.Node): boolean => (ts.isIdentifier(n) && L.symbolOf(n) === sym) || !!ts.forEachChild(n, (c) => mentions(c) || undefined);
  const count = (n: ts.Node): void => {
    nodes++;
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'header' && n.arguments.some(mentions)) packetByCounter = true;
    ts.forEachChild(n, count);
  };
  count(s.statement);
  // Only where it pays: a packet offset that becomes constant (no range check, one ctx->data).
  if (!packetByCounter) return undefined;
  if (values.length === 0 || values.length > UNROLL_TRIPS || nodes * values.length > UNROLL_NODES) return undefined;
  return { sym, ty, values };
}

/** The body once per counter value, `i` a typed constant in each copy; `continue` goes to the next copy. */
function unrolled(L: Lowerer, s: ts.ForStatement, plan: UnrollPlan): void {
  const pos = L.pos(s);
  const counter = L.locals.get(plan.sym)!;
  const exit = L.b.newBlock();
  for (const value of plan.values) {
    const next = L.b.newBlock();
    L.locals.set(plan.sym, { kind: 'fixed', value, ty: plan.ty });
    L.loops.push({ brk: exit, cont: next });
    lowerStatement(L, s.statement);
    L.loops.pop();
    if (L.b.open) L.b.terminate({ op: 'br', target: next, pos });
    L.b.setBlock(next);
  }
  L.b.terminate({ op: 'br', target: exit, pos });
  L.b.setBlock(exit);
  L.locals.set(plan.sym, counter);
}

function checkBounded(L: Lowerer, s: ts.ForStatement): string {
  const bad = (why: string): never => L.fail('LK5003', `loop bound is not constant: ${why}`, s);
  const init = s.initializer;
  if (!init || !ts.isVariableDeclarationList(init) || init.declarations.length !== 1) return bad('declare one counter (let i: u32 = 0)');
  const decl = init.declarations[0]!;
  if (!ts.isIdentifier(decl.name)) return bad('the counter must be a plain identifier');
  const name = decl.name.text;
  const isConst = (e: ts.Expression): boolean => {
    const v = lowerConstProbe(L, e);
    return v;
  };
  if (!decl.initializer || !isConst(decl.initializer)) return bad(`'${name}' must start from a constant`);
  const c = s.condition;
  if (!c || !ts.isBinaryExpression(c) || !ts.isIdentifier(c.left) || c.left.text !== name || !isConst(c.right)) {
    return bad(`the condition must compare '${name}' with a constant`);
  }
  const inc = s.incrementor;
  const okInc = !!inc && (
    ((ts.isPostfixUnaryExpression(inc) || ts.isPrefixUnaryExpression(inc)) && ts.isIdentifier(inc.operand) && inc.operand.text === name) ||
    (ts.isBinaryExpression(inc) && ts.isIdentifier(inc.left) && inc.left.text === name && isConst(inc.right) &&
      (inc.operatorToken.kind === ts.SyntaxKind.PlusEqualsToken || inc.operatorToken.kind === ts.SyntaxKind.MinusEqualsToken)));
  if (!okInc) return bad(`the update must be ${name}++, ${name}--, ${name} += C or ${name} -= C`);
  let assigned = false;
  const visit = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
      ts.isIdentifier(n.left) && n.left.text === name) assigned = true;
    if ((ts.isPostfixUnaryExpression(n) || ts.isPrefixUnaryExpression(n)) && ts.isIdentifier(n.operand) && n.operand.text === name &&
      (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)) assigned = true;
    ts.forEachChild(n, visit);
  };
  visit(s.statement);
  if (assigned) return bad(`'${name}' is assigned inside the loop body`);
  return name;
}

/** A compile-time integer constant (literal, -literal, const local, enum member)? */
function lowerConstProbe(L: Lowerer, e: ts.Expression): boolean {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  if (ts.isNumericLiteral(e) || ts.isBigIntLiteral(e)) return true;
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken) return lowerConstProbe(L, e.operand);
  if (ts.isIdentifier(e)) {
    const sym = L.symbolOf(e);
    return !!sym && (L.locals.get(sym)?.kind === 'const' || moduleConstOf(L.mod, sym) !== undefined);
  }
  if (ts.isCallExpression(e) && e.arguments.length === 1) return lowerConstProbe(L, e.arguments[0]!); // u32(10)
  const t = L.checker.getTypeAtLocation(e);
  return t.isNumberLiteral() || !!(t.flags & ts.TypeFlags.BigIntLiteral);
}

