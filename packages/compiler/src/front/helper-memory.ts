// Helpers that fill memory the program owns: `bpf.getCurrentComm(buf)` takes a
// fixed byte array (a struct field of a map value or a stack struct) and
// compiles to bpf_get_current_comm(&buf, sizeof(buf)).
//
// @example const v = info.lookup(k); if (v !== null) bpf.getCurrentComm(v.value.comm);
import ts from 'typescript';
import { konst, reg } from '../ir/ir.js';
import { INT, layoutSize, nonNull, ptr } from '../ir/types.js';
import { memOf } from './memory.js';
import type { Lowerer, Val } from './lower.js';
import { lowerExpr } from './expressions.js';

/** `bpf.<name>` helpers whose first argument is a buffer followed (in C) by its size. */
export const BUFFER_HELPERS: ReadonlySet<string> = new Set(['getCurrentComm']);

export function bufferHelperCall(L: Lowerer, helper: number, node: ts.CallExpression): Val {
  const arg = node.arguments[0];
  if (!arg || node.arguments.length !== 1) return L.fail('LK1001', `${node.expression.getText()}(buf) takes one buffer`, node);
  const m = memOf(L, arg) ?? (() => { const v = lowerExpr(L, arg); return v.kind === 'mem' ? v.mem : undefined; })();
  if (!m || m.layout.kind !== 'array') {
    return L.fail('LK3010', `'${arg.getText()}' must be a fixed array in a map value or stack struct (e.g. a field array(u8, 16))`, arg);
  }
  // memOf has already insisted that a map value pointer was checked non-null.
  const kind = m.base.ty.kind === 'ptr' ? nonNull(m.base.ty.ptr) : 'stack';
  const base = kind === 'map_value' || kind === 'stack' ? kind : undefined;
  if (!base) return L.fail('LK3010', `the helper writes '${arg.getText()}': it must be in a map value or on the stack`, arg);
  const p = L.b.vreg(ptr(base));
  const pos = L.pos(node);
  L.b.emit({ op: 'ptradd', dst: p, base: m.base, off: konst(BigInt(m.off), INT.u64), pos });
  const dst = L.b.vreg(INT.i64);
  L.b.emit({ op: 'call', dst, helper, args: [reg(p), konst(BigInt(layoutSize(m.layout)), INT.u32)], pos });
  return { kind: 'val', op: reg(dst), ty: INT.i64 };
}
