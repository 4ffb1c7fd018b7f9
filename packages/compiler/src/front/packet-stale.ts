// Header views made stale by a helper that can move packet data (LK3002).
// After bpf_skb_store_bytes, bpf_xdp_adjust_head and the other helpers the
// kernel lists in bpf_helper_changes_pkt_data(), the verifier turns every
// packet pointer the program holds (header views, data, data_end) into a
// scalar: a later read through one is refused at load. The front end finds
// such a use while lowering, with a forward "may be stale" dataflow over the
// IR built so far:
//   * a packet-moving call makes every packet pointer stale;
//   * a definition makes its register fresh again (`ctx.header()` again), unless
//     it copies a stale pointer or adds an offset to one;
//   * blocks join with union (stale on some path is stale).
// Loops still being lowered have no back edge yet: a virtual edge from the
// current block (and the loop's `continue` block) to the loop header stands in
// for it, so a view taken before the loop, read in the body and then
// invalidated later in the same body is reported at the read when the call is
// lowered. Programs without such calls pay nothing (no dataflow runs).
//
// @example
//   const ip = ctx.header(Ipv4Hdr, 14); if (ip === null) return TcAction.OK;
//   ctx.storeBytes(u32, 30, htonl(0x0a000003));
//   return ip.ttl;   // LK3002: take the view again after storeBytes
import type ts from 'typescript';
import { helperId } from '@lockne/obj';
import type { SourcePos } from '../diagnostics.js';
import { successors, type Block, type Inst, type VReg } from '../ir/ir.js';
import { forwardFixpoint, mergeMapKeys } from '../ir/dataflow.js';
import { memoryKind, type Ty } from '../ir/types.js';
import type { Lowerer } from './lower.js';

/** Helpers for which the kernel's bpf_helper_changes_pkt_data() is true (those the language can call). */
export const MOVES_PACKET: ReadonlySet<number> = new Set([
  'bpf_skb_store_bytes', 'bpf_l3_csum_replace', 'bpf_l4_csum_replace', 'bpf_skb_pull_data', 'bpf_skb_adjust_room',
  'bpf_skb_change_head', 'bpf_skb_change_tail', 'bpf_skb_change_proto', 'bpf_skb_vlan_push', 'bpf_skb_vlan_pop',
  'bpf_clone_redirect', 'bpf_xdp_adjust_head', 'bpf_xdp_adjust_tail', 'bpf_xdp_adjust_meta',
].map((n) => helperId(n)!));

/** Where a register became stale: the call and the context method that moved the data. */
interface Origin { readonly pos: SourcePos; readonly what: string }
/** vreg id → why it is stale, on some path to here. */
type State = Map<number, Origin>;

interface PerFunction {
  /** The packet-moving calls emitted so far, with the method name they came from. */
  readonly calls: Map<Inst, string>;
  /** `line:col` of reports already made (the loop check may find a use the use check saw). */
  readonly reported: Set<string>;
  /** What the source calls the packet pointers it has read through (vreg id → `ip`), for messages. */
  readonly names: Map<number, string>;
}

const perFunction = new WeakMap<Lowerer, PerFunction>();

function stateOf(L: Lowerer): PerFunction {
  let st = perFunction.get(L);
  if (!st) { st = { calls: new Map(), reported: new Set(), names: new Map() }; perFunction.set(L, st); }
  return st;
}

function isPacketPointer(t: Ty): boolean {
  const k = memoryKind(t);
  return k === 'packet' || k === 'packet_end';
}

function transfer(s: State, i: Inst, vregs: readonly VReg[], calls: ReadonlyMap<Inst, string>): void {
  const what = calls.get(i);
  if (what !== undefined) {
    for (const v of vregs) if (isPacketPointer(v.ty)) s.set(v.id, { pos: i.pos, what });
  }
  if (!('dst' in i) || !i.dst) return;
  const from = i.op === 'copy' && i.src.kind === 'reg' ? s.get(i.src.reg.id) : i.op === 'ptradd' ? s.get(i.base.id) : undefined;
  if (from) s.set(i.dst.id, from);
  else s.delete(i.dst.id);
}

