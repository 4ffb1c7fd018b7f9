// Expression visitor: TS expressions → IR values. Integer semantics: wrapping
// arithmetic at the operands' (shared) width, signedness from the type,
// division by zero gives 0 and modulo by zero the dividend (the ISA's rules).
import ts from 'typescript';
import { helperId } from '@lockne/obj';
import { HELPER_BINDINGS } from '@lockne/kernel';
import { konst, reg, type BinOp, type Operand, type VReg } from '../ir/ir.js';
import { BOOL, INT, isIntName, ptr, sameTy, wrap, type IntTy, type Ty } from '../ir/types.js';
import { ctxField } from './context-fields.js';
import { aggregate, ctxArrayMem, ctxSocket, header, loadMem, memOf, storeMem, withElement } from './memory.js';
import { inlineCall, userFunction } from './inline.js';
import { layoutOfExpr } from './layout.js';
import { kernelSymbol, widthOf } from './kernel.js';
import type { Lowerer, Mem, Val } from './lower.js';
import { lowerCondValue } from './conditions.js';
import { tracingCtxCall } from './tracing.js';
import { sysctlCtxCall } from './sysctl.js';
import { iterCtxCall, iterCtxProperty } from './iter.js';
import { globalOf } from './globals.js';
import { BUFFER_HELPERS, bufferHelperCall } from './helper-memory.js';
import { moduleConstOf } from './constants.js';
import { atomicCall, isAtomic } from './atomics.js';
import { checkGplHelper } from './gpl.js';
import { ringbufCall } from './ringbuf.js';
import { skStorageCall } from './storage.js';
import { taskStorageCall } from './task-storage.js';
import { logCall, logCallMisuse } from './log.js';
import { loopCall } from './loop.js';
import { coreCall, isCoreFunction } from './core.js';
import { packetCtxCall } from './packet-helpers.js';
import { innerMapCall, moreMapCall } from './maps-more-calls.js';
import { isMoreMap } from './maps-more.js';
import { isSpinLockMethod, spinLockCall } from './spin-lock.js';
import { unsupportedExpression } from './unsupported.js';

export const ARITH: Partial<Record<ts.SyntaxKind, BinOp>> = {
  [ts.SyntaxKind.PlusToken]: 'add', [ts.SyntaxKind.MinusToken]: 'sub', [ts.SyntaxKind.AsteriskToken]: 'mul',
  [ts.SyntaxKind.SlashToken]: 'div', [ts.SyntaxKind.PercentToken]: 'mod', [ts.SyntaxKind.AmpersandToken]: 'and',
  [ts.SyntaxKind.BarToken]: 'or', [ts.SyntaxKind.CaretToken]: 'xor', [ts.SyntaxKind.LessThanLessThanToken]: 'shl',
  [ts.SyntaxKind.GreaterThanGreaterThanToken]: 'shr', [ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken]: 'shr',
};
const COMPOUND: Partial<Record<ts.SyntaxKind, BinOp>> = {
  [ts.SyntaxKind.PlusEqualsToken]: 'add', [ts.SyntaxKind.MinusEqualsToken]: 'sub', [ts.SyntaxKind.AsteriskEqualsToken]: 'mul',
  [ts.SyntaxKind.SlashEqualsToken]: 'div', [ts.SyntaxKind.PercentEqualsToken]: 'mod', [ts.SyntaxKind.AmpersandEqualsToken]: 'and',
  [ts.SyntaxKind.BarEqualsToken]: 'or', [ts.SyntaxKind.CaretEqualsToken]: 'xor', [ts.SyntaxKind.LessThanLessThanEqualsToken]: 'shl',
  [ts.SyntaxKind.GreaterThanGreaterThanEqualsToken]: 'shr',
};
export const COMPARISON = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken, ts.SyntaxKind.LessThanToken, ts.SyntaxKind.LessThanEqualsToken,
  ts.SyntaxKind.GreaterThanToken, ts.SyntaxKind.GreaterThanEqualsToken,
]);

const BSWAP: Partial<Record<string, 16 | 32>> = { ntohs: 16, htons: 16, ntohl: 32, htonl: 32 };

function swapBytes(v: bigint, bits: 16 | 32): bigint {
  let out = 0n;
  for (let i = 0n; i < BigInt(bits / 8); i++) out = (out << 8n) | ((v >> (8n * i)) & 0xffn);
  return out;
}

