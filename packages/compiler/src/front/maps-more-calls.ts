// Kernel-side methods of the maps in front/maps-more.ts:
//   q.push(v, flags?)          → bpf_map_push_elem(&q, &v, flags)
//   q.pop() / q.peek()         → bpf_map_pop/peek_elem(&q, &slot): a Ref to the stack copy, null when empty
//   bloom.push(v) / bloom.has(v) → bpf_map_push_elem / bpf_map_peek_elem(...) == 0
//   devs.redirect(key, flags?) → bpf_redirect_map(&devs, key, flags)   (XDP; low flag bits: fallback action)
//   outer.lookup(k)            → bpf_map_lookup_elem(&outer, &k): the inner map or null
//   inner.lookup/update/delete → the same helpers with R1 = the inner map pointer
//   storage.get()              → bpf_get_local_storage(&storage, 0)
//   stacks.getStackId(ctx, f)  → bpf_get_stackid(ctx, &stacks, f)
//   socks.redirect(msg, k, f)  → bpf_msg_redirect_map / _hash(msg, &socks, k, f)   (sk_msg)
//   socks.update(ops, k, f)    → bpf_sock_map_update / bpf_sock_hash_update(ops, &socks, &k, f)   (sockops)
//   groups.underCgroup(skb, i) → bpf_skb_under_cgroup(skb, &groups, i)
//   groups.currentTaskUnder(i) → bpf_current_task_under_cgroup(&groups, i)
// Helpers whose map is not the first argument get the map's address from an
// LD_IMM64 (the `globalAddr` op naming the map: the relocation is a map's).
//
// @example
// const j = jobs.pop(); if (j !== null) total += j.value;
import ts from 'typescript';
import { helperId } from '@lockne/obj';
import { konst, reg, type MapRef, type Operand, type VReg } from '../ir/ir.js';
import { BOOL, INT, layoutAlign, layoutSize, nullable, ptr, type Layout } from '../ir/types.js';
import type { Lowerer, Val } from './lower.js';
import { isCtx, lowerExpr } from './expressions.js';
import { aggregate } from './memory.js';
import { innerMapOf } from './maps-more.js';

const H = (name: string): number => helperId(name)!;

function unwrap(node: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) node = node.expression;
  return node;
}

/** `e` written into a stack slot of layout `l` (integers stored, structs built in place): its address. */
function inSlot(L: Lowerer, e: ts.Expression, l: Layout): Operand {
  if (l.kind !== 'int') return aggregate(L, e, l);
  const slot = L.b.vreg(ptr('stack', l));
  const pos = L.pos(e);
  L.b.emit({ op: 'slot', dst: slot, size: layoutSize(l), align: Math.max(layoutAlign(l), 8), pos });
  L.b.emit({ op: 'store', base: slot, off: 0, value: L.operand(lowerExpr(L, e, l), l, e).op, ty: l, pos });
  return reg(slot);
}

function u64Arg(L: Lowerer, e: ts.Expression | undefined): Operand {
  return e ? L.operand(lowerExpr(L, e, INT.u64), INT.u64, e).op : konst(0n, INT.u64);
}

/** The program's ctx, insisted on for helpers that take it (`what` names the call). */
function ctxArg(L: Lowerer, e: ts.Expression | undefined, what: string, node: ts.Node): Operand {
  const c = e && unwrap(e);
  if (!c || !ts.isIdentifier(c) || !isCtx(L, c)) return L.fail('LK6001', `${what} takes the program's ctx as its first argument`, e ?? node);
  return reg(L.b.ctx);
}

/** The map's address in a register (LD_IMM64 relocated to the map). */
function mapAddr(L: Lowerer, map: MapRef, node: ts.Node): Operand {
  const p = L.b.vreg(ptr('ctx'));
  L.b.emit({ op: 'globalAddr', dst: p, global: map.name, pos: L.pos(node) });
  return reg(p);
}

function call(L: Lowerer, helper: number, args: Operand[], ty: import('../ir/types.js').Ty, node: ts.Node, map?: MapRef): VReg {
  const dst = L.b.vreg(ty);
  if (map) L.b.emit({ op: 'mapCall', dst, helper, map, args, pos: L.pos(node) });
  else L.b.emit({ op: 'call', dst, helper, args, pos: L.pos(node) });
  return dst;
}

/** `dst = ret == 0 ? ok : alt` (alt a constant). */
function select(L: Lowerer, ret: VReg, ok: Operand, alt: Operand, dst: VReg, node: ts.Node): void {
  const pos = L.pos(node);
  const set = L.b.newBlock();
  const join = L.b.newBlock();
  L.b.emit({ op: 'copy', dst, src: alt, pos });
  L.b.terminate({ op: 'cbr', cond: 'ne', a: reg(ret), b: konst(0n, INT.i64), ty: INT.i64, t: join, f: set, pos });
  L.b.setBlock(set);
  L.b.emit({ op: 'copy', dst, src: ok, pos });
  L.b.terminate({ op: 'br', target: join, pos });
  L.b.setBlock(join);
}

