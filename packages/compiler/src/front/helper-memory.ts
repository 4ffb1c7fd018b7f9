// Helpers that fill memory the program owns: a fixed byte array (a struct
// field of a map value or a stack struct) passed as `&buf, sizeof(buf)`.
//   bpf.getCurrentComm(buf)           → bpf_get_current_comm(&buf, N)
//   bpf.probeReadKernelStr(buf, ptr)  → bpf_probe_read_kernel_str(&buf, N, ptr)
//   bpf.probeReadUserStr(buf, ptr)    → bpf_probe_read_user_str(&buf, N, ptr)
//
// @example const v = info.lookup(k); if (v !== null) bpf.getCurrentComm(v.value.comm);
import ts from 'typescript';
import { konst, reg, type Operand } from '../ir/ir.js';
import { INT, layoutSize, memoryKind, ptr } from '../ir/types.js';
import { memOf } from './memory.js';
import type { Lowerer, Val } from './lower.js';
import { lowerExpr } from './expressions.js';

/** `bpf.<name>` helpers whose first argument is a buffer followed (in C) by its size, then `extra` u64 arguments. */
const BUFFERS: Readonly<Record<string, { extra: number }>> = {
  getCurrentComm: { extra: 0 },
  probeReadKernelStr: { extra: 1 },
  probeReadUserStr: { extra: 1 },
};
export const BUFFER_HELPERS: ReadonlySet<string> = new Set(Object.keys(BUFFERS));

/** `&buf` and `sizeof(buf)` of a fixed array in a map value or stack struct (LK3010 otherwise). */
export function bufferArg(L: Lowerer, arg: ts.Expression): { p: Operand; size: number } {
  const m = memOf(L, arg) ?? (() => { const v = lowerExpr(L, arg); return v.kind === 'mem' ? v.mem : undefined; })();
  if (m?.index?.length) return L.fail('LK3003', `'${arg.getText()}' is indexed by a variable: a helper buffer must be at a constant offset`, arg);
  if (!m || m.layout.kind !== 'array') {
    return L.fail('LK3010', `'${arg.getText()}' must be a fixed array in a map value or stack struct (e.g. a field array(u8, 16))`, arg);
  }
  // memOf has already insisted that a map value pointer was checked non-null.
  const kind = memoryKind(m.base.ty) ?? 'stack';
  const base = kind === 'map_value' || kind === 'stack' ? kind : undefined;
  if (!base) return L.fail('LK3010', `the helper writes '${arg.getText()}': it must be in a map value or on the stack`, arg);
  const p = L.b.vreg(ptr(base));
  L.b.emit({ op: 'ptradd', dst: p, base: m.base, off: konst(BigInt(m.off), INT.u64), pos: L.pos(arg) });
  return { p: reg(p), size: layoutSize(m.layout) };
}

export function bufferHelperCall(L: Lowerer, name: string, helper: number, node: ts.CallExpression): Val {
  const extra = BUFFERS[name]?.extra ?? 0;
  const arg = node.arguments[0];
  if (!arg || node.arguments.length !== 1 + extra) {
    return L.fail('LK1001', `${node.expression.getText()}(buf${extra ? ', ptr' : ''}) takes ${extra ? 'a buffer and a u64 address' : 'one buffer'}`, node);
  }
  const buf = bufferArg(L, arg);
  const rest = node.arguments.slice(1).map((a) => L.operand(lowerExpr(L, a, INT.u64), INT.u64, a).op);
  const dst = L.b.vreg(INT.i64);
  L.b.emit({ op: 'call', dst, helper, args: [buf.p, konst(BigInt(buf.size), INT.u32), ...rest], pos: L.pos(node) });
  return { kind: 'val', op: reg(dst), ty: INT.i64 };
}
