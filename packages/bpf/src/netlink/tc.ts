// rtnetlink traffic-control messages (struct tcmsg): qdiscs and filters, in
// particular the clsact qdisc and cls_bpf ("bpf") filters.
import { ArgumentError } from '../errors.js';
import {
  AF_UNSPEC, ETH_P_ALL, NlmF, Rtm, TCA_BPF_FLAG_ACT_DIRECT, TC_H_CLSACT, TC_H_MIN_EGRESS, TC_H_MIN_INGRESS,
  Tca, TcaBpf, tcHandle,
} from './consts.js';
import { Attrs, attr, type NlAttr, type NlMessage } from './message.js';
import type { NetlinkSocket } from './socket.js';

export const TCMSG_LEN = 20;

/** struct tcmsg {u8 family; u8 pad1; u16 pad2; s32 ifindex; u32 handle; u32 parent; u32 info}. */
export interface TcMsg {
  family: number;
  ifindex: number;
  handle: number;
  parent: number;
  /** For filters: priority << 16 | htons(protocol). */
  info: number;
}

export function encodeTcMsg(m: Partial<TcMsg>): Uint8Array {
  const b = new Uint8Array(TCMSG_LEN);
  const v = new DataView(b.buffer);
  v.setUint8(0, m.family ?? AF_UNSPEC);
  v.setInt32(4, m.ifindex ?? 0, true);
  v.setUint32(8, (m.handle ?? 0) >>> 0, true);
  v.setUint32(12, (m.parent ?? 0) >>> 0, true);
  v.setUint32(16, (m.info ?? 0) >>> 0, true);
  return b;
}

export function decodeTcMsg(payload: Uint8Array): { header: TcMsg; attrs: Attrs } {
  if (payload.byteLength < TCMSG_LEN) throw new ArgumentError(`tcmsg: ${payload.byteLength} bytes, expected ${TCMSG_LEN}`);
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    header: { family: v.getUint8(0), ifindex: v.getInt32(4, true), handle: v.getUint32(8, true), parent: v.getUint32(12, true), info: v.getUint32(16, true) },
    attrs: Attrs.parse(payload.subarray(TCMSG_LEN)),
  };
}

/** Filter tcm_info: priority in the high half, protocol in network byte order in the low half. */
export function filterInfo(priority: number, protocol: number): number {
  return (((priority & 0xffff) << 16) | htons(protocol)) >>> 0;
}

export function htons(v: number): number {
  return ((v & 0xff) << 8) | ((v >> 8) & 0xff);
}

export type TcDirection = 'ingress' | 'egress';