/** An operator over untyped constants (arbitrary precision; the use site checks the width). */
export function fold(op: BinOp, a: bigint, b: bigint): bigint {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return b === 0n ? 0n : a / b;
    case 'mod': return b === 0n ? a : a % b;
    case 'and': return a & b;
    case 'or': return a | b;
    case 'xor': return a ^ b;
    case 'shl': return a << b;
    case 'shr': return a >> b;
  }
}

function intTy(L: Lowerer, ty: Ty, node: ts.Node): IntTy {
  if (ty.kind === 'int') return ty;
  if (ty.kind === 'bool') return L.fail('LK2009', 'a bool used in arithmetic: convert with u8(b)', node);
  return L.fail('LK3007', 'pointer arithmetic is not supported here', node);
}

/** `a op b` at the operands' width, with the compile-time checks of our language. */
export function binary(L: Lowerer, op: BinOp, av: Val, bv: Val, node: ts.Node, into?: VReg): Val {
  if (av.kind === 'lit' && bv.kind === 'lit') return { kind: 'lit', value: fold(op, av.value, bv.value), big: av.big || bv.big };
  // A shift amount has its own width; only the left side decides the result type.
  if (op === 'shl' || op === 'shr') {
    const a = L.operand(av, undefined, node);
    const ty = intTy(L, a.ty, node);
    if (bv.kind === 'lit' && (bv.value < 0n || bv.value >= BigInt(ty.bits))) {
      L.fail('LK2006', `shift by ${bv.value} is out of range for ${ty.name} (0..${ty.bits - 1})`, node);
    }
    let b = bv.kind === 'lit' ? konst(bv.value, ty) : L.operand(bv, undefined, node).op;
    if (bv.kind === 'val') intTy(L, bv.ty, node);
    const logical = (node as ts.BinaryExpression).operatorToken?.kind === ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken;
    if (logical && ty.signed && op === 'shr') {
      // >>> on a signed value: shift the unsigned bit pattern, then reinterpret.
      const u = INT[`u${ty.bits}` as keyof typeof INT];
      const ua = convert(L, a.op, ty, u, node);
      const r = L.b.vreg(u);
      L.b.emit({ op: 'bin', dst: r, bin: 'shr', a: ua, b, ty: u, pos: L.pos(node) });
      return { kind: 'val', op: convert(L, reg(r), u, ty, node), ty };
    }
    // Typed constants (an unrolled loop's counter) fold; BPF masks an oversized amount, so those stay.
    if (a.op.kind === 'const' && b.kind === 'const' && b.value >= 0n && b.value < BigInt(ty.bits)) {
      return { kind: 'val', op: konst(wrap(fold(op, a.op.value, b.value), ty), ty), ty };
    }
    const dst = into && sameTy(into.ty, ty) ? into : L.b.vreg(ty);
    L.b.emit({ op: 'bin', dst, bin: op, a: a.op, b, ty, pos: L.pos(node) });
    return { kind: 'val', op: reg(dst), ty };
  }
  const u = L.unify(av, bv, node);
  const ty = intTy(L, u.ty, node);
  if ((op === 'div' || op === 'mod') && u.b.kind === 'const' && u.b.value === 0n) {
    L.warn('LK2007', `${op === 'div' ? 'division' : 'modulo'} by constant zero gives ${op === 'div' ? '0' : 'the dividend'}`, node);
    if (op === 'div') return { kind: 'val', op: konst(0n, ty), ty };
    return { kind: 'val', op: u.a, ty };
  }
  // Typed constants fold at their width (signed division keeps its run-time form).
  if (u.a.kind === 'const' && u.b.kind === 'const' && !(ty.signed && (op === 'div' || op === 'mod'))) {
    return { kind: 'val', op: konst(wrap(fold(op, u.a.value, u.b.value), ty), ty), ty };
  }
  // `x op= y` on a local computes straight into x (two-address form, no copy back).
  const dst = into && sameTy(into.ty, ty) ? into : L.b.vreg(ty);
  L.b.emit({ op: 'bin', dst, bin: op, a: u.a, b: u.b, ty, pos: L.pos(node) });
  return { kind: 'val', op: reg(dst), ty };
}

function convert(L: Lowerer, src: Operand, from: IntTy, to: IntTy, node: ts.Node): Operand {
  if (src.kind === 'const') return konst(wrap(src.value, to), to);
  if (from.bits === to.bits && from.signed === to.signed) return src;
  const dst = L.b.vreg(to);
  L.b.emit({ op: 'convert', dst, src, from, to, pos: L.pos(node) });
  return reg(dst);
}

