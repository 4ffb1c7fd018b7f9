// Socket local storage (SkStorage, BPF_MAP_TYPE_SK_STORAGE): a value per socket,
// freed with it. `get(owner, flags?)` → bpf_sk_storage_get(&map, sk, NULL, flags),
// a Ref<V> | null; `delete(owner)` → bpf_sk_storage_delete(&map, sk). The socket
// comes from the program's context: cgroup sock programs pass the context itself
// (the kernel's cg_sock proto takes it), sock_addr and sockopt programs their
// `ctx->sk`. skb programs would need bpf_sk_fullsock first (LK6001).
//
// @example
// export const perSock = new SkStorage<u64>({ value: u64 });
// cgroupSock('sock_create', (ctx) => { const v = perSock.get(ctx, StorageFlag.CREATE); if (v !== null) v.value = bpf.ktimeGetNs(); return CgroupVerdict.ALLOW; });
import ts from 'typescript';
import { helperId } from '@lockne/obj';
import { konst, reg, type MapRef, type Operand } from '../ir/ir.js';
import { INT, ptr } from '../ir/types.js';
import type { Lowerer, Val } from './lower.js';
import { isCtx, lowerExpr } from './expressions.js';

const GET = helperId('bpf_sk_storage_get')!;
const DELETE = helperId('bpf_sk_storage_delete')!;
/** Where struct bpf_sock_addr / bpf_sockopt keep `struct bpf_sock *sk` (8-byte loads). */
const SK_FIELD: Partial<Record<string, number>> = { bpf_sock_addr: 64, bpf_sockopt: 0 };

function unwrap(node: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) node = node.expression;
  return node;
}

/** The socket argument for `owner` (the program's ctx, or `ctx.sk`). */
function socketOf(L: Lowerer, owner: ts.Expression): Operand {
  const e = unwrap(owner);
  const isCtxId = ts.isIdentifier(e) && isCtx(L, e);
  const isCtxSk = ts.isPropertyAccessExpression(e) && e.name.text === 'sk' && ts.isIdentifier(unwrap(e.expression)) && isCtx(L, unwrap(e.expression) as ts.Identifier);
  if (!isCtxId && !isCtxSk) return L.fail('LK6001', `the socket of SkStorage must be the program's ctx (or ctx.sk), not '${owner.getText()}'`, owner);
  if (L.ctxKind === 'bpf_sock' && isCtxId) return reg(L.b.ctx);
  const off = SK_FIELD[L.ctxKind];
  if (off === undefined) {
    return L.fail('LK6001', `SkStorage needs a full socket: cgroupSock, cgroupSockAddr or cgroupSockopt programs (not ${L.ctxKind})`, owner);
  }
  const sk = L.b.vreg(ptr('sock'));
  L.b.emit({ op: 'load', dst: sk, base: L.b.ctx, off, ty: INT.u64, pos: L.pos(owner) });
  return reg(sk);
}

/** `perSock.get(ctx, flags?)` / `perSock.delete(ctx)`. */
export function skStorageCall(L: Lowerer, map: MapRef, method: string, node: ts.CallExpression): Val {
  const args = node.arguments;
  const pos = L.pos(node);
  if (method === 'get' && (args.length === 1 || args.length === 2)) {
    const sk = socketOf(L, args[0]!);
    const flags = args[1] ? L.operand(lowerExpr(L, args[1], INT.u64), INT.u64, args[1]).op : konst(0n, INT.u64);
    const dst = L.b.vreg(ptr('map_value_or_null', map.value));
    L.b.emit({ op: 'mapCall', dst, helper: GET, map, args: [sk, konst(0n, INT.u64), flags], pos });
    return { kind: 'val', op: reg(dst), ty: dst.ty };
  }
  if (method === 'delete' && args.length === 1) {
    const sk = socketOf(L, args[0]!);
    const dst = L.b.vreg(INT.i64);
    L.b.emit({ op: 'mapCall', dst, helper: DELETE, map, args: [sk], pos });
    return { kind: 'val', op: reg(dst), ty: INT.i64 };
  }
  return L.fail('LK6001', `SkStorage '${map.name}': only get(ctx, flags?) and delete(ctx) are supported`, node);
}