/** Parent handle of the clsact ingress or egress hook (ffff:fff2 / ffff:fff3). */
export function clsactParent(direction: TcDirection): number {
  if (direction !== 'ingress' && direction !== 'egress') throw new ArgumentError(`tc direction '${String(direction)}': use 'ingress' or 'egress'`);
  return tcHandle(TC_H_CLSACT, direction === 'ingress' ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
}

/** The clsact qdisc's own handle, ffff:0000. */
export const CLSACT_HANDLE = tcHandle(0xffff0000, 0);

export interface QdiscInfo {
  ifindex: number;
  kind: string;
  handle: number;
  parent: number;
}

/** Qdiscs of one interface (RTM_GETQDISC dump, filtered here by ifindex). */
export function listQdiscs(nl: NetlinkSocket, ifindex: number): QdiscInfo[] {
  return nl.dump({ type: Rtm.GETQDISC, flags: 0, header: encodeTcMsg({ ifindex }) }, `list qdiscs of ifindex ${ifindex}`)
    .filter((m) => m.type === Rtm.NEWQDISC)
    .map((m) => {
      const { header, attrs } = decodeTcMsg(m.payload);
      return { ifindex: header.ifindex, kind: attrs.str(Tca.KIND) ?? '', handle: header.handle, parent: header.parent };
    })
    .filter((q) => q.ifindex === ifindex);
}

/** Add the clsact qdisc (RTM_NEWQDISC, exclusive: EEXIST when one is there). */
export function addClsact(nl: NetlinkSocket, ifindex: number): void {
  nl.request({
    type: Rtm.NEWQDISC,
    flags: NlmF.CREATE | NlmF.EXCL,
    header: encodeTcMsg({ ifindex, parent: TC_H_CLSACT, handle: CLSACT_HANDLE }),
    attrs: [attr.str(Tca.KIND, 'clsact')],
  }, `add clsact qdisc on ifindex ${ifindex}`);
}

/** Delete the clsact qdisc and with it every filter on its hooks. */
export function deleteClsact(nl: NetlinkSocket, ifindex: number): void {
  nl.request({
    type: Rtm.DELQDISC,
    flags: 0,
    header: encodeTcMsg({ ifindex, parent: TC_H_CLSACT, handle: CLSACT_HANDLE }),
    attrs: [attr.str(Tca.KIND, 'clsact')],
  }, `delete clsact qdisc on ifindex ${ifindex}`);
}

export interface BpfFilterSpec {
  ifindex: number;
  parent: number;
  /** 1..65535; 0 lets the kernel choose (it is reported back). */
  priority: number;
  /** 0 lets cls_bpf choose. */
  handle: number;
  protocol: number;
  progFd: number;
  name: string;
  directAction: boolean;
  /** Replace an existing filter at the same priority/handle instead of failing with EEXIST. */
  replace: boolean;
}

/** A cls_bpf filter as a dump or echo reports it. */
export interface BpfFilterInfo {
  ifindex: number;
  parent: number;
  priority: number;
  protocol: number;
  handle: number;
  kind: string;
  chain: number;
  /** cls_bpf only: */
  name?: string;
  progId?: number;
  tag?: string;
  directAction?: boolean;
}

export function decodeFilter(m: NlMessage): BpfFilterInfo {
  const { header, attrs } = decodeTcMsg(m.payload);
  const out: BpfFilterInfo = {
    ifindex: header.ifindex,
    parent: header.parent,
    priority: header.info >>> 16,
    protocol: htons(header.info & 0xffff),
    handle: header.handle,
    kind: attrs.str(Tca.KIND) ?? '',
    chain: attrs.u32(Tca.CHAIN) ?? 0,
  };
  const opts = out.kind === 'bpf' ? attrs.nested(Tca.OPTIONS) : undefined;
  if (opts) {
    const name = opts.str(TcaBpf.NAME);
    if (name !== undefined) out.name = name;
    const id = opts.u32(TcaBpf.ID);
    if (id !== undefined) out.progId = id;
    const tag = opts.get(TcaBpf.TAG);
    if (tag) out.tag = Buffer.from(tag).toString('hex');
    out.directAction = ((opts.u32(TcaBpf.FLAGS) ?? 0) & TCA_BPF_FLAG_ACT_DIRECT) !== 0;
  }
  return out;
}

/**
 * Add a cls_bpf filter (RTM_NEWTFILTER with NLM_F_ECHO) and return it as the
 * kernel created it, so a kernel-chosen priority or handle is known.
 */
export function addBpfFilter(nl: NetlinkSocket, f: BpfFilterSpec): BpfFilterInfo {
  const options: NlAttr[] = [attr.u32(TcaBpf.FD, f.progFd), attr.str(TcaBpf.NAME, f.name)];
  if (f.directAction) options.push(attr.u32(TcaBpf.FLAGS, TCA_BPF_FLAG_ACT_DIRECT));
  const purpose = `add bpf filter '${f.name}' prio ${f.priority} handle 0x${f.handle.toString(16)} on ifindex ${f.ifindex} parent ${handleString(f.parent)}`;
  const replies = nl.request({
    type: Rtm.NEWTFILTER,
    flags: NlmF.CREATE | NlmF.ECHO | (f.replace ? NlmF.REPLACE : NlmF.EXCL),
    header: encodeTcMsg({ ifindex: f.ifindex, parent: f.parent, handle: f.handle, info: filterInfo(f.priority, f.protocol) }),
    attrs: [attr.str(Tca.KIND, 'bpf'), attr.nested(Tca.OPTIONS, options)],
  }, purpose);
  const echo = replies.find((m) => m.type === Rtm.NEWTFILTER);
  if (echo) return decodeFilter(echo);
  if (f.priority && f.handle) {
    return { ifindex: f.ifindex, parent: f.parent, priority: f.priority, protocol: f.protocol, handle: f.handle, kind: 'bpf', chain: 0, name: f.name, directAction: f.directAction };
  }
  throw new ArgumentError(`${purpose}: the kernel did not echo the filter, so its priority/handle are unknown; pass both explicitly`);
}

/** Delete one filter (RTM_DELTFILTER); ENOENT when it does not exist. */
export function deleteFilter(nl: NetlinkSocket, f: { ifindex: number; parent: number; priority: number; protocol: number; handle: number; kind: string }): void {
  nl.request({
    type: Rtm.DELTFILTER,
    flags: 0,
    header: encodeTcMsg({ ifindex: f.ifindex, parent: f.parent, handle: f.handle, info: filterInfo(f.priority, f.protocol) }),
    attrs: f.kind ? [attr.str(Tca.KIND, f.kind)] : [],
  }, `delete ${f.kind || ''} filter prio ${f.priority} handle 0x${f.handle.toString(16)} on ifindex ${f.ifindex} parent ${handleString(f.parent)}`);
}

/**
 * Filters on one hook (RTM_GETTFILTER dump). The kernel also lists each
 * priority's classifier itself (handle 0, no options); those are left out.
 */
export function listFilters(nl: NetlinkSocket, ifindex: number, parent: number): BpfFilterInfo[] {
  return nl.dump({ type: Rtm.GETTFILTER, flags: 0, header: encodeTcMsg({ ifindex, parent }) }, `list filters on ifindex ${ifindex} parent ${handleString(parent)}`)
    .filter((m) => m.type === Rtm.NEWTFILTER)
    .map(decodeFilter)
    .filter((f) => f.handle !== 0);
}

/** "ffff:fff2" */
export function handleString(h: number): string {
  return `${(h >>> 16).toString(16)}:${(h & 0xffff).toString(16)}`;
}

export { ETH_P_ALL };