function unwrap(node: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isTypeAssertionExpression(node)) node = node.expression;
  return node;
}

export function lowerExpr(L: Lowerer, node0: ts.Expression, want?: Ty): Val {
  const node = unwrap(node0);
  if (ts.isNumericLiteral(node)) {
    if (!/^(0[xXbBoO])?[0-9a-fA-F_]+$/.test(node.text) || node.text.includes('.')) L.fail('LK1011', `${node.text} is not an integer`, node);
    return { kind: 'lit', value: BigInt(node.text.replace(/_/g, '')), big: false };
  }
  if (ts.isBigIntLiteral(node)) return { kind: 'lit', value: BigInt(node.text.slice(0, -1).replace(/_/g, '')), big: true };
  if (node.kind === ts.SyntaxKind.TrueKeyword || node.kind === ts.SyntaxKind.FalseKeyword) {
    return { kind: 'val', op: konst(node.kind === ts.SyntaxKind.TrueKeyword ? 1n : 0n, BOOL), ty: BOOL };
  }
  if (node.kind === ts.SyntaxKind.NullKeyword) return { kind: 'val', op: konst(0n, ptr('map_value_or_null')), ty: ptr('map_value_or_null') };
  if (ts.isIdentifier(node)) return identifier(L, node);
  if (ts.isPropertyAccessExpression(node)) return property(L, node);
  if (ts.isElementAccessExpression(node)) {
    const m = memOf(L, node);
    if (m) return readMem(L, m, node);
    return constantOf(L, node) ?? L.fail('LK1001', `'${node.getText()}' is not supported`, node);
  }
  if (ts.isCallExpression(node)) return call(L, node, want);
  if (ts.isPrefixUnaryExpression(node)) return prefix(L, node, want);
  if (ts.isPostfixUnaryExpression(node)) return increment(L, node.operand, node.operator === ts.SyntaxKind.PlusPlusToken ? 'add' : 'sub', true, node);
  if (ts.isBinaryExpression(node)) return binaryExpr(L, node, want);
  if (ts.isConditionalExpression(node) || ts.isBinaryExpression(node)) return lowerCondValue(L, node, want);
  if (ts.isTaggedTemplateExpression(node)) return logCall(L, node);
  if (ts.isNonNullExpression(node)) return L.fail('LK3001', 'the ! operator does not check for null: narrow with `if (v !== null)`', node);
  const specific = unsupportedExpression(node);
  if (specific) return L.fail(specific.code, specific.message, node);
  return L.fail('LK1001', `${ts.SyntaxKind[node.kind]} is not supported in *.bpf.ts`, node);
}

function identifier(L: Lowerer, node: ts.Identifier): Val {
  const sym = L.symbolOf(node);
  const local = sym && L.locals.get(sym);
  if (local?.kind === 'var') return { kind: 'val', op: reg(local.vreg), ty: local.vreg.ty };
  if (local?.kind === 'const') return { kind: 'lit', value: local.value, big: local.big };
  if (local?.kind === 'fixed') return { kind: 'val', op: konst(local.value, local.ty), ty: local.ty };
  const mc = moduleConstOf(L.mod, sym);
  if (mc) return { kind: 'lit', value: mc.value, big: mc.big };
  const map = sym && L.mod.maps.get(sym);
  if (map) return { kind: 'map', map };
  const g = globalOf(L.mod, sym);
  if (g) {
    // `g.value` reads/writes through this pointer (never null: the section map always has the value).
    const dst = L.b.vreg(ptr('map_value', g.layout));
    L.b.emit({ op: 'globalAddr', dst, global: g.name, pos: L.pos(node) });
    return { kind: 'val', op: reg(dst), ty: dst.ty };
  }
  const c = constantOf(L, node);
  if (c) return c;
  // A map or global of another *.bpf.ts module, reached through a function inlined from it.
  const decl = sym?.valueDeclaration;
  const home = decl?.getSourceFile();
  if (decl && home && home !== L.mod.sf && ts.isVariableDeclaration(decl) && decl.initializer && (ts.isNewExpression(decl.initializer) || ts.isCallExpression(decl.initializer))) {
    return L.fail('LK1001', `'${node.text}' is declared in ${home.fileName.split('/').pop()}: a program uses only its own module's maps and globals (declare it in ${L.mod.file.split('/').pop()}, or pass what the function needs as arguments)`, node);
  }
  return L.fail('LK1001', `'${node.text}' is not a local, map or constant the compiler knows`, node);
}

