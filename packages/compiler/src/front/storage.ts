// Socket local storage (SkStorage, BPF_MAP_TYPE_SK_STORAGE): a value per socket,
// freed with it. `get(owner, flags?)` → bpf_sk_storage_get(&map, sk, NULL, flags),
// a Ref<V> | null; `delete(owner)` → bpf_sk_storage_delete(&map, sk). The socket
// comes from the program's context: cgroup sock programs pass the context itself
// (the kernel's cg_sock proto takes it), sock_addr and sockopt programs their
// `ctx->sk`, cgroup_skb programs `skb->sk`. That one may be NULL (the verifier
// types it sock_common_or_null), so it is tested first and a missing socket reads
// as no value; the helper itself gives NULL for a socket that is not a full one
// (time-wait, request socks), so no bpf_sk_fullsock call is needed.
//
// @example
// export const perSock = new SkStorage<u64>({ value: u64 });
// cgroupSock('sock_create', (ctx) => { const v = perSock.get(ctx, StorageFlag.CREATE); if (v !== null) v.value = bpf.ktimeGetNs(); return CgroupVerdict.ALLOW; });
import ts from 'typescript';
import { helperId } from '@lockne/obj';
import { konst, reg, type MapRef, type Operand, type VReg } from '../ir/ir.js';
import { INT, ptr } from '../ir/types.js';
import type { Lowerer, Val } from './lower.js';
import { isCtx, lowerExpr } from './expressions.js';

const GET = helperId('bpf_sk_storage_get')!;
const DELETE = helperId('bpf_sk_storage_delete')!;
/** Where struct bpf_sock_addr / bpf_sockopt keep `struct bpf_sock *sk` (8-byte loads). */
const SK_FIELD: Partial<Record<string, number>> = { bpf_sock_addr: 64, bpf_sockopt: 0 };
/** `struct bpf_sock *sk` in struct __sk_buff (a __bpf_md_ptr: NULL when the skb has no socket). */
const SKB_SK = 168;

function unwrap(node: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) node = node.expression;
  return node;
}

/** The socket argument for `owner` (the program's ctx, or `ctx.sk`); `nullable` when it may be NULL. */
function socketOf(L: Lowerer, owner: ts.Expression): { sk: Operand; nullable: boolean } {
  const e = unwrap(owner);
  const isCtxId = ts.isIdentifier(e) && isCtx(L, e);
  const isCtxSk = ts.isPropertyAccessExpression(e) && e.name.text === 'sk' && ts.isIdentifier(unwrap(e.expression)) && isCtx(L, unwrap(e.expression) as ts.Identifier);
  if (!isCtxId && !isCtxSk) return L.fail('LK6001', `the socket of SkStorage must be the program's ctx (or ctx.sk), not '${owner.getText()}'`, owner);
  if (L.ctxKind === 'bpf_sock' && isCtxId) return { sk: reg(L.b.ctx), nullable: false };
  const skb = L.ctxKind === '__sk_buff' && L.programKind === 'cgroupSkb';
  const off = skb ? SKB_SK : SK_FIELD[L.ctxKind];
  if (off === undefined) {
    return L.fail('LK6001', `SkStorage needs a socket: cgroupSock, cgroupSockAddr, cgroupSockopt or cgroupSkb programs (not ${L.programKind || L.ctxKind})`, owner);
  }
  const sk = L.b.vreg(ptr('sock'));
  L.b.emit({ op: 'load', dst: sk, base: L.b.ctx, off, ty: INT.u64, pos: L.pos(owner) });
  return { sk: reg(sk), nullable: skb };
}

/** `dst = sk ? helper(map, sk, ...rest) : 0`: skb->sk is NULL for packets without a socket. */
function callOnSocket(L: Lowerer, map: MapRef, helper: number, sk: { sk: Operand; nullable: boolean }, rest: Operand[], dst: VReg, node: ts.Node): void {
  const pos = L.pos(node);
  if (!sk.nullable) {
    L.b.emit({ op: 'mapCall', dst, helper, map, args: [sk.sk, ...rest], pos });
    return;
  }
  const call = L.b.newBlock();
  const join = L.b.newBlock();
  L.b.emit({ op: 'copy', dst, src: konst(0n, INT.u64), pos });
  L.b.terminate({ op: 'cbr', cond: 'eq', a: sk.sk, b: konst(0n, INT.u64), ty: INT.u64, t: join, f: call, pos });
  L.b.setBlock(call);
  L.b.emit({ op: 'mapCall', dst, helper, map, args: [sk.sk, ...rest], pos });
  L.b.terminate({ op: 'br', target: join, pos });
  L.b.setBlock(join);
}

/** `perSock.get(ctx, flags?)` / `perSock.delete(ctx)`. */
export function skStorageCall(L: Lowerer, map: MapRef, method: string, node: ts.CallExpression): Val {
  const args = node.arguments;
  if (method === 'get' && (args.length === 1 || args.length === 2)) {
    const sk = socketOf(L, args[0]!);
    const flags = args[1] ? L.operand(lowerExpr(L, args[1], INT.u64), INT.u64, args[1]).op : konst(0n, INT.u64);
    const dst = L.b.vreg(ptr('map_value_or_null', map.value));
    callOnSocket(L, map, GET, sk, [konst(0n, INT.u64), flags], dst, node);
    return { kind: 'val', op: reg(dst), ty: dst.ty };
  }
  if (method === 'delete' && args.length === 1) {
    // The kernel gives cgroup sock programs bpf_sk_storage_get only (sock_filter_func_proto).
    if (L.ctxKind === 'bpf_sock') return L.fail('LK6001', `SkStorage '${map.name}'.delete is not available in cgroupSock programs (the kernel offers them get only)`, node);
    const sk = socketOf(L, args[0]!);
    const dst = L.b.vreg(INT.i64);
    callOnSocket(L, map, DELETE, sk, [], dst, node);
    return { kind: 'val', op: reg(dst), ty: INT.i64 };
  }
  return L.fail('LK6001', `SkStorage '${map.name}': only get(ctx, flags?) and delete(ctx) are supported`, node);
}
