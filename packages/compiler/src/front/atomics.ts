// Atomic read-modify-write on map values and globals (BPF_ATOMIC): the target
// is a Ref<u32|u64> (`atomicAdd(v, 1n)`, `atomicAdd(hits, 1n)`) or a u32/u64
// field lvalue in map-value memory (`atomicAdd(s.value.txBytes, n)`, nested
// struct fields and array elements too). Anything else is LK3010: the
// verifier refuses atomics on the stack, the context and packets.
//
// @example
// const s = sockets.lookup(cookie);
// if (s !== null) { atomicAdd(s.value.txBytes, u64(ctx.len)); const old = atomicFetchAdd(s.value.seq, 1); }
import ts from 'typescript';
import { konst, reg, type AtomicOp } from '../ir/ir.js';
import { INT, memoryKind, nullable, type IntTy } from '../ir/types.js';
import type { Lowerer, Mem, Val } from './lower.js';
import { lowerExpr } from './expressions.js';
import { memOf, withElement } from './memory.js';

/** The @lockne/kernel atomics: operation, whether it returns the old value, argument count. */
const ATOMICS: Readonly<Record<string, { op: AtomicOp; fetch: boolean; args: number }>> = {
  atomicAdd: { op: 'add', fetch: false, args: 2 },
  atomicFetchAdd: { op: 'add', fetch: true, args: 2 },
  atomicAnd: { op: 'and', fetch: false, args: 2 },
  atomicOr: { op: 'or', fetch: false, args: 2 },
  atomicXor: { op: 'xor', fetch: false, args: 2 },
  atomicXchg: { op: 'xchg', fetch: true, args: 2 },
  atomicCmpXchg: { op: 'cmpxchg', fetch: true, args: 3 },
};

export function isAtomic(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(ATOMICS, name);
}

function unwrap(node: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) node = node.expression;
  return node;
}

/** The u32/u64 map-value memory an atomic's first argument designates (LK3010 otherwise). */
function target(L: Lowerer, name: string, arg: ts.Expression): Mem & { layout: IntTy } {
  const e = unwrap(arg);
  let m = memOf(L, e);
  if (!m) {
    // A Ref<T>: a map value or global pointer whose pointee is the integer itself.
    const v = lowerExpr(L, e);
    if (v.kind === 'val' && v.ty.kind === 'ptr' && v.op.kind === 'reg' && v.ty.pointee) {
      if (nullable(v.ty.ptr) && !L.narrowed.has(v.op.reg.id)) L.fail('LK3001', `'${arg.getText()}' may be null: check it first`, arg);
      m = { base: v.op.reg, off: 0, layout: v.ty.pointee };
    }
  }
  const what = `${name} takes a u32/u64 field of a map value or global (or a Ref to one)`;
  if (!m) return L.fail('LK3010', `${what}; '${arg.getText()}' is a value (a local or a context field), not a place in a map value`, arg);
  const l = m.layout;
  if (l.kind !== 'int' || l.signed || (l.bits !== 32 && l.bits !== 64)) {
    return L.fail('LK3010', `${what}; '${arg.getText()}' is ${l.name}`, arg);
  }
  const kind = memoryKind(m.base.ty);
  if (kind !== 'map_value') {
    const where = kind === 'stack' ? 'a stack value' : kind === 'packet' ? 'packet data' : kind === 'ctx' ? 'the context' : 'memory of unknown kind';
    return L.fail('LK3010', `${what}; '${arg.getText()}' is in ${where} (the verifier allows atomics only on map values)`, arg);
  }
  return { ...m, layout: l };
}

/**
 * `atomicAdd(target, v)` and friends. Returns undefined when `name` is no atomic.
 * A target at an out-of-range variable index is left alone (the fetch forms give 0).
 */
export function atomicCall(L: Lowerer, name: string, node: ts.CallExpression): Val | undefined {
  const a = ATOMICS[name];
  if (!a) return undefined;
  if (node.arguments.length !== a.args) return L.fail('LK1001', `${name} takes ${a.args} arguments`, node);
  const m = target(L, name, node.arguments[0]!);
  const ty = m.layout;
  const operand = (e: ts.Expression) => L.operand(lowerExpr(L, e, ty), ty, e).op;
  const expected = a.op === 'cmpxchg' ? operand(node.arguments[1]!) : undefined;
  const value = operand(node.arguments[a.args - 1]!);
  const pos = L.pos(node);
  const dst = a.fetch ? L.b.vreg(ty) : null;
  withElement(L, m, node, (e) => {
    L.b.emit({ op: 'atomic', aop: a.op, dst, base: e.base, off: e.off, value, ...(expected ? { expected } : {}), ty, pos });
  }, () => { if (dst) L.b.emit({ op: 'copy', dst, src: konst(0n, ty), pos }); });
  return dst ? { kind: 'val', op: reg(dst), ty } : { kind: 'val', op: konst(0n, INT.i32), ty: INT.i32 };
}
