// Memory through pointers: struct fields and array elements of header views
// (packet), map values, stack structs and context arrays; `ctx.header(T, off)`
// with the verifier's bounds-check shape; struct literals and copies into stack
// slots. A variable array index is checked where the memory is accessed
// (withElement): `if (i >= N)` on the index register, so the verifier sees the
// bound before the pointer arithmetic; an out-of-range index reads 0 and
// writes nothing.
import ts from 'typescript';
import { konst, reg, type Operand, type VReg } from '../ir/ir.js';
import { INT, layoutAlign, layoutSize, memoryKind, nullable, ptr, type IntTy, type Layout } from '../ir/types.js';
import { ctxField, SOCK_LAYOUT, SOCKOPT_SK_OFF } from './context-fields.js';
import { layoutOfExpr } from './layout.js';
import type { IndexTerm, Lowerer, Mem } from './lower.js';
import { isCtx, lowerExpr } from './expressions.js';
import { coreReadInPlace } from './core.js';
import { checkPacketFresh } from './packet-stale.js';

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

/** `ctx.sk` of sockopt programs: the socket pointer (struct bpf_sock, read-only, never null). */
export function ctxSocket(L: Lowerer, node: ts.PropertyAccessExpression): VReg | undefined {
  const base = unwrap(node.expression);
  if (L.ctxKind !== 'bpf_sockopt' || node.name.text !== 'sk' || !ts.isIdentifier(base) || !isCtx(L, base)) return undefined;
  const sk = L.b.vreg(ptr('sock', SOCK_LAYOUT));
  L.b.emit({ op: 'load', dst: sk, base: L.b.ctx, off: SOCKOPT_SK_OFF, ty: INT.u64, pos: L.pos(node) });
  return sk;
}

/** `ctx.userIp6`, `ctx.cb`: an array field of the context, as memory at its offset. */
export function ctxArrayMem(L: Lowerer, node: ts.PropertyAccessExpression): Mem | undefined {
  const base = unwrap(node.expression);
  if (!ts.isIdentifier(base) || !isCtx(L, base)) return undefined;
  if (L.hidden.has(node.name.text)) return undefined;
  const f = ctxField(L.ctxKind, node.name.text);
  if (!f?.length) return undefined;
  const size = f.ty.bits / 8;
  const layout: Layout = { kind: 'array', name: `${f.ty.name}[${f.length}]`, elem: f.ty, length: f.length, size: size * f.length, align: size };
  return { base: L.b.ctx, off: f.off, layout, ctxField: node.name.text };
}

/**
 * The memory an expression designates: `ref.value` (map values), `view.field`,
 * `view.arr[2]`, `view.arr[i]`, or a header view / stack struct itself. Undefined when the
 * expression is not a memory access (the caller tries other forms).
 */
