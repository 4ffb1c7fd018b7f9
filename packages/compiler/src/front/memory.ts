// Memory through pointers: struct fields and constant array elements of header
// views (packet), map values and stack structs; `ctx.header(T, off)` with the
// verifier's bounds-check shape; struct literals and copies into stack slots.
import ts from 'typescript';
import { konst, reg, type Operand, type VReg } from '../ir/ir.js';
import { INT, layoutAlign, layoutSize, nullable, ptr, type IntTy, type Layout } from '../ir/types.js';
import { layoutOfExpr } from './layout.js';
import type { Lowerer, Mem } from './lower.js';
import { lowerExpr } from './expressions.js';

function unwrap(node: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node) || ts.isNonNullExpression(node)) node = node.expression;
  return node;
}

/** A pointer value checked non-null on this path (LK3001), or undefined if `node` is no pointer. */
function checkedPointer(L: Lowerer, node: ts.Expression, use: ts.Node, v = lowerExpr(L, node)): { reg: VReg; kind: string; pointee: Layout } | undefined {
  if (v.kind !== 'val' || v.ty.kind !== 'ptr' || v.op.kind !== 'reg' || !v.ty.pointee) return undefined;
  if (nullable(v.ty.ptr) && !L.narrowed.has(v.op.reg.id)) {
    const t = node.getText();
    L.fail('LK3001', `'${t}' may be null: check it (if (${t} !== null) ...) before using it`, use);
  }
  return { reg: v.op.reg, kind: v.ty.ptr, pointee: v.ty.pointee };
}

/**
 * The memory an expression designates: `ref.value` (map values), `view.field`,
 * `view.arr[2]`, or a header view / stack struct itself. Undefined when the
 * expression is not a memory access (the caller tries other forms).
 */
export function memOf(L: Lowerer, node0: ts.Expression): Mem | undefined {
  const node = unwrap(node0);
  if (ts.isPropertyAccessExpression(node)) {
    const name = node.name.text;
    const inner = memOfBase(L, node.expression, node);
    if (inner === undefined) {
      // `ref.value`: the value behind a map-value pointer.
      if (name !== 'value') return undefined;
      const p = checkedPointer(L, node.expression, node);
      if (!p || (p.kind !== 'map_value' && p.kind !== 'map_value_or_null')) return undefined;
      return { base: p.reg, off: 0, layout: p.pointee };
    }
    if (inner.layout.kind !== 'struct') return L.fail('LK1001', `'${node.expression.getText()}' has no field '${name}'`, node);
    const f = inner.layout.fields.find((x) => x.name === name);
    if (!f) return L.fail('LK3010', `struct ${inner.layout.name} has no field '${name}'`, node);
    return { base: inner.base, off: inner.off + f.off, layout: f.ty };
  }
  if (ts.isElementAccessExpression(node)) {
    const inner = memOfBase(L, node.expression, node) ?? memOf(L, node.expression);
    if (!inner || inner.layout.kind !== 'array') return undefined;
    const idx = lowerExpr(L, node.argumentExpression);
    if (idx.kind !== 'lit') return L.fail('LK3003', `index of '${node.expression.getText()}' must be a constant in this version`, node.argumentExpression);
    if (idx.value < 0n || idx.value >= BigInt(inner.layout.length)) {
      return L.fail('LK3003', `index ${idx.value} is out of range for ${inner.layout.name}`, node.argumentExpression);
    }
    const el = inner.layout.elem;
    return { base: inner.base, off: inner.off + Number(idx.value) * layoutSize(el), layout: el };
  }
  return undefined;
}

/** The struct/array an expression is (a header view, stack struct, or nested member), for field access. */
function memOfBase(L: Lowerer, e0: ts.Expression, use: ts.Node): Mem | undefined {
  const e = unwrap(e0);
  if (ts.isPropertyAccessExpression(e) || ts.isElementAccessExpression(e)) {
    const m = memOf(L, e);
    return m && m.layout.kind !== 'int' ? m : undefined;
  }
  if (!ts.isIdentifier(e) && !ts.isCallExpression(e)) return undefined;
  const v = lowerExpr(L, e);
  if (v.kind === 'mem') return v.mem;
  if (v.kind !== 'val' || v.ty.kind !== 'ptr' || !v.ty.pointee || v.ty.pointee.kind === 'int') return undefined;
  // Map-value pointers are reached through `.value`; header views and stack structs directly.
  if (v.ty.ptr === 'map_value' || v.ty.ptr === 'map_value_or_null') return undefined;
  const p = checkedPointer(L, e, use, v)!;
  return { base: p.reg, off: 0, layout: p.pointee };
}

