// Context methods that read, write, resize or redirect the packet through
// helpers (the direct access is ctx.header(), memory.ts):
//   skb programs (tc, tcx, cgroupSkb, socketFilter):
//     ctx.loadBytes(T, off)                 → bpf_skb_load_bytes(skb, off, &slot, sizeof(T)), slot or null
//   tc / tcx:
//     ctx.storeBytes(T, off, value, flags?) → bpf_skb_store_bytes(skb, off, &value, sizeof(T), flags)
//     ctx.pullData(len)                     → bpf_skb_pull_data(skb, len)
//     ctx.redirect(ifindex, flags?)         → bpf_redirect(ifindex, flags)
//     ctx.l3CsumReplace(off, from, to, size)  → bpf_l3_csum_replace(skb, off, from, to, size)
//     ctx.l4CsumReplace(off, from, to, flags) → bpf_l4_csum_replace(skb, off, from, to, flags)
//     ctx.adjustRoom(lenDiff, mode, flags?) → bpf_skb_adjust_room(skb, lenDiff, mode, flags)
//   xdp:
//     ctx.adjustHead/adjustTail/adjustMeta(delta) → bpf_xdp_adjust_head/tail/meta(xdp, delta)
// Every helper here but loadBytes and redirect can move packet data: header
// views taken before the call are stale after it (packet-stale.ts, LK3002).
//
// @example
//   const ip = ctx.header(Ipv4Hdr, 14); if (ip === null) return TcAction.OK;
//   const old = ip.daddr, now = htonl(0x0a000003);
//   ctx.l4CsumReplace(14 + 20 + 16, old, now, CsumFlag.PSEUDO_HDR | 4); // TCP checksum
//   ctx.l3CsumReplace(14 + 10, old, now, 4);                            // IPv4 header checksum
//   ctx.storeBytes(u32, 14 + 16, now);                                   // the address itself
import ts from 'typescript';
import { helperId } from '@lockne/obj';
import { METHOD_BINDINGS } from '@lockne/kernel';
import { konst, reg, type Operand } from '../ir/ir.js';
import { INT, layoutAlign, layoutSize, ptr, type IntTy } from '../ir/types.js';
import { layoutOfExpr } from './layout.js';
import type { Lowerer, Val } from './lower.js';
import { lowerExpr } from './expressions.js';
import { aggregate } from './memory.js';
import { notePacketMove } from './packet-stale.js';

type Where = 'skb' | 'tc' | 'xdp';

/** Each method: its METHOD_BINDINGS key, who may call it, the argument count range. */
const METHODS: Readonly<Record<string, { binding: keyof typeof METHOD_BINDINGS; where: Where; args: [number, number] }>> = {
  loadBytes: { binding: 'SkBuffContext.loadBytes', where: 'skb', args: [2, 2] },
  storeBytes: { binding: 'TcContext.storeBytes', where: 'tc', args: [3, 4] },
  pullData: { binding: 'TcContext.pullData', where: 'tc', args: [1, 1] },
  redirect: { binding: 'TcContext.redirect', where: 'tc', args: [1, 2] },
  l3CsumReplace: { binding: 'TcContext.l3CsumReplace', where: 'tc', args: [4, 4] },
  l4CsumReplace: { binding: 'TcContext.l4CsumReplace', where: 'tc', args: [4, 4] },
  adjustRoom: { binding: 'TcContext.adjustRoom', where: 'tc', args: [2, 3] },
  adjustHead: { binding: 'XdpContext.adjustHead', where: 'xdp', args: [1, 1] },
  adjustTail: { binding: 'XdpContext.adjustTail', where: 'xdp', args: [1, 1] },
  adjustMeta: { binding: 'XdpContext.adjustMeta', where: 'xdp', args: [1, 1] },
};

const WHO: Record<Where, string> = { skb: 'skb programs (tc, tcx, cgroupSkb, socketFilter)', tc: 'tc and tcx programs', xdp: 'xdp programs' };