export function memOf(L: Lowerer, node0: ts.Expression): Mem | undefined {
  const node = unwrap(node0);
  if (ts.isPropertyAccessExpression(node)) {
    const name = node.name.text;
    const ctxArr = ctxArrayMem(L, node);
    if (ctxArr) return ctxArr;
    const sk = ctxSocket(L, node);
    if (sk) return { base: sk, off: 0, layout: SOCK_LAYOUT, ctxField: 'sk' };
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
    return { ...inner, off: inner.off + f.off, layout: f.ty };
  }
  if (ts.isElementAccessExpression(node)) {
    const inner = memOfBase(L, node.expression, node) ?? memOf(L, node.expression);
    if (!inner || inner.layout.kind !== 'array') return undefined;
    const arg = node.argumentExpression;
    const el = inner.layout.elem;
    const size = layoutSize(el);
    const idx = lowerExpr(L, arg);
    const c = idx.kind === 'lit' ? idx.value : idx.kind === 'val' && idx.op.kind === 'const' && idx.ty.kind === 'int' ? idx.op.value : undefined;
    if (c !== undefined) {
      if (c < 0n || c >= BigInt(inner.layout.length)) return L.fail('LK3003', `index ${c} is out of range for ${inner.layout.name}`, arg);
      return { ...inner, off: inner.off + Number(c) * size, layout: el };
    }
    const { op, ty } = L.operand(idx, undefined, arg);
    if (ty.kind !== 'int') return L.fail('LK3003', `an index of '${node.expression.getText()}' must be an integer`, arg);
    // Normalised values widen for free: a negative signed index is a huge u64, so out of range.
    let wide = op;
    if (ty.bits !== 64 || ty.signed) {
      const d = L.b.vreg(INT.u64);
      L.b.emit({ op: 'convert', dst: d, src: op, from: ty, to: ty.signed ? INT.i64 : INT.u64, pos: L.pos(arg) });
      wide = reg(d);
    }
    const term: IndexTerm = { idx: wide, length: inner.layout.length, scale: size };
    return { ...inner, layout: el, index: [...(inner.index ?? []), term] };
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
  checkPacketFresh(L, p.reg, use, e.getText());
  return { base: p.reg, off: 0, layout: p.pointee };
}

/** Context arrays indexed by a variable become a compare chain over at most this many constant offsets. */
const MAX_CTX_CASES = 16;
/** Where ctx->data_end lives, per context struct (packet element checks). */
const DATA_END: Partial<Record<string, number>> = { xdp_md: 4, __sk_buff: 80 };

/** True when the last instruction of the current block made `o` as `x & K` with K < length (the verifier sees the mask). */
function masked(L: Lowerer, o: Operand, length: number): boolean {
  if (o.kind !== 'reg') return false;
  let id = o.reg.id;
  const insts = L.b.current.insts;
  for (let k = insts.length - 1; k >= 0; k--) {
    const i = insts[k]!;
    if (i.op === 'convert' && i.dst.id === id && i.src.kind === 'reg' && !i.from.signed) { id = i.src.reg.id; continue; }
    return i.op === 'bin' && i.dst.id === id && i.bin === 'and' && i.b.kind === 'const' && i.b.value >= 0n && i.b.value < BigInt(length);
  }
  return false;
}

/**
 * Emit `access(m')` where `m'` is `m` with its variable indexes resolved to a
 * concrete address; an out-of-range index runs `onOob` instead. Memory
 * without variable indexes is accessed directly. Pointer memory (map values,
 * stack, packet) checks each index against its length on the index register
 * and adds it (packet elements are also checked against data_end); context
 * memory, which the verifier only accepts at constant offsets, dispatches on
 * the index value (`access` runs once per possible offset).
 */
export function withElement(L: Lowerer, m: Mem, node: ts.Node, access: (m: Mem) => void, onOob: () => void): void {
  const index = m.index ?? [];
  if (index.length === 0) return access(m);
  const pos = L.pos(node);
  const join = L.b.newBlock();
  const oob = L.b.newBlock();
  const kind = memoryKind(m.base.ty);
  const plain: Mem = { base: m.base, off: m.off, layout: m.layout, ...(m.ctxField ? { ctxField: m.ctxField } : {}) };
  if (kind === 'ctx' || kind === 'sock') {
    const cases = index.reduce((n, t) => n * t.length, 1);
    if (cases > MAX_CTX_CASES) L.fail('LK3003', `a context array indexed by a variable may have at most ${MAX_CTX_CASES} elements (this one has ${cases}): the verifier takes only constant context offsets`, node);
    const dispatch = (k: number, off: number): void => {
      if (k === index.length) {
        access({ ...plain, off });
        L.b.terminate({ op: 'br', target: join, pos });
        return;
      }
      const t = index[k]!;
      for (let j = 0; j < t.length; j++) {
        const hit = L.b.newBlock();
        const next = L.b.newBlock();
        L.b.terminate({ op: 'cbr', cond: 'eq', a: t.idx, b: konst(BigInt(j), INT.u64), ty: INT.u64, t: hit, f: next, pos });
        L.b.setBlock(hit);
        dispatch(k + 1, off + j * t.scale);
        L.b.setBlock(next);
      }
      L.b.terminate({ op: 'br', target: oob, pos });
    };
    dispatch(0, m.off);
  } else {
    if (kind !== 'map_value' && kind !== 'stack' && kind !== 'packet') {
      L.fail('LK3003', `'${node.getText()}' cannot be indexed by a variable here (memory of unknown kind): copy the struct into a local first`, node);
    }
    let p = m.base;
    for (const t of index) {
      if (!masked(L, t.idx, t.length)) {
        const ok = L.b.newBlock();
        L.b.terminate({ op: 'cbr', cond: 'ge', a: t.idx, b: konst(BigInt(t.length), INT.u64), ty: INT.u64, t: oob, f: ok, pos });
        L.b.setBlock(ok);
      }
      let scaled = t.idx;
      if (t.scale !== 1) {
        const d = L.b.vreg(INT.u64);
        const pow2 = (t.scale & (t.scale - 1)) === 0;
        L.b.emit({ op: 'bin', dst: d, bin: pow2 ? 'shl' : 'mul', a: t.idx, b: konst(BigInt(pow2 ? Math.log2(t.scale) : t.scale), INT.u64), ty: INT.u64, pos });
        scaled = reg(d);
      }
      const q = L.b.vreg(ptr(kind === 'packet' ? 'packet' : kind, m.layout));
      L.b.emit({ op: 'ptradd', dst: q, base: p, off: scaled, pos });
      p = q;
    }
    if (kind === 'packet') {
      // A packet pointer plus a variable has no checked range yet: compare its end with data_end.
      const endOff = DATA_END[L.ctxKind];
      if (endOff === undefined) L.fail('LK3003', `packet memory cannot be indexed by a variable in ${L.ctxKind} programs`, node);
      const end = L.b.vreg(ptr('packet_end'));
      L.b.emit({ op: 'ctxptr', dst: end, off: endOff, pos });
      const last = L.b.vreg(ptr('packet'));
      L.b.emit({ op: 'ptradd', dst: last, base: p, off: konst(BigInt(m.off + layoutSize(m.layout)), INT.u64), pos });
      const ok = L.b.newBlock();
      L.b.terminate({ op: 'cbr', cond: 'gt', a: reg(last), b: reg(end), ty: ptr('packet'), t: oob, f: ok, pos });
      L.b.setBlock(ok);
    }
    access({ ...plain, base: p });
    L.b.terminate({ op: 'br', target: join, pos });
  }
  L.b.setBlock(oob);
  onOob();
  L.b.terminate({ op: 'br', target: join, pos });
  L.b.setBlock(join);
}

/** Read an integer at `m` into a fresh register (0 when a variable index is out of range). */
export function loadMem(L: Lowerer, m: Mem & { layout: IntTy }, node: ts.Node, access?: IntTy): VReg {
  const dst = L.b.vreg(m.layout);
  const pos = L.pos(node);
  withElement(L, m, node,
    (e) => L.b.emit({ op: 'load', dst, base: e.base, off: e.off, ty: access ?? m.layout, pos }),
    () => L.b.emit({ op: 'copy', dst, src: konst(0n, m.layout), pos }));
  return dst;
}

/** Store `value` at `m` (nothing when a variable index is out of range). */
export function storeMem(L: Lowerer, m: Mem & { layout: IntTy }, value: Operand, node: ts.Node, access?: IntTy): void {
  const pos = L.pos(node);
  withElement(L, m, node, (e) => L.b.emit({ op: 'store', base: e.base, off: e.off, value, ty: access ?? m.layout, pos }), () => {});
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
  // `{ ppid: core.read(Task, parent, 'tgid') }`: the helper fills the member itself.
  if (coreReadInPlace(L, e, m)) return;
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

/**
 * The pieces a copy of `l` moves: runs of bytes that leaves cover (never padding,
 * which a hash key must keep zero), split into the widest unsigned loads/stores
 * (up to `maxPiece` bytes) both sides are aligned for (the verifier insists on
 * aligned stack access). Context memory is copied leaf by leaf (the kernel
 * rewrites each field access at its own width).
 */
function pieces(l: Layout, srcOff: number, dstOff: number, byLeaf: boolean, maxPiece: number): Array<{ off: number; ty: IntTy }> {
  if (byLeaf) return leaves(l);
  const covered = new Uint8Array(layoutSize(l));
  for (const x of leaves(l)) covered.fill(1, x.off, x.off + x.ty.bits / 8);
  const out: Array<{ off: number; ty: IntTy }> = [];
  for (let at = 0; at < covered.length;) {
    if (!covered[at]) { at++; continue; }
    let end = at;
    while (end < covered.length && covered[end]) end++;
    while (at < end) {
      const size = [8, 4, 2, 1].find((z) => z <= maxPiece && at + z <= end && (srcOff + at) % z === 0 && (dstOff + at) % z === 0)!;
      out.push({ off: at, ty: INT[`u${size * 8}` as 'u8'] });
      at += size;
    }
  }
  return out;
}

/** Copy `src` into `dst` (a stack slot) in aligned pieces; an out-of-range source element copies zeros. */
function copyMem(L: Lowerer, dst: Mem, src: Mem, node: ts.Node): void {
  const pos = L.pos(node);
  const byLeaf = memoryKind(src.base.ty) === 'ctx' || memoryKind(src.base.ty) === 'sock';
  // Offsets are exact from a map value, record, slot or header start; a ref may sit at any field
  // offset, and an element at a variable index moves in steps of its size: keep to what those guarantee.
  let maxPiece = src.base.ty.kind === 'ptr' && src.base.ty.ptr === 'ref' ? layoutAlign(src.layout) : 8;
  for (const t of src.index ?? []) maxPiece = Math.min(maxPiece, t.scale & -t.scale);
  const parts = pieces(src.layout, src.off, dst.off, byLeaf, maxPiece);
  withElement(L, src, node, (s) => {
    for (const x of parts) {
      const t = L.b.vreg(x.ty);
      L.b.emit({ op: 'load', dst: t, base: s.base, off: s.off + x.off, ty: x.ty, pos });
      L.b.emit({ op: 'store', base: dst.base, off: dst.off + x.off, value: reg(t), ty: x.ty, pos });
    }
  }, () => {
    for (const x of parts) L.b.emit({ op: 'store', base: dst.base, off: dst.off + x.off, value: konst(0n, x.ty), ty: x.ty, pos });
  });
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
  // Socket filters share __sk_buff but the kernel gives them no data/data_end (sk_filter_is_valid_access).
  const fields = L.programKind === 'socketFilter' ? undefined : PACKET_FIELDS[L.ctxKind];
  if (!fields) return L.fail('LK6001', `ctx.header() needs direct packet access (xdp, tc, cgroupSkb), not ${L.programKind || L.ctxKind}: use ctx.loadBytes(T, offset)`, node);
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
  // A typed constant (`14 + i` in an unrolled loop) in range is as exact as a literal;
  // out of range it stays a run-time null, as in the loop it came from.
  const typed = ov.kind === 'val' && ov.op.kind === 'const' && ov.ty.kind === 'int' && !ov.ty.signed ? ov.op.value : undefined;
  const known = ov.kind === 'lit' ? ov.value : typed !== undefined && typed <= BigInt(MAX_PACKET_OFF) ? typed : undefined;
  if (known !== undefined) {
    if (known < 0n || known > BigInt(MAX_PACKET_OFF)) L.fail('LK2002', `header offset ${known} is outside 0..${MAX_PACKET_OFF}`, offArg);
    off = konst(known, INT.u64);
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
  L.b.joinValues(res, [[okB, reg(p)], [nullB, konst(0n, res.ty)]], join, pos);
  return { kind: 'val', op: reg(res), ty: res.ty };
}
