// Interface state for `lockne status` (is the tunnel there, up, addressed?)
// and source-address checks: RTM_GETLINK by name and RTM_GETADDR dumps.
import { ArgumentError, Errno, NetlinkError, netlink, type NetlinkSocket } from '@lockne/bpf';
import { afOf, checkFamily, familyOfAf, formatIp, type IpFamily } from './addr.js';
import { IFADDRMSG_LEN, IFLA_INFO_KIND, Ifa, Iff, IflaX, RtmType } from './consts.js';
import { checkIfName, requireRoute, rtCall, where } from './rtnl.js';

const { Attrs, IFINFOMSG_LEN, attr, decodeIfInfoMsg, encodeIfInfoMsg } = netlink;

/** RFC 2863 operational state names, indexed by IF_OPER_* value. */
const OPERSTATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const;
export type OperState = (typeof OPERSTATES)[number];

/** An interface address (RTM_NEWADDR). */
export interface IfAddress {
  family: IpFamily;
  ifindex: number;
  /** The local address ("10.78.1.2", "fd4c:78:1::2"). */
  address: string;
  prefixLength: number;
  /** The other end of a point-to-point address, when it differs from `address`. */
  peer?: string;
  /** RT_SCOPE_* (0 global, 253 link, 254 host). */
  scope: number;
  /** IFA_F_* (tentative, dadfailed, deprecated, ...). */
  flags: number;
  label?: string;
}

/** What `lockne status` wants to know about one interface. */
export interface LinkState {
  index: number;
  name: string;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** IFF_RUNNING: up and the operational state is up or unknown (TUN devices report unknown). */
  running: boolean;
  operstate: OperState;
  mtu: number;
  /** IFF_* flags. */
  flags: number;
  /** rtnl_link_ops kind ("tun", "wireguard", "veth", "dummy"), '' for none (lo, physical). */
  kind: string;
  addresses: IfAddress[];
}

function decodeLink(payload: Uint8Array): Omit<LinkState, 'addresses'> {
  const { header, attrs } = decodeIfInfoMsg(payload);
  const oper = attrs.u8(IflaX.OPERSTATE) ?? 0;
  return {
    index: header.index,
    name: attrs.str(IflaX.IFNAME) ?? '',
    up: (header.flags & Iff.UP) !== 0,
    running: (header.flags & Iff.RUNNING) !== 0,
    operstate: OPERSTATES[oper] ?? 'unknown',
    mtu: attrs.u32(IflaX.MTU) ?? 0,
    flags: header.flags,
    kind: attrs.nested(IflaX.LINKINFO)?.str(IFLA_INFO_KIND) ?? '',
  };
}

/**
 * The interface called `name` with its addresses, or null when the socket's
 * namespace has none by that name.
 * @example
 * const wg = getLink(nl, 'wg0');
 * if (!wg) console.log('tunnel missing'); else if (!wg.running) console.log('tunnel down');
 */
export function getLink(nl: NetlinkSocket, name: string): LinkState | null {
  requireRoute(nl, 'get link');
  checkIfName(name, 'interface');
  const purpose = `look up interface '${name}'${where(nl)}`;
  let replies;
  try {
    replies = rtCall('RTM_GETLINK', purpose, () => nl.request({
      type: RtmType.GETLINK, flags: 0, header: encodeIfInfoMsg({}), attrs: [attr.str(IflaX.IFNAME, name)],
    }, purpose));
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'ENODEV') return null;
    throw e;
  }
  const reply = replies.find((m) => m.type === RtmType.NEWLINK);
  if (!reply || reply.payload.byteLength < IFINFOMSG_LEN) throw new ArgumentError(`${purpose}: the kernel sent no RTM_NEWLINK`);
  const link = decodeLink(reply.payload);
  return { ...link, addresses: listAddresses(nl, { ifindex: link.index }) };
}

/**
 * Like getLink, but a missing interface is an error naming it (and the namespace).
 * @example requireLink(nl, 'wg0').index
 */
export function requireLink(nl: NetlinkSocket, name: string): LinkState {
  const link = getLink(nl, name);
  if (!link) throw new NetlinkError('RTM_GETLINK', Errno.ENODEV, `interface '${name}' does not exist${where(nl)}`);
  return link;
}

/**
 * 'missing', 'down' (not IFF_UP, or no carrier) or 'up': a tunnel's state in one word.
 * @example linkStatus(nl, 'wg0') === 'up'
 */
export function linkStatus(nl: NetlinkSocket, name: string): 'up' | 'down' | 'missing' {
  const link = getLink(nl, name);
  if (!link) return 'missing';
  return link.up && link.running ? 'up' : 'down';
}

/** Filter for listAddresses. */
export interface AddressFilter {
  family?: IpFamily;
  ifindex?: number;
}

/**
 * Addresses of the socket's namespace (RTM_GETADDR dump), IPv4 then IPv6.
 * @example listAddresses(nl, { family: 4, ifindex: 7 }).map((a) => a.address) // ['10.78.1.2']
 */
export function listAddresses(nl: NetlinkSocket, filter: AddressFilter = {}): IfAddress[] {
  requireRoute(nl, 'list addresses');
  const families: IpFamily[] = filter.family === undefined ? [4, 6] : [checkFamily(filter.family, 'list addresses')];
  const out: IfAddress[] = [];
  for (const f of families) {
    const header = new Uint8Array(IFADDRMSG_LEN);
    header[0] = afOf(f);
    const purpose = `list IPv${f} addresses${where(nl)}`;
    const msgs = rtCall('RTM_GETADDR', purpose, () => nl.dump({ type: RtmType.GETADDR, flags: 0, header }, purpose));
    for (const m of msgs) {
      if (m.type !== RtmType.NEWADDR) continue;
      const a = decodeAddress(m.payload);
      if (!a || a.family !== f) continue;
      if (filter.ifindex !== undefined && a.ifindex !== filter.ifindex) continue;
      out.push(a);
    }
  }
  return out;
}

/**
 * Decode one RTM_NEWADDR payload (struct ifaddrmsg + IFA_*); undefined for other families.
 * @example decodeAddress(msg.payload)?.address // '10.78.1.2'
 */
export function decodeAddress(payload: Uint8Array): IfAddress | undefined {
  if (payload.byteLength < IFADDRMSG_LEN) throw new ArgumentError(`ifaddrmsg: ${payload.byteLength} bytes, expected ${IFADDRMSG_LEN}`);
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const family = familyOfAf(v.getUint8(0));
  if (!family) return undefined;
  const attrs = Attrs.parse(payload.subarray(IFADDRMSG_LEN));
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer on point-to-point links.
  const local = attrs.get(Ifa.LOCAL);
  const address = attrs.get(Ifa.ADDRESS);
  const own = local ?? address;
  if (!own) return undefined;
  const out: IfAddress = {
    family,
    ifindex: v.getUint32(4, true),
    address: formatIp(own),
    prefixLength: v.getUint8(1),
    scope: v.getUint8(3),
    flags: attrs.u32(Ifa.FLAGS) ?? v.getUint8(2),
  };
  if (local && address && formatIp(address) !== out.address) out.peer = formatIp(address);
  const label = attrs.str(Ifa.LABEL);
  if (label) out.label = label;
  return out;
}