function allowed(L: Lowerer, where: Where): boolean {
  if (where === 'xdp') return L.ctxKind === 'xdp_md';
  if (where === 'skb') return L.ctxKind === '__sk_buff';
  return L.ctxKind === '__sk_buff' && (L.programKind === 'tc' || L.programKind === 'tcx');
}

/** An unsigned integer argument widened (zero-extended) to `to`; literals must fit. */
function unsignedArg(L: Lowerer, e: ts.Expression, to: IntTy, what: string): Operand {
  const v = lowerExpr(L, e, to);
  if (v.kind === 'lit') return L.literal(v.value, to, e);
  const { op, ty } = L.operand(v, undefined, e);
  if (ty.kind !== 'int' || ty.signed) return L.fail('LK2004', `${what} must be an unsigned integer (u8..${to.name}, be16/be32), not ${ty.kind === 'int' ? ty.name : ty.kind}`, e);
  if (ty.bits > to.bits) return L.fail('LK2003', `${what} is a ${ty.name}: it does not fit in ${to.name} implicitly, convert with ${to.name}(x)`, e);
  if (ty.bits === to.bits || op.kind === 'const') return op.kind === 'const' ? konst(op.value, to) : op;
  const dst = L.b.vreg(to);
  L.b.emit({ op: 'convert', dst, src: op, from: ty, to, pos: L.pos(e) });
  return reg(dst);
}

/** A signed 32-bit argument (a length difference or delta). */
function i32Arg(L: Lowerer, e: ts.Expression): Operand {
  return L.operand(lowerExpr(L, e, INT.i32), INT.i32, e).op;
}

function call(L: Lowerer, method: string, args: Operand[], node: ts.CallExpression, rty: IntTy = INT.i64): Val {
  const helper = helperId(METHOD_BINDINGS[METHODS[method]!.binding])!;
  const dst = L.b.vreg(rty);
  L.b.emit({ op: 'call', dst, helper, args, pos: L.pos(node) });
  notePacketMove(L, `ctx.${method}()`);
  return { kind: 'val', op: reg(dst), ty: rty };
}

/**
 * `ctx.loadBytes(T, off)`: a stack copy of T, or null (r0 != 0) when the
 * packet is too short. The result is a stack pointer on the copied path and 0
 * on the other, so `if (h === null)` is the verifier's `r == 0` check.
 */
function loadBytes(L: Lowerer, node: ts.CallExpression): Val {
  const [tArg, offArg] = node.arguments as unknown as [ts.Expression, ts.Expression];
  const l = layoutOfExpr(L.checker, tArg);
  if (!l) return L.fail('LK3010', `'${tArg.getText()}' is not a struct/array layout the compiler can evaluate`, tArg);
  if (l.kind === 'int') return L.fail('LK3010', `ctx.loadBytes() copies a struct or array (a ${l.name} would be a pointer): use struct({ v: ${l.name} }), array(u8, ${l.bits / 8}) or ctx.header(${l.name}, off)`, tArg);
  const off = unsignedArg(L, offArg, INT.u32, 'the offset of ctx.loadBytes()');
  const pos = L.pos(node);
  const slot = L.b.vreg(ptr('stack', l));
  L.b.emit({ op: 'slot', dst: slot, size: layoutSize(l), align: Math.max(layoutAlign(l), 8), pos });
  const r = L.b.vreg(INT.i64);
  L.b.emit({ op: 'call', dst: r, helper: helperId(METHOD_BINDINGS['SkBuffContext.loadBytes'])!, args: [reg(L.b.ctx), off, reg(slot), konst(BigInt(layoutSize(l)), INT.u32)], pos });
  // The IR has no nullable stack pointer kind: `res` is typed 'stack' and holds 0 on the failed path.
  // Jump threading reads a copy of a 'stack' register as non-null, so a null check of a *copy* made
  // where the path is not known could fold away; the verifier would then refuse the load, not run it.
  const res = L.b.vreg(ptr('stack', l));
  const ok = L.b.newBlock();
  const none = L.b.newBlock();
  const join = L.b.newBlock();
  L.b.terminate({ op: 'cbr', cond: 'ne', a: reg(r), b: konst(0n, INT.i64), ty: INT.i64, t: none, f: ok, pos });
  L.b.joinValues(res, [[ok, reg(slot)], [none, konst(0n, res.ty)]], join, pos);
  return { kind: 'val', op: reg(res), ty: res.ty };
}