/** Enum members and literal-typed constants (XdpAction.PASS, TcAction.SHOT, ...). */
function constantOf(L: Lowerer, node: ts.Expression): Val | undefined {
  if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
    const c = L.checker.getConstantValue(node);
    if (typeof c === 'number') return { kind: 'lit', value: BigInt(c), big: false };
  }
  const t = L.checker.getTypeAtLocation(node);
  if (t.isNumberLiteral() && Number.isInteger(t.value)) return { kind: 'lit', value: BigInt(t.value), big: false };
  if (t.flags & ts.TypeFlags.BigIntLiteral) {
    const v = (t as ts.BigIntLiteralType).value;
    return { kind: 'lit', value: BigInt(`${v.negative ? '-' : ''}${v.base10Value}`), big: true };
  }
  return undefined;
}

/** Read memory: an integer is loaded, a struct/array stays a place for its fields. */
function readMem(L: Lowerer, m: Mem, node: ts.Node): Val {
  if (m.layout.kind !== 'int') return { kind: 'mem', mem: m };
  // isel sign-extends signed loads.
  const dst = loadMem(L, { ...m, layout: m.layout }, node);
  return { kind: 'val', op: reg(dst), ty: m.layout };
}

function property(L: Lowerer, node: ts.PropertyAccessExpression): Val {
  const base = unwrap(node.expression);
  if (ts.isIdentifier(base) && L.symbolOf(base) !== undefined && isCtx(L, base)) {
    const arr = ctxArrayMem(L, node);
    if (arr) return { kind: 'mem', mem: arr };
    const sk = ctxSocket(L, node);
    if (sk) return { kind: 'val', op: reg(sk), ty: sk.ty };
    const it = iterCtxProperty(L, node.name.text, node);
    if (it) return it;
    const field = L.hidden.has(node.name.text) ? undefined : ctxField(L.ctxKind, node.name.text);
    if (!field) return L.fail('LK3009', `context field '${node.name.text}' is not available (${L.ctxKind})`, node);
    const dst = L.b.vreg(field.ty);
    // A wider access (be16 in a 32-bit field) loads zero-extended, so the value already fits field.ty.
    L.b.emit({ op: 'load', dst, base: L.b.ctx, off: field.off, ty: field.access ?? field.ty, pos: L.pos(node) });
    return { kind: 'val', op: reg(dst), ty: field.ty };
  }
  const c = constantOf(L, node);
  if (c) return c;
  const m = memOf(L, node);
  if (m) return readMem(L, m, node);
  return L.fail('LK1001', `property '${node.getText()}' is not supported`, node);
}

/** True when `id` names the program's context parameter. */
export function isCtx(L: Lowerer, id: ts.Identifier): boolean {
  const sym = L.symbolOf(id);
  const local = sym && L.locals.get(sym);
  return local?.kind === 'var' && local.vreg === L.b.ctx;
}

function declaredReturn(L: Lowerer, node: ts.CallExpression): Ty | undefined {
  const sig = L.checker.getResolvedSignature(node);
  return sig ? widthOf(L.checker, sig.getReturnType()) : undefined;
}