/** Which program kinds may call a method (the kernel's func_proto lists). */
function needKind(L: Lowerer, kinds: readonly string[], what: string, node: ts.Node): void {
  if (!kinds.includes(L.programKind)) L.fail('LK6001', `${what} is not available in ${L.programKind || L.ctxKind} programs (only ${kinds.join(', ')})`, node);
}

const CGROUP_KINDS = ['cgroupSkb', 'cgroupSock', 'cgroupSockAddr', 'cgroupSockopt', 'cgroupSysctl', 'cgroupDevice', 'sockOps'];

/** A method of a map declared by front/maps-more.ts (className in MORE_MAPS). */
export function moreMapCall(L: Lowerer, map: MapRef, method: string, node: ts.CallExpression): Val {
  const args = node.arguments;
  const cls = map.className!;
  const i64 = (v: VReg): Val => ({ kind: 'val', op: reg(v), ty: v.ty });
  const sig = `${cls} '${map.name}'.${method}`;
  switch (`${cls}.${method}`) {
    case 'QueueMap.push': case 'StackMap.push': case 'BloomFilter.push': {
      if (args.length < 1 || args.length > (cls === 'BloomFilter' ? 1 : 2)) break;
      const v = inSlot(L, args[0]!, map.value);
      return i64(call(L, H('bpf_map_push_elem'), [v, u64Arg(L, args[1])], INT.i64, node, map));
    }
    case 'QueueMap.pop': case 'StackMap.pop': case 'QueueMap.peek': case 'StackMap.peek': {
      if (args.length !== 0) break;
      const slot = L.b.vreg(ptr('stack', map.value));
      L.b.emit({ op: 'slot', dst: slot, size: layoutSize(map.value), align: Math.max(layoutAlign(map.value), 8), pos: L.pos(node) });
      const ret = call(L, H(method === 'pop' ? 'bpf_map_pop_elem' : 'bpf_map_peek_elem'), [reg(slot)], INT.i64, node, map);
      // A nullable pointer like lookup's: the stack copy when the helper filled it, else null.
      const dst = L.b.vreg(ptr('map_value_or_null', map.value));
      select(L, ret, reg(slot), konst(0n, INT.u64), dst, node);
      return { kind: 'val', op: reg(dst), ty: dst.ty };
    }
    case 'BloomFilter.has': {
      if (args.length !== 1) break;
      const v = inSlot(L, args[0]!, map.value);
      const ret = call(L, H('bpf_map_peek_elem'), [v], INT.i64, node, map);
      const dst = L.b.vreg(BOOL);
      select(L, ret, konst(1n, BOOL), konst(0n, BOOL), dst, node);
      return { kind: 'val', op: reg(dst), ty: BOOL };
    }
    case 'DevMap.redirect': case 'DevMapHash.redirect': case 'CpuMap.redirect': case 'XskMap.redirect': {
      if (args.length < 1 || args.length > 2) break;
      needKind(L, ['xdp'], sig, node);
      const key = L.operand(lowerExpr(L, args[0]!, INT.u32), INT.u32, args[0]!).op;
      return i64(call(L, H('bpf_redirect_map'), [key, u64Arg(L, args[1])], INT.i32, node, map));
    }
    case 'ArrayOfMaps.lookup': case 'HashOfMaps.lookup': {
      if (args.length !== 1) break;
      const key = map.key.kind === 'int' ? L.operand(lowerExpr(L, args[0]!, map.key), map.key, args[0]!).op : aggregate(L, args[0]!, map.key);
      const dst = L.b.vreg(ptr('map_value_or_null', map.value));
      L.b.emit({ op: 'lookup', dst, map, key, pos: L.pos(node) });
      return { kind: 'val', op: reg(dst), ty: dst.ty };
    }
    case 'CgroupStorage.get': case 'PerCpuCgroupStorage.get': {
      if (args.length !== 0) break;
      needKind(L, CGROUP_KINDS, sig, node);
      // Never NULL: the verifier types the result as the map's value.
      const dst = call(L, H('bpf_get_local_storage'), [konst(0n, INT.u64)], ptr('map_value', map.value), node, map);
      return { kind: 'val', op: reg(dst), ty: dst.ty };
    }
    case 'StackTrace.getStackId': {
      if (args.length < 1 || args.length > 2) break;
      needKind(L, ['tracepoint', 'rawTracepoint', 'tpBtf', 'fentry', 'fexit'], sig, node);
      const ctx = ctxArg(L, args[0], sig, node);
      return i64(call(L, H('bpf_get_stackid'), [ctx, mapAddr(L, map, node), u64Arg(L, args[1])], INT.i64, node));
    }
    case 'SockMap.redirect': case 'SockHash.redirect': {
      if (args.length < 2 || args.length > 3) break;
      needKind(L, ['skMsg'], sig, node);
      const ctx = ctxArg(L, args[0], sig, node);
      const hash = cls === 'SockHash';
      const key = hash ? inSlot(L, args[1]!, map.key) : L.operand(lowerExpr(L, args[1]!, INT.u32), INT.u32, args[1]!).op;
      const helper = H(hash ? 'bpf_msg_redirect_hash' : 'bpf_msg_redirect_map');
      return i64(call(L, helper, [ctx, mapAddr(L, map, node), key, u64Arg(L, args[2])], INT.i32, node));
    }
    case 'SockMap.update': case 'SockHash.update': {
      if (args.length < 2 || args.length > 3) break;
      needKind(L, ['sockOps'], sig, node);
      const ctx = ctxArg(L, args[0], sig, node);
      const key = inSlot(L, args[1]!, map.key);
      const helper = H(cls === 'SockHash' ? 'bpf_sock_hash_update' : 'bpf_sock_map_update');
      return i64(call(L, helper, [ctx, mapAddr(L, map, node), key, u64Arg(L, args[2])], INT.i64, node));
    }
    case 'CgroupArray.underCgroup': {
      if (args.length !== 2) break;
      needKind(L, ['tc', 'tcx', 'socketFilter', 'cgroupSkb'], sig, node);
      const ctx = ctxArg(L, args[0], sig, node);
      const index = L.operand(lowerExpr(L, args[1]!, INT.u32), INT.u32, args[1]!).op;
      return i64(call(L, H('bpf_skb_under_cgroup'), [ctx, mapAddr(L, map, node), index], INT.i64, node));
    }
    case 'CgroupArray.currentTaskUnder': {
      if (args.length !== 1) break;
      const index = L.operand(lowerExpr(L, args[0]!, INT.u32), INT.u32, args[0]!).op;
      return i64(call(L, H('bpf_current_task_under_cgroup'), [index], INT.i64, node, map));
    }
    case 'UserRingBuf.drain':
      return L.fail('LK6001', `${sig}(): bpf_user_ringbuf_drain (a callback over dynptrs) is not compiled by this version; the map loads and userspace can fill it`, node);
    case 'Arena.allocPages':
      return L.fail('LK6001', `${sig}(): arena kfuncs and arena pointers are not compiled by this version; the map loads and userspace can mmap it`, node);
  }
  return L.fail('LK6001', `${sig}() with ${args.length} argument(s) is not supported`, node);
}