/** Integer leaves of a layout (struct fields and array elements, flattened) at their offsets. */
export function leaves(l: Layout, off = 0): Array<{ off: number; ty: IntTy }> {
  if (l.kind === 'int') return [{ off, ty: l }];
  if (l.kind === 'array') return Array.from({ length: l.length }, (_, n) => leaves(l.elem, off + n * layoutSize(l.elem))).flat();
  return l.fields.flatMap((f) => leaves(f.ty, off + f.off));
}

/** Zero the bytes of [0, size) that no leaf covers (hash keys compare padding; the verifier wants it written). */
function zeroPadding(L: Lowerer, slot: VReg, l: Layout, node: ts.Node): void {
  const covered = new Uint8Array(layoutSize(l));
  for (const x of leaves(l)) covered.fill(1, x.off, x.off + x.ty.bits / 8);
  for (let at = 0; at < covered.length;) {
    if (covered[at]) { at++; continue; }
    let end = at;
    while (end < covered.length && !covered[end]) end++;
    while (at < end) {
      const size = [8, 4, 2, 1].find((s) => at % s === 0 && at + s <= end)!;
      L.b.emit({ op: 'store', base: slot, off: at, value: konst(0n, INT[`u${size * 8}` as 'u8']), ty: INT[`u${size * 8}` as 'u8'], pos: L.pos(node) });
      at += size;
    }
  }
}

function newSlot(L: Lowerer, l: Layout, node: ts.Node): VReg {
  const dst = L.b.vreg(ptr('stack', l));
  L.b.emit({ op: 'slot', dst, size: layoutSize(l), align: Math.max(layoutAlign(l), 8), pos: L.pos(node) });
  return dst;
}

/** Write `e` (an object literal, array literal, integer, or another struct) into memory `m`. */
function writeInto(L: Lowerer, m: Mem, e0: ts.Expression): void {
  const e = unwrap(e0);
  const l = m.layout;
  if (l.kind === 'int') {
    const { op } = L.operand(lowerExpr(L, e, l), l, e);
    L.b.emit({ op: 'store', base: m.base, off: m.off, value: op, ty: l, pos: L.pos(e) });
    return;
  }
  if (l.kind === 'struct' && ts.isObjectLiteralExpression(e)) {
    const given = new Map<string, ts.Expression>();
    for (const p of e.properties) {
      if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) given.set(p.name.text, p.initializer);
      else if (ts.isShorthandPropertyAssignment(p)) given.set(p.name.text, p.name);
      else L.fail('LK1001', 'struct literals take plain `field: value` entries', p);
    }
    for (const f of l.fields) {
      const v = given.get(f.name);
      if (!v) L.fail('LK3008', `struct ${l.name} literal misses field '${f.name}' (give every field a value)`, e);
      writeInto(L, { base: m.base, off: m.off + f.off, layout: f.ty }, v);
      given.delete(f.name);
    }
    for (const k of given.keys()) L.fail('LK3010', `struct ${l.name} has no field '${k}'`, e);
    return;
  }
  if (l.kind === 'array' && ts.isArrayLiteralExpression(e)) {
    if (e.elements.length !== l.length) L.fail('LK3010', `${l.name} needs exactly ${l.length} elements`, e);
    e.elements.forEach((x, n) => writeInto(L, { base: m.base, off: m.off + n * layoutSize(l.elem), layout: l.elem }, x));
    return;
  }
  const src = memOfBase(L, e, e) ?? memOf(L, e);
  if (!src || src.layout.name !== l.name || layoutSize(src.layout) !== layoutSize(l)) {
    return L.fail('LK3010', `'${e.getText()}' does not have the layout ${l.name}`, e);
  }
  copyMem(L, { base: m.base, off: m.off, layout: l }, src, e);
}

/** Field-by-field copy (each leaf one load + one store). */
function copyMem(L: Lowerer, dst: Mem, src: Mem, node: ts.Node): void {
  for (const x of leaves(src.layout)) {
    const t = L.b.vreg(x.ty);
    L.b.emit({ op: 'load', dst: t, base: src.base, off: src.off + x.off, ty: x.ty, pos: L.pos(node) });
    L.b.emit({ op: 'store', base: dst.base, off: dst.off + x.off, value: reg(t), ty: x.ty, pos: L.pos(node) });
  }
}

/**
 * A struct/array value as a stack slot pointer (map keys/values, struct locals):
 * literals are built in a fresh slot with padding zeroed; a stack struct is used
 * in place; any other memory (header view, map value) is copied.
 */
