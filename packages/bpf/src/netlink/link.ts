// rtnetlink link messages (struct ifinfomsg): look interfaces up, dump them,
// and set or clear their XDP program (IFLA_XDP).
import { ArgumentError } from '../errors.js';
import { AF_UNSPEC, Ifla, IflaXdp, Rtm, XdpAttached } from './consts.js';
import { Attrs, attr, type NlAttr, type NlMessage } from './message.js';
import type { NetlinkSocket } from './socket.js';

export const IFINFOMSG_LEN = 16;

/** struct ifinfomsg {u8 family; u8 pad; u16 type; s32 index; u32 flags; u32 change}. */
export interface IfInfoMsg {
  family: number;
  type: number;
  index: number;
  flags: number;
  change: number;
}

export function encodeIfInfoMsg(m: Partial<IfInfoMsg>): Uint8Array {
  const b = new Uint8Array(IFINFOMSG_LEN);
  const v = new DataView(b.buffer);
  v.setUint8(0, m.family ?? AF_UNSPEC);
  v.setUint16(2, m.type ?? 0, true);
  v.setInt32(4, m.index ?? 0, true);
  v.setUint32(8, (m.flags ?? 0) >>> 0, true);
  v.setUint32(12, (m.change ?? 0) >>> 0, true);
  return b;
}

export function decodeIfInfoMsg(payload: Uint8Array): { header: IfInfoMsg; attrs: Attrs } {
  if (payload.byteLength < IFINFOMSG_LEN) throw new ArgumentError(`ifinfomsg: ${payload.byteLength} bytes, expected ${IFINFOMSG_LEN}`);
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    header: { family: v.getUint8(0), type: v.getUint16(2, true), index: v.getInt32(4, true), flags: v.getUint32(8, true), change: v.getUint32(12, true) },
    attrs: Attrs.parse(payload.subarray(IFINFOMSG_LEN)),
  };
}

/** The XDP state the kernel reports in IFLA_XDP. */
export interface XdpState {
  /** Which slot holds a program: none, driver (native), generic (skb), hw, or several. */
  attached: 'none' | 'driver' | 'generic' | 'hw' | 'multi';
  /** The program id when exactly one is attached (IFLA_XDP_PROG_ID), else 0. */
  progId: number;
  driverProgId: number;
  genericProgId: number;
  hwProgId: number;
}

export interface InterfaceInfo {
  index: number;
  name: string;
  /** IFF_* flags (IFF_UP = 1). */
  flags: number;
  mtu: number;
  /** RFC 2863 operational state (OperState: UP = 6). */
  operstate: number;
  /** Hardware address as "aa:bb:cc:dd:ee:ff" ('' when the device has none). */
  address: string;
  xdp: XdpState;
}

const ATTACHED: Record<number, XdpState['attached']> = {
  [XdpAttached.NONE]: 'none', [XdpAttached.DRV]: 'driver', [XdpAttached.SKB]: 'generic',
  [XdpAttached.HW]: 'hw', [XdpAttached.MULTI]: 'multi',
};

/** Decode a nested IFLA_XDP (absent: nothing attached). */
export function decodeXdpState(xdp: Attrs | undefined): XdpState {
  const mode = xdp?.u8(IflaXdp.ATTACHED) ?? XdpAttached.NONE;
  const progId = xdp?.u32(IflaXdp.PROG_ID) ?? 0;
  const attached = ATTACHED[mode] ?? 'multi';
  // With one program the kernel sends only PROG_ID; the per-mode ids come with MULTI.
  return {
    attached,
    progId,
    driverProgId: xdp?.u32(IflaXdp.DRV_PROG_ID) ?? (attached === 'driver' ? progId : 0),
    genericProgId: xdp?.u32(IflaXdp.SKB_PROG_ID) ?? (attached === 'generic' ? progId : 0),
    hwProgId: xdp?.u32(IflaXdp.HW_PROG_ID) ?? (attached === 'hw' ? progId : 0),
  };
}

export function decodeInterface(m: NlMessage): InterfaceInfo {
  const { header, attrs } = decodeIfInfoMsg(m.payload);
  return {
    index: header.index,
    name: attrs.str(Ifla.IFNAME) ?? '',
    flags: header.flags,
    mtu: attrs.u32(Ifla.MTU) ?? 0,
    operstate: attrs.u8(Ifla.OPERSTATE) ?? 0,
    address: [...(attrs.get(Ifla.ADDRESS) ?? [])].map((b) => b.toString(16).padStart(2, '0')).join(':'),
    xdp: decodeXdpState(attrs.nested(Ifla.XDP)),
  };
}

/** One interface by name or index (RTM_GETLINK); NetlinkError ENODEV when absent. */
export function getInterface(nl: NetlinkSocket, iface: string | number): InterfaceInfo {
  const byName = typeof iface === 'string';
  if (byName && (!iface || iface.length > 15)) throw new ArgumentError(`interface name '${iface}': 1 to 15 characters`);
  const replies = nl.request({
    type: Rtm.GETLINK,
    flags: 0,
    header: encodeIfInfoMsg({ index: byName ? 0 : iface }),
    attrs: byName ? [attr.str(Ifla.IFNAME, iface)] : [],
  }, `look up interface ${byName ? `'${iface}'` : `ifindex ${iface}`}`);
  const reply = replies.find((m) => m.type === Rtm.NEWLINK);
  if (!reply) throw new ArgumentError(`RTM_GETLINK for ${String(iface)}: the kernel sent no RTM_NEWLINK`);
  return decodeInterface(reply);
}

/** Every interface of the socket's namespace (RTM_GETLINK dump). */
export function listInterfaces(nl: NetlinkSocket): InterfaceInfo[] {
  return nl.dump({ type: Rtm.GETLINK, flags: 0, header: encodeIfInfoMsg({}) }, 'list interfaces')
    .filter((m) => m.type === Rtm.NEWLINK)
    .map(decodeInterface);
}

/**
 * Set (fd >= 0) or clear (fd = -1) the XDP program of an interface
 * (RTM_SETLINK with IFLA_XDP). `flags` are XdpFlags; with XdpFlags.REPLACE,
 * `expectedFd` names the program that must currently be attached.
 */
export function setXdp(nl: NetlinkSocket, ifindex: number, fd: number, flags: number, expectedFd?: number): void {
  const inner: NlAttr[] = [attr.s32(IflaXdp.FD, fd)];
  if (flags) inner.push(attr.u32(IflaXdp.FLAGS, flags));
  if (expectedFd !== undefined) inner.push(attr.s32(IflaXdp.EXPECTED_FD, expectedFd));
  nl.request({
    type: Rtm.SETLINK,
    flags: 0,
    header: encodeIfInfoMsg({ index: ifindex }),
    attrs: [attr.nested(Ifla.XDP, inner)],
  }, `${fd < 0 ? 'detach XDP from' : 'attach XDP to'} ifindex ${ifindex}`);
}