function call(L: Lowerer, node: ts.CallExpression, want?: Ty): Val {
  const callee = unwrap(node.expression);
  const ksym = kernelSymbol(L.checker, ts.isPropertyAccessExpression(callee) ? callee.name : callee);
  const name = ksym?.name ?? '';
  // Conversions: u32(x), i64(x), ...; be16(x)/be32(x) reinterpret as u16/u32 (network order is the caller's business).
  const convTo = ksym && node.arguments.length === 1 ? (isIntName(name) ? INT[name] : name === 'be16' ? INT.u16 : name === 'be32' ? INT.u32 : undefined) : undefined;
  if (convTo) {
    const to = convTo;
    const v = lowerExpr(L, node.arguments[0]!);
    if (v.kind === 'lit') return { kind: 'val', op: konst(wrap(v.value, to), to), ty: to };
    const { op, ty } = L.operand(v, undefined, node.arguments[0]!);
    if (ty.kind === 'ptr') return L.fail('LK3007', 'a pointer cannot be converted to an integer', node);
    const from = ty.kind === 'bool' ? INT.u8 : ty;
    return { kind: 'val', op: convert(L, op, from, to, node), ty: to };
  }
  const misuse = logCallMisuse(L, node);
  if (misuse) return misuse;
  // Functions declared in this file: inlined.
  const user = userFunction(L, callee);
  if (user) return inlineCall(L, user, node);
  // Context methods: ctx.header(T, off).
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(unwrap(callee.expression)) && isCtx(L, unwrap(callee.expression) as ts.Identifier)) {
    if (callee.name.text === 'header') return header(L, node);
    const traced = tracingCtxCall(L, callee.name.text, node) ?? sysctlCtxCall(L, callee.name.text, node) ?? iterCtxCall(L, callee.name.text, node)
      ?? packetCtxCall(L, callee.name.text, node);
    if (traced) return traced;
    return L.fail('LK6001', `ctx.${callee.name.text}() is not supported in this version`, node);
  }
  // Byte order: ntohs/htons (16-bit swap), ntohl/htonl (32-bit); constants fold.
  if (ksym && BSWAP[name] && node.arguments.length === 1) {
    const bits = BSWAP[name]!;
    const ty = bits === 16 ? INT.u16 : INT.u32;
    const v = lowerExpr(L, node.arguments[0]!, ty);
    const { op } = L.operand(v, ty, node.arguments[0]!);
    if (op.kind === 'const') return { kind: 'val', op: konst(swapBytes(op.value, bits), ty), ty };
    const dst = L.b.vreg(ty);
    L.b.emit({ op: 'bswap', dst, src: op, bits, pos: L.pos(node) });
    return { kind: 'val', op: reg(dst), ty };
  }
  // atomicAdd(ref | field, delta) and the other BPF_ATOMIC operations.
  if (ksym && isAtomic(name)) return atomicCall(L, name, node)!;
  // v.value.lock.lock() / unlock(): bpf_spin_lock / bpf_spin_unlock (front/spin-lock.ts).
  if (isSpinLockMethod(ksym)) return spinLockCall(L, name, node);
  // core.read(Task, task, 'tgid') and the other CO-RE reads and queries.
  if (ksym && isCoreFunction(ksym)) return coreCall(L, name, node);
  // bpf.loop(n, body, state?): the body becomes a callback subprogram.
  if (ksym && name === 'loop' && Object.prototype.hasOwnProperty.call(HELPER_BINDINGS, name)) return loopCall(L, node);
  // Helpers: bpf.ktimeGetNs(), bpf.getSocketCookie(ctx), ...
  // (Functions only: a map method may share a helper's name, e.g. DevMap.redirect.)
  if (ksym && !(ksym.flags & ts.SymbolFlags.Method) && Object.prototype.hasOwnProperty.call(HELPER_BINDINGS, name)) {
    const helper = HELPER_BINDINGS[name as keyof typeof HELPER_BINDINGS];
    const id = helperId(helper);
    if (id === undefined) return L.fail('LK6001', `helper ${name} has no id`, node);
    checkGplHelper(L, helper, node);
    if (BUFFER_HELPERS.has(name)) return bufferHelperCall(L, name, id, node);
    if (node.arguments.length > 5) L.fail('LK5004', 'helpers take at most 5 arguments', node);
    const sig = L.checker.getResolvedSignature(node);
    const args = node.arguments.map((a, n) => {
      const p = sig?.parameters[n];
      const pty = p ? widthOf(L.checker, L.checker.getTypeOfSymbol(p)) : undefined;
      return L.operand(lowerExpr(L, a, pty), pty, a).op;
    });
    const rty = declaredReturn(L, node) ?? INT.i64;
    const dst = L.b.vreg(rty);
    L.b.emit({ op: 'call', dst, helper: id, args, pos: L.pos(node) });
    return { kind: 'val', op: reg(dst), ty: rty };
  }
  // Map methods: counts.lookup(k), counts.update(k, v), counts.delete(k).
  if (ksym && ts.isPropertyAccessExpression(callee)) {
    const recv = lowerExpr(L, callee.expression);
    if (recv.kind === 'map') return mapCall(L, recv.map, name, node);
    // A map a map of maps' lookup returned: its template's methods through the pointer.
    const inner = innerMapCall(L, recv, name, node);
    if (inner) return inner;
  }
  void want;
  return L.fail('LK1001', `call of '${callee.getText()}' is not supported in this version`, node);
}

