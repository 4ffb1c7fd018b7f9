// Ring buffer records written in place: `reserve(T)` → bpf_ringbuf_reserve(&rb,
// sizeof(T), 0), a Ref<T> | null to fill through `.value`; `submit(r, flags?)` /
// `discard(r, flags?)` publish or drop it. The verifier insists that every
// reserved record is submitted or discarded on every path ("Unreleased reference").
//
// @example
// const e = events.reserve(Event);
// if (e !== null) { e.value.pid = pid; events.submit(e); }
import ts from 'typescript';
import { helperId } from '@lockne/obj';
import { konst, reg, type MapRef } from '../ir/ir.js';
import { INT, layoutSize, nullable, ptr } from '../ir/types.js';
import { layoutOfExpr } from './layout.js';
import type { Lowerer, Val } from './lower.js';
import { lowerExpr } from './expressions.js';

const RESERVE = helperId('bpf_ringbuf_reserve')!;
const SUBMIT = helperId('bpf_ringbuf_submit')!;
const DISCARD = helperId('bpf_ringbuf_discard')!;

/** `rb.reserve/submit/discard(...)`, or undefined for other methods. */
export function ringbufCall(L: Lowerer, map: MapRef, method: string, node: ts.CallExpression): Val | undefined {
  const args = node.arguments;
  const pos = L.pos(node);
  if (method === 'reserve') {
    const l = args.length === 1 ? layoutOfExpr(L.checker, args[0]!) : undefined;
    if (!l) return L.fail('LK3010', `${map.name}.reserve(T) takes a layout (struct(), array() or an integer width)`, args[0] ?? node);
    if (layoutSize(l) > map.maxEntries / 2) return L.fail('LK3010', `a ${l.name} record (${layoutSize(l)} bytes) does not fit ring buffer '${map.name}' (${map.maxEntries} bytes)`, args[0]!);
    const dst = L.b.vreg(ptr('map_value_or_null', l));
    L.b.emit({ op: 'mapCall', dst, helper: RESERVE, map, args: [konst(BigInt(layoutSize(l)), INT.u64), konst(0n, INT.u64)], pos });
    return { kind: 'val', op: reg(dst), ty: dst.ty };
  }
  if (method === 'submit' || method === 'discard') {
    if (args.length < 1 || args.length > 2) return L.fail('LK1001', `${map.name}.${method}(record, flags?) takes the reserved record`, node);
    const r = lowerExpr(L, args[0]!);
    if (r.kind !== 'val' || r.ty.kind !== 'ptr' || r.op.kind !== 'reg' || (r.ty.ptr !== 'map_value' && r.ty.ptr !== 'map_value_or_null')) {
      return L.fail('LK3010', `${map.name}.${method}() takes the record ${map.name}.reserve() returned`, args[0]!);
    }
    if (nullable(r.ty.ptr) && !L.narrowed.has(r.op.reg.id)) L.fail('LK3001', `'${args[0]!.getText()}' may be null: check it before ${method}()`, args[0]!);
    const flags = args[1] ? L.operand(lowerExpr(L, args[1], INT.u64), INT.u64, args[1]).op : konst(0n, INT.u64);
    L.b.emit({ op: 'call', dst: null, helper: method === 'submit' ? SUBMIT : DISCARD, args: [r.op, flags], pos });
    return { kind: 'val', op: konst(0n, INT.i32), ty: INT.i32 };
  }
  return undefined;
}