/** The base register an instruction reads or writes memory through (derefs that the verifier checks). */
function derefBase(i: Inst): VReg | undefined {
  return i.op === 'load' || i.op === 'store' || i.op === 'atomic' || i.op === 'ptradd' ? i.base : undefined;
}

/** Loops being lowered whose header is known: a `for` loop's blocks are header, body, continue, exit. */
function openLoopHeaders(L: Lowerer, blocks: readonly Block[]): Array<{ header: Block; cont: Block }> {
  const out: Array<{ header: Block; cont: Block }> = [];
  for (const l of L.loops) {
    if (l.isSwitch) continue; // a switch has no back edge
    // Unrolled loops (exit made before each copy's `next`) have no back edge to stand in for.
    if (l.brk.id !== l.cont.id + 1) continue;
    const header = blocks[l.cont.id - 2];
    if (header) out.push({ header, cont: l.cont });
  }
  return out;
}

/** In-states of the blocks reachable so far, with virtual back edges for the open loops. */
function solve(L: Lowerer, calls: ReadonlyMap<Inst, string>): { inOf: Map<Block, State>; vregs: readonly VReg[] } {
  const fn = L.b.finish();
  const loops = openLoopHeaders(L, fn.blocks);
  const succ = (b: Block): Block[] => {
    const out = successors(b);
    for (const l of loops) if ((b === L.b.current && L.b.open) || (b === l.cont && b.term === null)) out.push(l.header);
    return out;
  };
  // Stopped early (a pathological CFG), the partial states still serve: the verifier has the last word.
  const { states: inOf } = forwardFixpoint<State>({
    entry: fn.entry,
    init: new Map(),
    flow: (b, s0) => {
      const s = new Map(s0);
      for (const i of b.insts) transfer(s, i, fn.vregs, calls);
      return succ(b).map((t) => [t, s] as const);
    },
    clone: (s) => new Map(s),
    merge: mergeMapKeys,
  });
  return { inOf, vregs: fn.vregs };
}

function report(L: Lowerer, st: PerFunction, pos: SourcePos, name: string, o: Origin): void {
  const key = `${pos.line}:${pos.column}`;
  if (st.reported.has(key)) return;
  st.reported.add(key);
  // Collected, not thrown: lowering goes on and finds the other stale uses too.
  L.mod.diags.report('LK3002', `${name} points into the packet as it was before ${o.what} at line ${o.pos.line}, which can move packet data (the verifier then refuses any read through it): take the view again with ctx.header() after the call`, pos);
}

/**
 * Record a packet-moving helper call just emitted (the last instruction of the
 * current block), then report reads in open loops that the next iteration
 * would make through pointers it invalidated.
 */
export function notePacketMove(L: Lowerer, what: string): void {
  const insts = L.b.current.insts;
  const call = insts[insts.length - 1];
  if (!call || call.op !== 'call' || !MOVES_PACKET.has(call.helper)) return;
  const st = stateOf(L);
  st.calls.set(call, what);
  if (L.loops.length === 0) return;
  const { inOf, vregs } = solve(L, st.calls);
  for (const [b, in0] of inOf) {
    const s = new Map(in0);
    for (const i of b.insts) {
      const base = derefBase(i);
      const o = base && s.get(base.id);
      const name = base && (st.names.get(base.id) ?? base.name);
      if (o) report(L, st, i.pos, name ? `'${name}'` : 'a header view', o);
      transfer(s, i, vregs, st.calls);
    }
  }
}

/**
 * Called where a header view (or other packet pointer) `base` is dereferenced:
 * LK3002 at `use` when a packet-moving call may lie between where it was taken
 * and here.
 */
export function checkPacketFresh(L: Lowerer, base: VReg, use: ts.Node, name: string): void {
  if (!isPacketPointer(base.ty)) return;
  const st = stateOf(L);
  st.names.set(base.id, name);
  if (st.calls.size === 0 || !L.b.open) return;
  const { inOf, vregs } = solve(L, st.calls);
  const s = new Map(inOf.get(L.b.current) ?? []);
  for (const i of L.b.current.insts) transfer(s, i, vregs, st.calls);
  const o = s.get(base.id);
  if (o) report(L, st, L.pos(use), `'${name}'`, o);
}
