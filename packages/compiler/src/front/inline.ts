// Calls of functions declared in the *.bpf.ts file, or exported by another
// *.bpf.ts module it imports (their positions keep their own file). This version inlines every
// call (the body is lowered at the call site with its parameters bound to the
// arguments): no bpf-to-bpf call, no func_info, and the verifier sees one frame.
// Integer parameters are fresh locals (assignable, like in TS); pointers and
// structs are passed by reference, as JS objects are, and keep their null-check
// facts. Recursion is LK1009; nesting deeper than 8 calls is LK5002.
import ts from 'typescript';
import { konst, reg } from '../ir/ir.js';
import { INT, memoryKind, ptr, refPtr, type Layout, type Ty } from '../ir/types.js';
import { lowerExpr } from './expressions.js';
import { widthOf } from './kernel.js';
import { layoutOfTypeNode } from './layout.js';
import type { Lowerer, Val } from './lower.js';
import { aggregate } from './memory.js';
import { lowerStatements } from './statements.js';

const MAX_DEPTH = 8;

/** The user function a call targets: declared in this file or in an imported *.bpf.ts module; else undefined. */
export function userFunction(L: Lowerer, callee: ts.Expression): ts.FunctionDeclaration | undefined {
  if (!ts.isIdentifier(callee)) return undefined;
  const d = L.symbolOf(callee)?.valueDeclaration;
  if (!d || !ts.isFunctionDeclaration(d) || !d.body) return undefined;
  const file = d.getSourceFile();
  return file === L.mod.sf || (file.fileName.endsWith('.bpf.ts') && !file.isDeclarationFile) ? d : undefined;
}

/** A struct argument by reference: header views and stack structs as they are, map values/members through a pointer, literals built on the stack. */
function structArg(L: Lowerer, arg: ts.Expression, layout: Layout): Val {
  const unwrapped = ts.isObjectLiteralExpression(arg) || ts.isArrayLiteralExpression(arg) ? undefined : lowerExpr(L, arg);
  if (unwrapped?.kind === 'val' && unwrapped.ty.kind === 'ptr' && unwrapped.ty.pointee?.name === layout.name) return unwrapped;
  if (unwrapped?.kind === 'mem' && unwrapped.mem.layout.name === layout.name && !unwrapped.mem.index?.length && memoryKind(unwrapped.mem.base.ty) !== 'ctx') {
    // The ref remembers which memory it points into (variable indexes need to know).
    const dst = L.b.vreg(refPtr(memoryKind(unwrapped.mem.base.ty) ?? 'ref', layout));
    L.b.emit({ op: 'ptradd', dst, base: unwrapped.mem.base, off: konst(BigInt(unwrapped.mem.off), INT.u64), pos: L.pos(arg) });
    return { kind: 'val', op: reg(dst), ty: dst.ty };
  }
  return { kind: 'val', op: aggregate(L, arg, layout), ty: ptr('stack', layout) };
}

export function inlineCall(L: Lowerer, fn: ts.FunctionDeclaration, node: ts.CallExpression): Val {
  const name = fn.name?.text ?? '(anonymous)';
  if (L.inline.some((f) => f.fn === fn)) return L.fail('LK1009', `'${name}' calls itself (recursion is rejected by the verifier)`, node);
  if (L.inline.length >= MAX_DEPTH) return L.fail('LK5002', `calls nest deeper than ${MAX_DEPTH}`, node);
  if (fn.parameters.length > 5) return L.fail('LK5004', `'${name}' has ${fn.parameters.length} parameters (at most 5)`, fn);
  if (fn.asteriskToken || fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) return L.fail('LK1008', `'${name}' is async or a generator`, fn);
  const pos = L.pos(node);
  // Bind parameters (arguments are evaluated in order, before the body).
  const binds: Array<[ts.Symbol, Val, Ty | undefined, boolean]> = [];
  fn.parameters.forEach((p, n) => {
    if (!ts.isIdentifier(p.name)) L.fail('LK1001', 'destructured parameters are not supported', p);
    const arg = node.arguments[n] ?? p.initializer;
    if (!arg) return L.fail('LK1001', `missing argument for '${p.name.getText()}'`, node);
    const sym = L.symbolOf(p.name);
    if (!sym) return L.fail('LK1001', `no symbol for parameter '${p.name.getText()}'`, p);
    const layout = p.type ? layoutOfTypeNode(L.checker, p.type) : undefined;
    if (layout && layout.kind !== 'int') {
      binds.push([sym, structArg(L, arg, layout), undefined, false]);
      return;
    }
    const want = p.type ? widthOf(L.checker, L.checker.getTypeFromTypeNode(p.type)) : undefined;
    binds.push([sym, lowerExpr(L, arg, want), want, true]);
  });
  for (const [sym, v, want, scalar] of binds) {
    if (v.kind === 'map') return L.fail('LK6002', 'maps are used by name, not passed to functions', node);
    const { op, ty } = L.operand(v, want, node);
    if (!scalar || ty.kind === 'ptr') {
      // Pointers keep their register (and so their null-check facts).
      if (op.kind !== 'reg') return L.fail('LK1001', 'pass null-able pointers as variables', node);
      L.locals.set(sym, { kind: 'var', vreg: op.reg, mutable: false });
      continue;
    }
    const local = L.b.vreg(ty, sym.name);
    L.b.emit({ op: 'copy', dst: local, src: op, pos });
    L.locals.set(sym, { kind: 'var', vreg: local, mutable: true });
  }
  const sig = L.checker.getSignatureFromDeclaration(fn);
  const rt = sig ? L.checker.getReturnTypeOfSignature(sig) : undefined;
  const isVoid = !rt || !!(rt.flags & (ts.TypeFlags.Void | ts.TypeFlags.Undefined));
  const rty = isVoid ? undefined : widthOf(L.checker, rt);
  if (!isVoid && !rty) return L.fail('LK1007', `'${name}' must return an integer or bool (annotate its return type)`, fn);
  const result = rty ? L.b.vreg(rty, `${name}.ret`) : null;
  const exit = L.b.newBlock();
  L.inline.push({ fn, result, exit, loops: L.loops.length });
  try {
    lowerStatements(L, fn.body!.statements);
    if (L.b.open) {
      if (result) L.fail('LK4003', `'${name}' can end without returning a value`, fn);
      L.b.terminate({ op: 'br', target: exit, pos });
    }
  } finally {
    L.inline.pop();
  }
  L.b.setBlock(exit);
  if (!result) return { kind: 'val', op: konst(0n, INT.i32), ty: INT.i32 };
  return { kind: 'val', op: reg(result), ty: result.ty };
}