/** `ctx.<method>(...)` for the packet helpers, or undefined when `method` is not one of them. */
export function packetCtxCall(L: Lowerer, method: string, node: ts.CallExpression): Val | undefined {
  const m = Object.prototype.hasOwnProperty.call(METHODS, method) ? METHODS[method]! : undefined;
  if (!m) return undefined;
  if (!allowed(L, m.where)) {
    return L.fail('LK6001', `ctx.${method}() (${METHOD_BINDINGS[m.binding]}) is for ${WHO[m.where]}, not ${L.programKind || L.ctxKind}`, node);
  }
  const a = node.arguments;
  if (a.length < m.args[0] || a.length > m.args[1]) {
    return L.fail('LK1001', `ctx.${method}() takes ${m.args[0] === m.args[1] ? m.args[0] : `${m.args[0]} to ${m.args[1]}`} arguments, not ${a.length}`, node);
  }
  const ctx = reg(L.b.ctx);
  const u64Or0 = (e: ts.Expression | undefined, what: string): Operand => (e ? unsignedArg(L, e, INT.u64, what) : konst(0n, INT.u64));
  switch (method) {
    case 'loadBytes': return loadBytes(L, node);
    case 'storeBytes': {
      const l = layoutOfExpr(L.checker, a[0]!);
      if (!l) return L.fail('LK3010', `'${a[0]!.getText()}' is not a layout (struct(), array() or an integer width)`, a[0]!);
      const off = unsignedArg(L, a[1]!, INT.u32, 'the offset of ctx.storeBytes()');
      // The helper reads the bytes from the stack: integers and literals get a slot, stack structs are used in place.
      const value = aggregate(L, a[2]!, l);
      const flags = u64Or0(a[3], 'the flags of ctx.storeBytes()');
      return call(L, method, [ctx, off, value, konst(BigInt(layoutSize(l)), INT.u32), flags], node);
    }
    case 'pullData': return call(L, method, [ctx, unsignedArg(L, a[0]!, INT.u32, 'the length of ctx.pullData()')], node);
    case 'redirect': {
      const ifindex = unsignedArg(L, a[0]!, INT.u32, 'the ifindex of ctx.redirect()');
      return call(L, method, [ifindex, u64Or0(a[1], 'the flags of ctx.redirect()')], node, INT.i32);
    }
    case 'l3CsumReplace':
    case 'l4CsumReplace': {
      const off = unsignedArg(L, a[0]!, INT.u32, `the offset of ctx.${method}()`);
      const from = unsignedArg(L, a[1]!, INT.u64, `'from' of ctx.${method}()`);
      const to = unsignedArg(L, a[2]!, INT.u64, `'to' of ctx.${method}()`);
      const flags = unsignedArg(L, a[3]!, INT.u64, method === 'l3CsumReplace' ? 'the size of ctx.l3CsumReplace()' : 'the flags of ctx.l4CsumReplace()');
      return call(L, method, [ctx, off, from, to, flags], node);
    }
    case 'adjustRoom': {
      const diff = i32Arg(L, a[0]!);
      const mode = unsignedArg(L, a[1]!, INT.u32, 'the mode of ctx.adjustRoom()');
      return call(L, method, [ctx, diff, mode, u64Or0(a[2], 'the flags of ctx.adjustRoom()')], node);
    }
    default: return call(L, method, [ctx, i32Arg(L, a[0]!)], node);
  }
}