/**
 * `inner.lookup/update/delete(...)` on a map a map of maps' lookup returned
 * (`recv`): the helpers with R1 = that pointer. Undefined when `recv` is not one.
 */
export function innerMapCall(L: Lowerer, recv: Val, method: string, node: ts.CallExpression): Val | undefined {
  if (recv.kind !== 'val' || recv.ty.kind !== 'ptr' || recv.op.kind !== 'reg') return undefined;
  const inner = innerMapOf(recv.ty.pointee);
  if (!inner) return undefined;
  const recvExpr = (node.expression as ts.PropertyAccessExpression).expression;
  if (nullable(recv.ty.ptr) && !L.narrowed.has(recv.op.reg.id)) {
    return L.fail('LK3001', `'${recvExpr.getText()}' may be null: check it (if (${recvExpr.getText()} !== null)) before ${method}()`, recvExpr);
  }
  const args = node.arguments;
  const m = recv.op;
  const what = `inner map '${recvExpr.getText()}' (${inner.className})`;
  const keyed = inner.kind === 'hash' || inner.kind === 'array';
  if (!keyed) return L.fail('LK6001', `${what}: only hash, array and LPM trie inner maps have methods in this version`, node);
  if (method === 'lookup' && args.length === 1) {
    const dst = call(L, H('bpf_map_lookup_elem'), [m, inSlot(L, args[0]!, inner.key)], ptr('map_value_or_null', inner.value), node);
    return { kind: 'val', op: reg(dst), ty: dst.ty };
  }
  if (method === 'update' && (args.length === 2 || args.length === 3)) {
    const k = inSlot(L, args[0]!, inner.key);
    const v = inSlot(L, args[1]!, inner.value);
    const dst = call(L, H('bpf_map_update_elem'), [m, k, v, u64Arg(L, args[2])], INT.i64, node);
    return { kind: 'val', op: reg(dst), ty: INT.i64 };
  }
  if (method === 'delete' && args.length === 1 && inner.kind === 'hash') {
    const dst = call(L, H('bpf_map_delete_elem'), [m, inSlot(L, args[0]!, inner.key)], INT.i64, node);
    return { kind: 'val', op: reg(dst), ty: INT.i64 };
  }
  return L.fail('LK6001', `${what}: ${method}() with ${args.length} argument(s) is not supported (lookup, update, delete)`, node);
}
