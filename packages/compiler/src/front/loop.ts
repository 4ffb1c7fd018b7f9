// bpf.loop(n, body, state?): bpf_loop(n, &callback, ctx, 0) (kernel 5.17). The
// body becomes a real subprogram (a static function in `.text`, called by the
// kernel through a BPF_PSEUDO_FUNC address), verified once instead of once per
// iteration:
//
//   long <prog>__loop<k>(u32 i, void *ctx)    // returns 0 to go on, 1 to stop
//
// What `ctx` points to (always the caller's stack, as bpf_loop requires):
//   * `state` (a stack struct) when given: the body's second parameter, read and
//     written in place; the caller sees the changes after the loop;
//   * captured locals: a body may read the enclosing function's `const` locals.
//     Integers and bools are copied, stack structs and checked map values are
//     passed by reference (so `s.total += ...` on a captured struct updates it).
//     A captured `let` is LK1002: its later assignments could not reach the
//     callback's copy. With one pointer and nothing else the pointer itself is
//     ctx; otherwise ctx is an env struct of 8-byte slots [state, captures...].
// A constant `n` above 2^23 is LK5006 (a variable one makes bpf_loop return -E2BIG).
//
// @example
// const s: Sum = { total: 0n };
// bpf.loop(100000, (i) => { s.total += u64(i) + 1n; });   // s.total === 5000050000n
import ts from 'typescript';
import { helperId } from '@lockne/obj';
import { konst, reg, type Operand, type VReg } from '../ir/ir.js';
import { INT, memoryKind, nonNull, nullable, ptr, refPtr, type Layout, type PtrTy, type Ty } from '../ir/types.js';
import { lowerExpr } from './expressions.js';
import { layoutOfTypeNode } from './layout.js';
import { Lowerer, type Local, type Val } from './lower.js';
import { aggregate } from './memory.js';
import { lowerStatements } from './statements.js';

const BPF_LOOP = helperId('bpf_loop')!;
/** BPF_MAX_LOOPS: bpf_loop refuses more iterations with -E2BIG. */
export const MAX_LOOPS = 1 << 23;

type Body = ts.ArrowFunction | ts.FunctionExpression | ts.FunctionDeclaration;

/** A local of the enclosing function that the body reads. */
interface Capture { readonly sym: ts.Symbol; readonly vreg: VReg; readonly byRef: boolean; readonly ty: Ty }

function unwrap(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e)) e = e.expression;
  return e;
}

/** The callback: an inline arrow/function expression or a function declared in this file. */
function bodyOf(L: Lowerer, arg: ts.Expression): Body {
  const e = unwrap(arg);
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) return e;
  if (ts.isIdentifier(e)) {
    const d = L.symbolOf(e)?.valueDeclaration;
    if (d && ts.isFunctionDeclaration(d) && d.body && d.getSourceFile() === L.mod.sf) return d;
  }
  return L.fail('LK1012', `bpf.loop takes the body inline ((i) => ...) or a function declared in this file, not '${arg.getText()}'`, arg);
}

/** True when `decl` lies inside `fn` (a parameter or local of the body itself). */
function inside(fn: ts.Node, decl: ts.Node | undefined): boolean {
  for (let n = decl; n; n = n.parent) if (n === fn) return true;
  return false;
}

/** Locals of the enclosing function the body refers to, checked (LK1002 for a `let`). */
function captures(L: Lowerer, fn: Body): { values: Capture[]; consts: Array<[ts.Symbol, Local]> } {
  const values: Capture[] = [];
  const consts: Array<[ts.Symbol, Local]> = [];
  const seen = new Set<ts.Symbol>();
  const visit = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) {
      const sym = L.symbolOf(n);
      const local = sym && !seen.has(sym) && !inside(fn, sym.valueDeclaration) ? L.locals.get(sym) : undefined;
      if (sym && local) {
        seen.add(sym);
        if (local.kind === 'const' || local.kind === 'fixed') consts.push([sym, local]);
        else values.push(capture(L, sym, local, n));
      }
    }
    ts.forEachChild(n, visit);
  };
  if (fn.body) visit(fn.body);
  return { values, consts };
}

