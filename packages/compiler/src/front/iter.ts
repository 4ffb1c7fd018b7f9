// Iterator contexts (`iter('task', fn)`, struct bpf_iter__task; `iterSkStorage(fn)`,
// struct bpf_iter__bpf_sk_storage_map). `ctx.task` is a plain ctx field
// (front/context-fields.ts); these go through `meta`, a kernel pointer the
// verifier lets the program dereference (PTR_TO_BTF_ID):
//   ctx.seqNum              → ctx->meta->seq_num
//   ctx.seqWrite(T, value)  → bpf_seq_write(ctx->meta->seq, &value, sizeof(T))
//   ctx.value(map)          → ctx->value (sk storage iterators: a buffer of the map's value size, or NULL)
//
// @example if (ctx.task !== 0n) ctx.seqWrite(u64, ctx.seqNum);
import ts from 'typescript';
import { helperId } from '@lockne/obj';
import { konst, reg, type Operand, type VReg } from '../ir/ir.js';
import { INT, layoutAlign, layoutSize, ptr } from '../ir/types.js';
import { checkGplHelper } from './gpl.js';
import { layoutOfExpr } from './layout.js';
import type { Lowerer, Val } from './lower.js';
import { lowerExpr } from './expressions.js';
import { aggregate } from './memory.js';

/** struct bpf_iter_meta: seq (0), session_id (8), seq_num (16). */
const META = { seq: 0, seqNum: 16 } as const;
/** struct bpf_iter__bpf_sk_storage_map: meta (0), map (8), sk (16), value (24). */
const SK_STORAGE_VALUE = 24;

const isIter = (L: Lowerer): boolean => L.ctxKind === 'bpf_iter_task' || L.ctxKind === 'bpf_iter_sk_storage_map';

function meta(L: Lowerer, node: ts.Node): VReg {
  const m = L.b.vreg(ptr('ctx'));
  L.b.emit({ op: 'load', dst: m, base: L.b.ctx, off: 0, ty: INT.u64, pos: L.pos(node) });
  return m;
}

/** `ctx.seqNum`, or undefined for other properties. */
export function iterCtxProperty(L: Lowerer, name: string, node: ts.Node): Val | undefined {
  if (!isIter(L) || name !== 'seqNum') return undefined;
  const dst = L.b.vreg(INT.u64);
  L.b.emit({ op: 'load', dst, base: meta(L, node), off: META.seqNum, ty: INT.u64, pos: L.pos(node) });
  return { kind: 'val', op: reg(dst), ty: INT.u64 };
}

/** `ctx.seqWrite(T, value)`, or undefined for other methods. */
export function iterCtxCall(L: Lowerer, method: string, node: ts.CallExpression): Val | undefined {
  if (L.ctxKind === 'bpf_iter_sk_storage_map' && method === 'value') return storageValue(L, node);
  if (!isIter(L) || method !== 'seqWrite') return undefined;
  const [tArg, vArg] = node.arguments;
  const l = tArg && vArg && node.arguments.length === 2 ? layoutOfExpr(L.checker, tArg) : undefined;
  if (!l) return L.fail('LK3010', 'ctx.seqWrite(T, value) takes a layout (an integer width, struct() or array()) and a value of it', tArg ?? node);
  const helper = 'bpf_seq_write';
  checkGplHelper(L, helper, node);
  const pos = L.pos(node);
  let data: Operand;
  if (l.kind === 'int') {
    // An integer goes through a stack slot of its width.
    const slot = L.b.vreg(ptr('stack', l));
    L.b.emit({ op: 'slot', dst: slot, size: layoutSize(l), align: Math.max(layoutAlign(l), 8), pos });
    L.b.emit({ op: 'store', base: slot, off: 0, value: L.operand(lowerExpr(L, vArg!, l), l, vArg!).op, ty: l, pos });
    data = reg(slot);
  } else {
    data = aggregate(L, vArg!, l);
  }
  const seq = L.b.vreg(ptr('ctx'));
  L.b.emit({ op: 'load', dst: seq, base: meta(L, node), off: META.seq, ty: INT.u64, pos });
  const dst = L.b.vreg(INT.i64);
  L.b.emit({ op: 'call', dst, helper: helperId(helper)!, args: [reg(seq), data, konst(BigInt(layoutSize(l)), INT.u32)], pos });
  return { kind: 'val', op: reg(dst), ty: INT.i64 };
}

/**
 * `ctx.value(map)`: the socket's value, typed as `map`'s (the verifier knows it as a
 * read-write buffer of the attached map's value size, or NULL at the final call).
 */
function storageValue(L: Lowerer, node: ts.CallExpression): Val {
  const arg = node.arguments[0];
  const m = arg && node.arguments.length === 1 ? lowerExpr(L, arg, INT.u64) : undefined;
  if (!m || m.kind !== 'map' || m.map.kind !== 'skStorage') {
    return L.fail('LK3010', 'ctx.value(map) takes the SkStorage map the iterator is attached with', arg ?? node);
  }
  const dst = L.b.vreg(ptr('map_value_or_null', m.map.value));
  L.b.emit({ op: 'load', dst, base: L.b.ctx, off: SK_STORAGE_VALUE, ty: INT.u64, pos: L.pos(node) });
  return { kind: 'val', op: reg(dst), ty: dst.ty };
}