export function aggregate(L: Lowerer, e0: ts.Expression, l: Layout): Operand {
  const e = unwrap(e0);
  if (!ts.isObjectLiteralExpression(e) && !ts.isArrayLiteralExpression(e)) {
    const v = lowerExpr(L, e);
    if (v.kind === 'val' && v.op.kind === 'reg' && v.ty.kind === 'ptr' && v.ty.ptr === 'stack' && v.ty.pointee?.name === l.name) return v.op;
  }
  const slot = newSlot(L, l, e);
  zeroPadding(L, slot, l, e);
  writeInto(L, { base: slot, off: 0, layout: l }, e);
  return reg(slot);
}

/** Where ctx->data / ctx->data_end live, per context struct. */
const PACKET_FIELDS: Partial<Record<string, { data: number; end: number }>> = {
  xdp_md: { data: 0, end: 4 },
  __sk_buff: { data: 76, end: 80 },
};

/** Largest header offset accepted: the verifier wants a bounded scalar added to a packet pointer. */
const MAX_PACKET_OFF = 0xffff;

/**
 * `ctx.header(T, off)`: `p = data + off; if (p + sizeof(T) > data_end) p = null`.
 * A variable offset is first checked against 0xffff so the verifier knows its
 * bound (packets are shorter than that; the view is null otherwise).
 */
export function header(L: Lowerer, node: ts.CallExpression): ReturnType<typeof lowerExpr> {
  const fields = PACKET_FIELDS[L.ctxKind];
  if (!fields) return L.fail('LK6001', `ctx.header() needs direct packet access (xdp, tc, cgroupSkb), not ${L.ctxKind}`, node);
  const [tArg, offArg] = node.arguments;
  if (!tArg || !offArg) return L.fail('LK1001', 'ctx.header(T, offset) takes a layout and an offset', node);
  const l = layoutOfExpr(L.checker, tArg);
  if (!l) return L.fail('LK3010', `'${tArg.getText()}' is not a struct/array/integer layout the compiler can evaluate`, tArg);
  const pos = L.pos(node);
  const ov = lowerExpr(L, offArg, INT.u32);
  let off: Operand;
  const okB = L.b.newBlock();
  const nullB = L.b.newBlock();
  const join = L.b.newBlock();
  if (ov.kind === 'lit') {
    if (ov.value < 0n || ov.value > BigInt(MAX_PACKET_OFF)) L.fail('LK2002', `header offset ${ov.value} is outside 0..${MAX_PACKET_OFF}`, offArg);
    off = konst(ov.value, INT.u64);
  } else {
    const o = L.operand(ov, undefined, offArg);
    if (o.ty.kind !== 'int' || o.ty.signed) L.fail('LK2004', 'a header offset must be an unsigned integer (u8/u16/u32)', offArg);
    off = o.op;
    const inRange = L.b.newBlock();
    L.b.terminate({ op: 'cbr', cond: 'gt', a: off, b: konst(BigInt(MAX_PACKET_OFF), INT.u64), ty: INT.u64, t: nullB, f: inRange, pos });
    L.b.setBlock(inRange);
  }
  const data = L.b.vreg(ptr('packet'));
  const end = L.b.vreg(ptr('packet_end'));
  L.b.emit({ op: 'ctxptr', dst: data, off: fields.data, pos });
  L.b.emit({ op: 'ctxptr', dst: end, off: fields.end, pos });
  const p = L.b.vreg(ptr('packet', l));
  L.b.emit({ op: 'ptradd', dst: p, base: data, off, pos });
  const q = L.b.vreg(ptr('packet'));
  L.b.emit({ op: 'ptradd', dst: q, base: p, off: konst(BigInt(layoutSize(l)), INT.u64), pos });
  L.b.terminate({ op: 'cbr', cond: 'gt', a: reg(q), b: reg(end), ty: ptr('packet'), t: nullB, f: okB, pos });
  const res = L.b.vreg(ptr('packet_or_null', l));
  L.b.setBlock(okB);
  L.b.emit({ op: 'copy', dst: res, src: reg(p), pos });
  L.b.terminate({ op: 'br', target: join, pos });
  L.b.setBlock(nullB);
  L.b.emit({ op: 'copy', dst: res, src: konst(0n, res.ty), pos });
  L.b.terminate({ op: 'br', target: join, pos });
  L.b.setBlock(join);
  return { kind: 'val', op: reg(res), ty: res.ty };
}
