// The specific diagnostic for a construct outside the *.bpf.ts subset, so that
// what reaches the generic LK1001 is only what has no better code: classes
// (LK1003), exceptions (LK1004), allocation (LK1005), strings (LK1006),
// async/generators (LK1008), functions as values (LK1012), for..in (LK1013).
// Each message says what to write instead.
//
// @example const o = { a: 1 };   // LK1005: give it a layout: const o: Pair = { a: 1, b: 2 } with Pair = struct(...)
import ts from 'typescript';
import type { DiagnosticCode } from '@lockne/kernel';

export interface Unsupported { readonly code: DiagnosticCode; readonly message: string }

/** The specific code for expression `e` that the subset does not compile, or undefined (then LK1001). */
export function unsupportedExpression(e: ts.Expression): Unsupported | undefined {
  if (ts.isObjectLiteralExpression(e)) {
    return { code: 'LK1005', message: 'an object literal needs a declared layout: annotate it with a struct type (const o: Flow = { ... }) or pass it where a struct is expected' };
  }
  if (ts.isArrayLiteralExpression(e)) {
    return { code: 'LK1005', message: 'an array literal has no fixed layout: declare a struct field array(T, n) or use a map' };
  }
  if (ts.isNewExpression(e)) {
    return { code: 'LK1005', message: `new ${e.expression.getText()}(...) allocates: there is no heap; only map declarations (top-level export const m = new HashMap(...)) use new` };
  }
  if (ts.isSpreadElement(e)) return { code: 'LK1005', message: 'spread copies into memory of unknown size: copy the fields one by one' };
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e) || ts.isTemplateExpression(e)) {
    return { code: 'LK1006', message: 'strings exist only as compile-time constants (section and map names, log`...` formats): use an integer code or log.info`...`' };
  }
  if (ts.isClassExpression(e)) return { code: 'LK1003', message: 'classes are not supported: declare data with struct() and behaviour with functions' };
  if (ts.isAwaitExpression(e) || ts.isYieldExpression(e)) return { code: 'LK1008', message: `${ts.isAwaitExpression(e) ? 'await' : 'yield'} is not supported: eBPF programs run to completion` };
  if (ts.isArrowFunction(e) || ts.isFunctionExpression(e)) {
    return { code: 'LK1012', message: 'a function can only be called, or passed to bpf.loop or a program wrapper: declare it at the top level and call it' };
  }
  return undefined;
}

/** The specific code for statement `s` that the subset does not compile, or undefined (then LK1001). */
export function unsupportedStatement(s: ts.Statement): Unsupported | undefined {
  if (ts.isClassDeclaration(s)) return { code: 'LK1003', message: `class ${s.name?.text ?? ''} is not supported: declare its data with struct() and its behaviour with functions` };
  if (ts.isThrowStatement(s)) return { code: 'LK1004', message: 'throw is not supported: return an error code or the program\'s verdict (e.g. return XdpAction.DROP)' };
  if (ts.isTryStatement(s)) return { code: 'LK1004', message: 'try/catch is not supported (nothing throws in the kernel): check return values instead' };
  if (ts.isForInStatement(s)) return { code: 'LK1013', message: 'for..in is not supported: use for (let i: u32 = 0; i < N; i++) over a FixedArray' };
  return undefined;
}
