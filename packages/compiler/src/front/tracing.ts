// Context methods of tracing programs: `ctx.arg(n)` (raw tracepoints: the n-th
// u64 of struct bpf_raw_tracepoint_args), `ctx.args(Layout)` (tracepoints:
// the event record, laid out as /sys/kernel/tracing/events/CAT/NAME/format says)
// and `ctx.dataLocString(loc, buf)` (a `__data_loc char[]` field of the record).
import ts from 'typescript';
import { helperId } from '@lockne/obj';
import { konst, reg } from '../ir/ir.js';
import { INT, ptr } from '../ir/types.js';
import { bufferArg } from './helper-memory.js';
import { checkGplHelper } from './gpl.js';
import { layoutOfExpr } from './layout.js';
import type { Lowerer, Val } from './lower.js';
import { lowerExpr } from './expressions.js';

/** Highest argument index of ctx.arg(n) (MAX_BPF_FUNC_ARGS is 12; the TS type allows 0..5). */
const MAX_ARG = 11;

/** `ctx.<method>(...)` for tracing contexts, or undefined when `method` is not one of them here. */
export function tracingCtxCall(L: Lowerer, method: string, node: ts.CallExpression): Val | undefined {
  if (L.ctxKind === 'bpf_raw_tracepoint_args' && method === 'arg') {
    const a = node.arguments[0];
    const v = a && node.arguments.length === 1 ? lowerExpr(L, a) : undefined;
    if (!v || v.kind !== 'lit' || v.value < 0n || v.value > BigInt(MAX_ARG)) {
      return L.fail('LK3003', `ctx.arg(n) takes a constant index 0..${MAX_ARG}`, a ?? node);
    }
    const dst = L.b.vreg(INT.u64);
    L.b.emit({ op: 'load', dst, base: L.b.ctx, off: Number(v.value) * 8, ty: INT.u64, pos: L.pos(node) });
    return { kind: 'val', op: reg(dst), ty: INT.u64 };
  }
  if (L.ctxKind === 'trace_event_raw' && method === 'args') {
    const a = node.arguments[0];
    const l = a && node.arguments.length === 1 ? layoutOfExpr(L.checker, a) : undefined;
    if (!l || l.kind !== 'struct') return L.fail('LK3010', 'ctx.args(T) takes a struct() layout of the event record', a ?? node);
    // The record is the ctx itself: its fields are plain ctx loads (any offset inside the record).
    const dst = L.b.vreg(ptr('ctx', l));
    L.b.emit({ op: 'copy', dst, src: reg(L.b.ctx), pos: L.pos(node) });
    return { kind: 'val', op: reg(dst), ty: dst.ty };
  }
  if (L.ctxKind === 'trace_event_raw' && method === 'dataLocString') return dataLocString(L, node);
  return undefined;
}

/**
 * `ctx.dataLocString(loc, buf)`: a `__data_loc` field holds the string's offset
 * from the record start (low 16 bits) and its length (high 16 bits); the C idiom
 * `bpf_probe_read_kernel_str(&buf, sizeof(buf), (void *)ctx + (loc & 0xffff))`.
 * Returns the bytes copied including the NUL, or a negative errno.
 */
function dataLocString(L: Lowerer, node: ts.CallExpression): Val {
  const [locArg, bufArg] = node.arguments;
  if (!locArg || !bufArg || node.arguments.length !== 2) return L.fail('LK1001', 'ctx.dataLocString(loc, buf) takes the __data_loc field and a byte array', node);
  const helper = 'bpf_probe_read_kernel_str';
  checkGplHelper(L, helper, node);
  const pos = L.pos(node);
  const loc = L.operand(lowerExpr(L, locArg, INT.u32), INT.u32, locArg).op;
  const buf = bufferArg(L, bufArg);
  const off = L.b.vreg(INT.u32);
  L.b.emit({ op: 'bin', dst: off, bin: 'and', a: loc, b: konst(0xffffn, INT.u32), ty: INT.u32, pos });
  // ctx + scalar is a pointer the helper only reads through (an ARG_ANYTHING address).
  const src = L.b.vreg(ptr('ctx'));
  L.b.emit({ op: 'ptradd', dst: src, base: L.b.ctx, off: reg(off), pos });
  const dst = L.b.vreg(INT.i64);
  L.b.emit({ op: 'call', dst, helper: helperId(helper)!, args: [buf.p, konst(BigInt(buf.size), INT.u32), reg(src)], pos });
  return { kind: 'val', op: reg(dst), ty: INT.i64 };
}
