// Struct and array layouts at compile time. A descriptor expression (`EthHdr`,
// `struct('flow', {...})`, `array(u8, 6)`, a module const holding one) is
// evaluated with @lockne/kernel's own struct()/array() in this process, so the
// compiler and userspace share one layout rule (C natural alignment).
import ts from 'typescript';
import * as K from '@lockne/kernel';
import { INT, isIntName, type Layout } from '../ir/types.js';
import { isKernelDecl, resolveSymbol, widthOf } from './kernel.js';

/** The runtime shape of a @lockne/kernel TypeDesc (int, struct or array). */
export interface Desc {
  readonly kind: string;
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly signed?: boolean;
  readonly fields?: ReadonlyArray<{ readonly name: string; readonly offset: number; readonly type: Desc }>;
  readonly element?: Desc;
  readonly length?: number;
}

function isDesc(v: unknown): v is Desc {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as Desc).size === 'number' && typeof (v as Desc).kind === 'string';
}

/** Convert a runtime descriptor into the IR's layout (be16/be32 are u16/u32, bool is u8). */
export function layoutOfDesc(d: Desc): Layout | undefined {
  if (d.kind === 'bool') return INT.u8;
  if (d.kind === 'int') {
    const name = `${d.signed ? 'i' : 'u'}${d.size * 8}`;
    return isIntName(name) ? INT[name] : undefined;
  }
  if (d.kind === 'struct' && d.fields) {
    const fields = [];
    for (const f of d.fields) {
      const ty = layoutOfDesc(f.type);
      if (!ty) return undefined;
      fields.push({ name: f.name, off: f.offset, ty });
    }
    return { kind: 'struct', name: d.name.replace(/^struct /, ''), size: d.size, align: d.align, fields };
  }
  if (d.kind === 'array' && d.element && d.length !== undefined) {
    const elem = layoutOfDesc(d.element);
    return elem && { kind: 'array', name: d.name, elem, length: d.length, size: d.size, align: d.align };
  }
  return undefined;
}

const KERNEL = K as unknown as Record<string, unknown>;

/** Evaluate a compile-time descriptor expression; undefined when it is not one. */
export function evalDesc(checker: ts.TypeChecker, e0: ts.Expression, depth = 0): unknown {
  if (depth > 32) return undefined;
  let e = e0;
  while (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isStringLiteralLike(e)) return e.text;
  if (ts.isIdentifier(e)) {
    const sym = resolveSymbol(checker, checker.getSymbolAtLocation(e));
    if (!sym) return undefined;
    if (sym.declarations?.some(isKernelDecl)) return KERNEL[sym.name];
    const d = sym.valueDeclaration;
    if (d && ts.isVariableDeclaration(d) && d.initializer && ts.isVariableDeclarationList(d.parent) && d.parent.flags & ts.NodeFlags.Const) {
      return evalDesc(checker, d.initializer, depth + 1);
    }
    return undefined;
  }
  if (ts.isCallExpression(e)) {
    const callee = resolveSymbol(checker, checker.getSymbolAtLocation(e.expression));
    if (!callee?.declarations?.some(isKernelDecl)) return undefined;
    const args = e.arguments.map((a) => (ts.isObjectLiteralExpression(a) ? evalFields(checker, a, depth) : evalDesc(checker, a, depth + 1)));
    if (args.some((a) => a === undefined)) return undefined;
    try {
      if (callee.name === 'struct') return K.struct(args[0] as string, args[1] as Record<string, K.TypeDesc<unknown>>);
      if (callee.name === 'array') return K.array(args[0] as K.TypeDesc<unknown>, args[1] as number);
      if (callee.name === 'lpmKey') return K.lpmKey(args[0] as K.TypeDesc<unknown>, args[1] as string | undefined);
      if (callee.name === 'kernelPtr') return K.kernelPtr(args[0] as string);
      if (callee.name === 'kernelStruct') return K.kernelStruct(args[0] as string, args[1] as Record<string, K.TypeDesc<unknown>>);
    } catch {
      return undefined; // a bad layout: the caller reports LK3010 at the expression
    }
  }
  return undefined;
}

function evalFields(checker: ts.TypeChecker, o: ts.ObjectLiteralExpression, depth: number): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const p of o.properties) {
    if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) out[p.name.text] = evalDesc(checker, p.initializer, depth + 1);
    else if (ts.isShorthandPropertyAssignment(p)) out[p.name.text] = evalDesc(checker, p.name, depth + 1);
    else return undefined;
    if (!isDesc(out[Object.keys(out).pop()!])) return undefined;
  }
  return out;
}

/** The layout a descriptor expression names (`EthHdr`, `Flow`, `u32`). */
export function layoutOfExpr(checker: ts.TypeChecker, e: ts.Expression): Layout | undefined {
  const d = evalDesc(checker, e);
  return isDesc(d) ? layoutOfDesc(d) : undefined;
}

/**
 * The layout a type annotation names: an integer width, or a struct alias
 * declared as `type Flow = Infer<typeof Flow>` (followed to the descriptor).
 */
export function layoutOfTypeNode(checker: ts.TypeChecker, node: ts.TypeNode, depth = 0): Layout | undefined {
  const w = widthOf(checker, checker.getTypeFromTypeNode(node));
  if (w?.kind === 'int') return w;
  if (w?.kind === 'bool') return INT.u8;
  if (depth > 16) return undefined;
  if (ts.isTypeQueryNode(node) && ts.isIdentifier(node.exprName)) return layoutOfExpr(checker, node.exprName);
  if (!ts.isTypeReferenceNode(node)) return undefined;
  const sym = resolveSymbol(checker, checker.getSymbolAtLocation(node.typeName));
  if (sym?.name === 'Infer' && sym.declarations?.some(isKernelDecl) && node.typeArguments?.[0]) {
    return layoutOfTypeNode(checker, node.typeArguments[0], depth + 1);
  }
  const decl = sym?.declarations?.find(ts.isTypeAliasDeclaration);
  if (decl && !isKernelDecl(decl)) return layoutOfTypeNode(checker, decl.type, depth + 1);
  // A kernel header type (EthHdr, ...): its value of the same name is the descriptor.
  if (sym && sym.declarations?.some(isKernelDecl)) {
    const d = KERNEL[sym.name];
    if (isDesc(d)) return layoutOfDesc(d);
  }
  return undefined;
}