function capture(L: Lowerer, sym: ts.Symbol, local: Extract<Local, { kind: 'var' }>, at: ts.Node): Capture {
  const { vreg } = local;
  if (vreg === L.b.ctx) return L.fail('LK1001', `the program's '${sym.name}' cannot be used in a bpf.loop body: read what it needs into consts before the loop`, at);
  if (local.mutable) {
    return L.fail('LK1002', `the bpf.loop body captures '${sym.name}', a let that may be assigned: a callback only reads copies of captured locals. Keep changing state in a struct (const s: T = {...}; s.x += ...) or pass it as bpf.loop's third argument`, at);
  }
  const t = vreg.ty;
  if (t.kind !== 'ptr') return { sym, vreg, byRef: false, ty: t };
  const mem = memoryKind(t);
  if (t.pointee && ((mem === 'stack' && t.pointee.kind !== 'int') || mem === 'map_value')) {
    if (nullable(t.ptr) && !L.narrowed.has(vreg.id)) return L.fail('LK3001', `'${sym.name}' may be null: check it before the bpf.loop that uses it`, at);
    const ty: PtrTy = mem === 'stack' ? refPtr('stack', t.pointee) : ptr(nonNull(t.ptr === 'ref' ? 'map_value' : t.ptr), t.pointee);
    return { sym, vreg, byRef: true, ty };
  }
  return L.fail('LK1001', `the bpf.loop body cannot use '${sym.name}' (${mem ?? 'pointer'} memory): pass integers, stack structs or checked map values`, at);
}

/** The stack struct passed as bpf.loop's third argument (its address), and its layout. */
function stateArg(L: Lowerer, arg: ts.Expression, param: ts.ParameterDeclaration | undefined): { op: Operand; layout: Layout } {
  const declared = param?.type ? layoutOfTypeNode(L.checker, param.type) : undefined;
  const e = unwrap(arg);
  if ((ts.isObjectLiteralExpression(e) || ts.isArrayLiteralExpression(e)) && declared && declared.kind !== 'int') {
    return { op: aggregate(L, e, declared), layout: declared };
  }
  const v = lowerExpr(L, e);
  if (v.kind === 'val' && v.ty.kind === 'ptr' && v.ty.pointee && v.ty.pointee.kind !== 'int' && memoryKind(v.ty) === 'stack' && v.op.kind === 'reg') {
    return { op: v.op, layout: v.ty.pointee };
  }
  return L.fail('LK3010', `bpf.loop's state must be a struct on the stack (const s: T = {...}), not '${arg.getText()}': bpf_loop passes a stack pointer (read map values inside the body)`, arg);
}

/** Bind `p` (the body's index or state parameter) to `v` in the body's lowerer. */
function bindParam(C: Lowerer, p: ts.ParameterDeclaration | undefined, v: VReg): void {
  if (!p) return;
  if (!ts.isIdentifier(p.name)) C.fail('LK1001', 'destructured parameters are not supported', p);
  const sym = C.symbolOf(p.name);
  if (sym) C.locals.set(sym, { kind: 'var', vreg: v, mutable: v.ty.kind === 'int' });
}