function mapCall(L: Lowerer, map: import('../ir/ir.js').MapRef, method: string, node: ts.CallExpression): Val {
  // Queue/stack/bloom, redirect, socket, cgroup, stack-trace maps and maps of maps (front/maps-more-calls.ts).
  if (isMoreMap(map.className)) return moreMapCall(L, map, method, node);
  const args = node.arguments;
  const valueOf = (e: ts.Expression, l: import('../ir/types.js').Layout): Operand =>
    l.kind === 'int' ? L.operand(lowerExpr(L, e, l), l, e).op : aggregate(L, e, l);
  const key = (): Operand => valueOf(args[0]!, map.key);
  const pos = L.pos(node);
  if (method === 'lookup' && args.length === 1) {
    const ty = ptr('map_value_or_null', map.value);
    const dst = L.b.vreg(ty);
    L.b.emit({ op: 'lookup', dst, map, key: key(), pos });
    return { kind: 'val', op: reg(dst), ty };
  }
  if (method === 'update' && (args.length === 2 || args.length === 3)) {
    const k = key();
    const value = valueOf(args[1]!, map.value);
    const flags = args[2] ? L.operand(lowerExpr(L, args[2], INT.u64), INT.u64, args[2]).op : konst(0n, INT.u64);
    const dst = L.b.vreg(INT.i64);
    L.b.emit({ op: 'update', dst, map, key: k, value, flags, pos });
    return { kind: 'val', op: reg(dst), ty: INT.i64 };
  }
  if (method === 'output' && map.kind === 'ringbuf' && (args.length === 2 || args.length === 3)) {
    const layout = layoutOfExpr(L.checker, args[0]!);
    if (!layout) return L.fail('LK3010', `'${args[0]!.getText()}' is not a layout (struct(), array() or an integer width)`, args[0]!);
    const data = valueOf(args[1]!, layout);
    const flags = args[2] ? L.operand(lowerExpr(L, args[2], INT.u64), INT.u64, args[2]).op : konst(0n, INT.u64);
    const dst = L.b.vreg(INT.i64);
    L.b.emit({ op: 'ringbufOutput', dst, map, data, layout, flags, pos });
    return { kind: 'val', op: reg(dst), ty: INT.i64 };
  }
  if (map.kind === 'progArray') {
    const c = args[0] && unwrap(args[0]);
    if (method !== 'tailCall' || args.length !== 2 || !c || !ts.isIdentifier(c) || !isCtx(L, c)) {
      return L.fail('LK6004', `ProgramArray '${map.name}': only ${map.name}.tailCall(ctx, index) is supported`, node);
    }
    const index = L.operand(lowerExpr(L, args[1]!, INT.u32), INT.u32, args[1]!).op;
    const dst = L.b.vreg(INT.i64);
    L.b.emit({ op: 'tailCall', dst, map, index, pos });
    return { kind: 'val', op: reg(dst), ty: INT.i64 };
  }
  if (map.kind === 'skStorage') return skStorageCall(L, map, method, node);
  if (map.kind === 'taskStorage') return taskStorageCall(L, map, method, node);
  if (map.kind === 'ringbuf') return ringbufCall(L, map, method, node) ?? L.fail('LK6001', `RingBuf.${method}() is not supported`, node);
  if (method === 'delete' && args.length === 1 && map.kind === 'hash') {
    const dst = L.b.vreg(INT.i64);
    L.b.emit({ op: 'delete', dst, map, key: key(), pos });
    return { kind: 'val', op: reg(dst), ty: INT.i64 };
  }
  return L.fail('LK6001', `${map.kind} map method '${method}' with ${args.length} argument(s) is not supported`, node);
}

function prefix(L: Lowerer, node: ts.PrefixUnaryExpression, want?: Ty): Val {
  switch (node.operator) {
    case ts.SyntaxKind.PlusPlusToken: return increment(L, node.operand, 'add', false, node);
    case ts.SyntaxKind.MinusMinusToken: return increment(L, node.operand, 'sub', false, node);
    case ts.SyntaxKind.ExclamationToken: return lowerCondValue(L, node, want);
    case ts.SyntaxKind.PlusToken: return lowerExpr(L, node.operand, want);
    case ts.SyntaxKind.MinusToken: {
      const v = lowerExpr(L, node.operand, want);
      if (v.kind === 'lit') return { kind: 'lit', value: -v.value, big: v.big };
      const { op, ty } = L.operand(v, undefined, node);
      const it = intTy(L, ty, node);
      const dst = L.b.vreg(it);
      L.b.emit({ op: 'neg', dst, a: op, ty: it, pos: L.pos(node) });
      return { kind: 'val', op: reg(dst), ty: it };
    }
    case ts.SyntaxKind.TildeToken: {
      const v = lowerExpr(L, node.operand, want);
      if (v.kind === 'lit') return { kind: 'lit', value: ~v.value, big: v.big };
      const { ty } = L.operand(v, undefined, node);
      const it = intTy(L, ty, node);
      return binary(L, 'xor', v, { kind: 'val', op: konst(wrap(-1n, it), it), ty: it }, node);
    }
  }
  return L.fail('LK1001', 'unsupported unary operator', node);
}

/** Where an assignment writes: a `let` local, memory (map value, header field, struct field, array element), or a ctx field. */
type Place = { kind: 'local'; vreg: VReg } | { kind: 'mem'; mem: Mem & { layout: IntTy }; access?: IntTy };

/** The rodata() global whose `.value` (or a field or element of it) `t` designates. */
function rodataRoot(L: Lowerer, t: ts.Expression): ts.Identifier | undefined {
  for (let e = unwrap(t); ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e); e = unwrap(e.expression)) {
    const base = unwrap(e.expression);
    if (ts.isPropertyAccessExpression(e) && e.name.text === 'value' && ts.isIdentifier(base) && globalOf(L.mod, L.symbolOf(base))?.section === '.rodata') return base;
  }
  return undefined;
}

function placeTy(p: Place): Ty {
  return p.kind === 'local' ? p.vreg.ty : p.mem.layout;
}

function place(L: Lowerer, target: ts.Expression): Place {
  const t = unwrap(target);
  if (ts.isIdentifier(t)) {
    const sym = L.symbolOf(t);
    const local = sym && L.locals.get(sym);
    if (local?.kind === 'var') {
      if (!local.mutable) L.fail('LK1001', `'${t.text}' is const`, t);
      return { kind: 'local', vreg: local.vreg };
    }
  }
  const ctxBase = ts.isPropertyAccessExpression(t) ? unwrap(t.expression) : undefined;
  if (ts.isPropertyAccessExpression(t) && ctxBase && ts.isIdentifier(ctxBase) && isCtx(L, ctxBase)) {
    const field = L.hidden.has(t.name.text) ? undefined : ctxField(L.ctxKind, t.name.text);
    if (t.name.text === 'sk' && L.ctxKind === 'bpf_sockopt') return L.fail('LK3006', `context field 'sk' is read-only`, t);
    if (!field) return L.fail('LK3009', `context field '${t.name.text}' is not available (${L.ctxKind})`, t);
    if (field.length) return L.fail('LK3010', `assign the elements of '${t.getText()}' one by one`, t);
    if (!L.writable.has(t.name.text)) return L.fail('LK3006', `context field '${t.name.text}' is read-only for this program kind`, t);
    return { kind: 'mem', mem: { base: L.b.ctx, off: field.off, layout: field.ty }, ...(field.access ? { access: field.access } : {}) };
  }
  // `(g as unknown as { value: u16 }).value = 1` gets past tsc (TS2540) but not the kernel: .rodata is frozen.
  const g = rodataRoot(L, t);
  if (g) {
    return L.fail('LK4009', `'${g.text}' is a rodata() global, read-only in the kernel: set it from userspace before load (BpfObject.load(o, { rodata: { ${g.text}: ... } })) or declare it with data()`, t);
  }
  if (ts.isPropertyAccessExpression(t) || ts.isElementAccessExpression(t)) {
    const m = memOf(L, t);
    if (m && m.layout.kind === 'int') {
      if (m.ctxField !== undefined && !L.writable.has(m.ctxField)) return L.fail('LK3006', `context field '${m.ctxField}' is read-only for this program kind`, t);
      return { kind: 'mem', mem: { ...m, layout: m.layout } };
    }
    if (m) return L.fail('LK3010', `assign the fields of '${t.getText()}' one by one`, t);
  }
  return L.fail('LK1001', `cannot assign to '${t.getText()}'`, t);
}

/**
 * Read-modify-write of a place: `update(old)` gives the value to store; the
 * result is `pick(old, new)`. Memory with a variable index does all of it only
 * when the index is in range (the result is then 0 otherwise).
 */