/** `bpf.loop(n, body, state?)`. */
export function loopCall(L: Lowerer, node: ts.CallExpression): Val {
  const [nArg, bodyArg, stArg] = node.arguments;
  if (!nArg || !bodyArg || node.arguments.length > 3) return L.fail('LK1001', 'bpf.loop(n, (i, state?) => 0 | 1, state?) takes a count, a body and an optional stack struct', node);
  const pos = L.pos(node);
  const nv = lowerExpr(L, nArg, INT.u32);
  if (nv.kind === 'lit' && (nv.value < 0n || nv.value > BigInt(MAX_LOOPS))) {
    L.fail('LK5006', `bpf.loop runs at most 2^23 (${MAX_LOOPS}) iterations, not ${nv.value}`, nArg);
  }
  const n = L.operand(nv, INT.u32, nArg).op;
  const fn = bodyOf(L, bodyArg);
  if (fn.asteriskToken || fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) L.fail('LK1008', 'a bpf.loop body cannot be async or a generator', fn);
  const [indexParam, stateParam, extra] = fn.parameters;
  if (extra) L.fail('LK5004', 'a bpf.loop body takes (i, state?)', extra);
  if (stateParam && !stArg) L.fail('LK1001', `the body's '${stateParam.name.getText()}' needs bpf.loop's third argument (the state struct)`, stateParam);
  const state = stArg ? stateArg(L, stArg, stateParam) : undefined;
  const { values, consts } = captures(L, fn);

  // What ctx is: nothing, the one pointer itself, or an env of 8-byte slots.
  const pointers = (state ? 1 : 0) + values.filter((c) => c.byRef).length;
  // bpf_loop takes only a stack pointer (or NULL) as ctx: a map value always goes through an env.
  const direct = values.every((c) => c.byRef) && pointers === 1 && (state !== undefined || memoryKind(values[0]!.ty) === 'stack');
  const slots = (state ? 1 : 0) + values.length;
  let ctxArg: Operand = konst(0n, ptr('stack'));
  let ctxTy: Ty | undefined;
  if (direct) {
    ctxArg = state ? state.op : reg(values[0]!.vreg);
    ctxTy = state ? refPtr('stack', state.layout) : values[0]!.ty;
  } else if (slots > 0) {
    const env = L.b.vreg(ptr('stack'));
    L.b.emit({ op: 'slot', dst: env, size: slots * 8, align: 8, pos });
    const stored: Operand[] = [...(state ? [state.op] : []), ...values.map((c) => reg(c.vreg))];
    stored.forEach((v, k) => {
      let w = v;
      if (v.kind === 'reg' && v.reg.ty.kind !== 'ptr') {
        // Normalised integers widen for free; bools are 0/1 bytes.
        const t = v.reg.ty.kind === 'bool' ? INT.u8 : v.reg.ty;
        const d = L.b.vreg(INT.u64);
        L.b.emit({ op: 'convert', dst: d, src: v, from: t, to: t.signed ? INT.i64 : INT.u64, pos });
        w = reg(d);
      }
      L.b.emit({ op: 'store', base: env, off: k * 8, value: w, ty: INT.u64, pos });
    });
    ctxArg = reg(env);
    ctxTy = ptr('stack');
  }

  // The body, lowered as its own function.
  const name = `${L.b.name}__loop${L.subprograms.length}`;
  const C = new Lowerer(L.mod, name, fn, 'none', INT.i64, { first: INT.u64, rest: ctxTy ? [ctxTy] : [] });
  C.subprograms = L.subprograms;
  C.bareReturn = konst(0n, INT.i64);
  const cpos = C.pos(fn);
  const idx = C.b.vreg(INT.u32, 'i');
  C.b.emit({ op: 'convert', dst: idx, src: reg(C.b.ctx), from: INT.u64, to: INT.u32, pos: cpos });
  bindParam(C, indexParam, idx);
  const ctxReg = C.b.params[0];
  const bindCapture = (c: Capture, v: VReg): void => { C.locals.set(c.sym, { kind: 'var', vreg: v, mutable: false }); if (c.byRef) C.narrowed.add(v.id); };
  if (direct && ctxReg) {
    if (state) bindParam(C, stateParam, ctxReg);
    else bindCapture(values[0]!, ctxReg);
  } else if (ctxReg) {
    let k = 0;
    if (state) {
      const sp = C.b.vreg(refPtr('stack', state.layout), 'state');
      C.b.emit({ op: 'load', dst: sp, base: ctxReg, off: 0, ty: INT.u64, pos: cpos });
      bindParam(C, stateParam, sp);
      k = 1;
    }
    for (const c of values) {
      const v = C.b.vreg(c.ty, c.sym.name);
      // Integers were stored widened: their low bytes are the value (little-endian); isel re-extends signed ones.
      C.b.emit({ op: 'load', dst: v, base: ctxReg, off: 8 * k++, ty: c.ty.kind === 'int' ? c.ty : c.ty.kind === 'bool' ? INT.u8 : INT.u64, pos: cpos });
      bindCapture(c, v);
    }
  }
  for (const [sym, local] of consts) C.locals.set(sym, local);
  // A diagnostic in the body (CompileAbort) abandons the whole program, as in any nested construct.
  if (fn.body && ts.isBlock(fn.body)) lowerStatements(C, fn.body.statements);
  else if (fn.body) {
    const v = lowerExpr(C, fn.body, INT.i64);
    C.b.terminate({ op: 'ret', value: v.kind === 'val' && v.ty.kind === 'int' ? v.op : C.operand(v, INT.i64, fn.body).op, pos: C.pos(fn.body) });
  }
  if (C.b.open) C.b.terminate({ op: 'ret', value: konst(0n, INT.i64), pos: C.pos(fn) });
  // Nested bodies were pushed first; names stay unique (they extend this one's).
  L.subprograms.push({ name, caller: L.b.name, ir: C.b.finish() });

  const fp = L.b.vreg(ptr('ctx'), `&${name}`);
  L.b.emit({ op: 'funcAddr', dst: fp, func: name, pos });
  // The result fits 32 bits; sign-extend them: the verifier's inlined bpf_loop sets -E2BIG with a
  // 32-bit move (0xfffffff9 in 64 bits), the helper itself returns a 64-bit -7.
  const r32 = L.b.vreg(INT.i32);
  L.b.emit({ op: 'call', dst: r32, helper: BPF_LOOP, args: [n, reg(fp), ctxArg, konst(0n, INT.u64)], pos });
  const dst = L.b.vreg(INT.i64);
  L.b.emit({ op: 'convert', dst, src: reg(r32), from: INT.i32, to: INT.i64, pos });
  return { kind: 'val', op: reg(dst), ty: INT.i64 };
}