function modify(L: Lowerer, p: Place, node: ts.Node, update: (old: Val) => Val, pick: (old: Val, nv: Val) => Val): Val {
  if (p.kind === 'local') {
    const old: Val = { kind: 'val', op: reg(p.vreg), ty: p.vreg.ty };
    return pick(old, writePlace(L, p, update(old), node));
  }
  const ty = p.mem.layout;
  const pos = L.pos(node);
  if (!p.mem.index?.length) {
    const old = L.b.vreg(ty);
    L.b.emit({ op: 'load', dst: old, base: p.mem.base, off: p.mem.off, ty: p.access ?? ty, pos });
    const oldV: Val = { kind: 'val', op: reg(old), ty };
    return pick(oldV, writePlace(L, p, update(oldV), node));
  }
  const res = L.b.vreg(ty);
  withElement(L, p.mem, node, (e) => {
    const old = L.b.vreg(ty);
    L.b.emit({ op: 'load', dst: old, base: e.base, off: e.off, ty: p.access ?? ty, pos });
    const oldV: Val = { kind: 'val', op: reg(old), ty };
    const { op } = L.operand(update(oldV), ty, node);
    L.b.emit({ op: 'store', base: e.base, off: e.off, value: op, ty: p.access ?? ty, pos });
    L.b.emit({ op: 'copy', dst: res, src: L.operand(pick(oldV, { kind: 'val', op, ty }), ty, node).op, pos });
  }, () => L.b.emit({ op: 'copy', dst: res, src: konst(0n, ty), pos }));
  return { kind: 'val', op: reg(res), ty };
}

function writePlace(L: Lowerer, p: Place, v: Val, node: ts.Node): Val {
  if (p.kind === 'local') {
    const { op } = L.operand(v, p.vreg.ty, node);
    if (!(op.kind === 'reg' && op.reg === p.vreg)) L.b.emit({ op: 'copy', dst: p.vreg, src: op, pos: L.pos(node) });
    return { kind: 'val', op: reg(p.vreg), ty: p.vreg.ty };
  }
  const { op } = L.operand(v, p.mem.layout, node);
  // Normalised (zero-extended) values store correctly at a wider access width.
  storeMem(L, p.mem, op, node, p.access);
  return { kind: 'val', op, ty: p.mem.layout };
}

function increment(L: Lowerer, target: ts.Expression, op: 'add' | 'sub', postfix: boolean, node: ts.Node): Val {
  const p = place(L, target);
  let saved: Val | undefined;
  return modify(L, p, node, (old) => {
    saved = old;
    if (postfix && p.kind === 'local' && old.kind === 'val') {
      // x++ on a local computes into x: keep the old value in its own register.
      const t = L.b.vreg(old.ty);
      L.b.emit({ op: 'copy', dst: t, src: old.op, pos: L.pos(node) });
      saved = { kind: 'val', op: reg(t), ty: old.ty };
    }
    return binary(L, op, old, { kind: 'lit', value: 1n, big: false }, node, p.kind === 'local' ? p.vreg : undefined);
  }, (_old, nv) => (postfix ? saved! : nv));
}

function binaryExpr(L: Lowerer, node: ts.BinaryExpression, want?: Ty): Val {
  const k = node.operatorToken.kind;
  if (k === ts.SyntaxKind.EqualsToken) {
    const p = place(L, node.left);
    return writePlace(L, p, lowerExpr(L, node.right, placeTy(p)), node);
  }
  const compound = COMPOUND[k];
  if (compound) {
    const p = place(L, node.left);
    // An element at a variable index is read and written only when in range: evaluate the right side first.
    const early = p.kind === 'mem' && p.mem.index?.length ? lowerExpr(L, node.right) : undefined;
    return modify(L, p, node, (old) => binary(L, compound, old, early ?? lowerExpr(L, node.right), node, p.kind === 'local' ? p.vreg : undefined), (_o, nv) => nv);
  }
  const arith = ARITH[k];
  if (arith) return binary(L, arith, lowerExpr(L, node.left, want), lowerExpr(L, node.right, want), node);
  if (COMPARISON.has(k) || k === ts.SyntaxKind.AmpersandAmpersandToken || k === ts.SyntaxKind.BarBarToken) return lowerCondValue(L, node, want);
  if (k === ts.SyntaxKind.AsteriskAsteriskToken) return L.fail('LK2008', '** is not supported on integers', node);
  return L.fail('LK1001', `operator ${ts.tokenToString(k) ?? ts.SyntaxKind[k]} is not supported`, node);
}
