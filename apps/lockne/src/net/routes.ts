// Routes over rtnetlink (`ip route ... table T`): struct rtmsg + RTA_*
// attributes (include/uapi/linux/rtnetlink.h). Lockne puts
//   default dev <tunnel> table T proto 76        (IPv4 and IPv6)
// in each profile's table; when the tunnel device goes away the kernel drops
// those routes and the profile's `unreachable` rule catches the lookup.
import { ArgumentError, NetlinkError, netlink, type NetlinkSocket } from '@lockne/bpf';
import { afOf, checkFamily, familyOfAf, formatIp, formatPrefix, parseIp, parsePrefix, type IpFamily, type IpPrefix } from './addr.js';
import { LOCKNE_PROTOCOL, RTMSG_LEN, Rta, Rtn, RtScope, RtTable, RtmType } from './consts.js';
import { checkIfName, checkInt, requireRoute, rtCall, where } from './rtnl.js';

const { Attrs, NlmF, attr, getInterface } = netlink;
type NlAttr = netlink.NlAttr;

/** rtm_type names, as `ip route` prints them. */
export type RouteType = 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'nat' | 'xresolve' | 'unspec';

const TYPES: Record<RouteType, number> = {
  unspec: Rtn.UNSPEC, unicast: Rtn.UNICAST, local: Rtn.LOCAL, broadcast: Rtn.BROADCAST, anycast: Rtn.ANYCAST,
  multicast: Rtn.MULTICAST, blackhole: Rtn.BLACKHOLE, unreachable: Rtn.UNREACHABLE, prohibit: Rtn.PROHIBIT,
  throw: Rtn.THROW, nat: Rtn.NAT, xresolve: Rtn.XRESOLVE,
};
const TYPE_NAMES = new Map<number, RouteType>(Object.entries(TYPES).map(([k, v]) => [v, k as RouteType]));
/** Types that carry no nexthop: the lookup itself is the verdict. */
const REJECT_TYPES = new Set<RouteType>(['blackhole', 'unreachable', 'prohibit', 'throw']);

/** A route to add, replace or delete. */
export interface RouteSpec {
  family: IpFamily;
  /** Routing table (1..2^32-1; 254 = main). */
  table: number;
  /** Destination prefix; default 'default' (0.0.0.0/0 or ::/0). */
  dst?: string;
  /** Default 'unicast'. unreachable/prohibit/blackhole/throw take no dev or gateway. */
  type?: RouteType;
  /** Output interface, by name (looked up in the socket's namespace) or ifindex. */
  dev?: string | number;
  gateway?: string;
  /** RTA_PRIORITY (`metric`). IPv6 uses 1024 when none is given. */
  metric?: number;
  /** Preferred source address (RTA_PREFSRC). */
  prefsrc?: string;
  /** rtm_protocol; default LOCKNE_PROTOCOL. */
  protocol?: number;
  /** rtm_scope; by default `link` for a unicast route via a device without gateway, else `universe`. */
  scope?: number;
}

/** A route as the kernel reports it. */
export interface Route {
  family: IpFamily;
  table: number;
  /** "default" for a zero-length prefix, else "10.0.0.0/8". */
  dst: string;
  /** Source prefix (IPv6 subtrees), when set. */
  src?: string;
  type: RouteType;
  protocol: number;
  scope: number;
  /** Output interface index (0 when none). */
  oif: number;
  gateway?: string;
  metric?: number;
  prefsrc?: string;
  /** rtm_flags (RTM_F_*, RTNH_F_*). */
  flags: number;
  tos: number;
}

/**
 * `ip route`-style text of a route, for messages.
 * @example describeRoute({ family: 4, table: 100, dev: 'wg0' }) // "default dev wg0 table 100 proto 76"
 */
export function describeRoute(r: RouteSpec | Route): string {
  const type = r.type ?? 'unicast';
  const parts: string[] = [];
  if (type !== 'unicast') parts.push(type);
  parts.push(r.dst ?? 'default');
  if (r.gateway) parts.push(`via ${r.gateway}`);
  const dev = 'oif' in r ? (r.oif ? `ifindex ${r.oif}` : undefined) : r.dev;
  if (dev !== undefined) parts.push(`dev ${dev}`);
  parts.push(`table ${r.table}`);
  parts.push(`proto ${r.protocol ?? LOCKNE_PROTOCOL}`);
  if (r.metric !== undefined) parts.push(`metric ${r.metric}`);
  if (r.prefsrc) parts.push(`src ${r.prefsrc}`);
  return `${parts.join(' ')}${r.family === 6 ? ' (IPv6)' : ''}`;
}

function resolveDev(nl: NetlinkSocket, dev: string | number): number {
  if (typeof dev === 'number') return checkInt(dev, 1, 0x7fffffff, 'route dev (ifindex)');
  checkIfName(dev, 'route dev');
  const purpose = `look up interface '${dev}'${where(nl)}`;
  return rtCall('RTM_GETLINK', purpose, () => getInterface(nl, dev)).index;
}

type Op = 'add' | 'replace' | 'delete';

function encodeRoute(nl: NetlinkSocket, spec: RouteSpec | Route, op: Op): { header: Uint8Array; attrs: NlAttr[] } {
  const family = checkFamily(spec.family, 'route');
  const type = spec.type ?? 'unicast';
  const typeCode = TYPES[type];
  if (typeCode === undefined) throw new ArgumentError(`route: unknown type '${String(type)}'`);
  const table = checkInt(spec.table, 1, 0xffffffff, 'route table');
  const dst = parsePrefix(spec.dst ?? 'default', family);
  const attrs: NlAttr[] = [attr.u32(Rta.TABLE, table)];
  if (dst.length) attrs.push(attr.bytes(Rta.DST, dst.bytes));
  let src: IpPrefix | undefined;
  if ('src' in spec && spec.src) {
    src = parsePrefix(spec.src, family);
    if (src.length) attrs.push(attr.bytes(Rta.SRC, src.bytes));
  }
  let oif = 0;
  if ('oif' in spec) oif = spec.oif;
  else if (spec.dev !== undefined) oif = resolveDev(nl, spec.dev);
  if (oif) attrs.push(attr.u32(Rta.OIF, oif));
  if (spec.gateway !== undefined) {
    const gw = parseIp(spec.gateway);
    if (gw.family !== family) throw new ArgumentError(`route gateway ${spec.gateway} is IPv${gw.family}, the route IPv${family}`);
    attrs.push(attr.bytes(Rta.GATEWAY, gw.bytes));
  }
  if (REJECT_TYPES.has(type) && op !== 'delete' && (oif || spec.gateway !== undefined)) {
    throw new ArgumentError(`route '${describeRoute(spec)}': a ${type} route takes no dev or gateway`);
  }
  if (type === 'unicast' && op !== 'delete' && !oif && spec.gateway === undefined) {
    throw new ArgumentError(`route '${describeRoute(spec)}': a unicast route needs a dev or a gateway`);
  }
  if (spec.metric !== undefined) attrs.push(attr.u32(Rta.PRIORITY, checkInt(spec.metric, 0, 0xffffffff, 'route metric')));
  if (spec.prefsrc !== undefined) {
    const ps = parseIp(spec.prefsrc);
    if (ps.family !== family) throw new ArgumentError(`route src ${spec.prefsrc} is IPv${ps.family}, the route IPv${family}`);
    attrs.push(attr.bytes(Rta.PREFSRC, ps.bytes));
  }
  const protocol = checkInt(spec.protocol ?? LOCKNE_PROTOCOL, 0, 255, 'route protocol');

  let scope = spec.scope;
  if (scope === undefined) {
    // As `ip route`: delete matches any scope; a device route without gateway is on-link.
    if (op === 'delete') scope = RtScope.NOWHERE;
    else if (type === 'local' || type === 'nat') scope = RtScope.HOST;
    else if (type === 'broadcast' || type === 'multicast' || type === 'anycast') scope = RtScope.LINK;
    else if (type === 'unicast' && spec.gateway === undefined) scope = RtScope.LINK;
    else scope = RtScope.UNIVERSE;
  }
  checkInt(scope, 0, 255, 'route scope');

  const header = new Uint8Array(RTMSG_LEN);
  const v = new DataView(header.buffer);
  v.setUint8(0, afOf(family));
  v.setUint8(1, dst.length);
  v.setUint8(2, src?.length ?? 0);
  v.setUint8(3, 'tos' in spec ? spec.tos : 0);
  v.setUint8(4, table < 256 ? table : RtTable.UNSPEC);
  v.setUint8(5, protocol);
  v.setUint8(6, scope);
  v.setUint8(7, typeCode);
  return { header, attrs };
}

/**
 * Decode one RTM_NEWROUTE payload (rtmsg + RTA_*); undefined for a family other than v4/v6.
 * @example decodeRoute(msg.payload)?.dst // 'default'
 */
export function decodeRoute(payload: Uint8Array): Route | undefined {
  if (payload.byteLength < RTMSG_LEN) throw new ArgumentError(`rtmsg: ${payload.byteLength} bytes, expected ${RTMSG_LEN}`);
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const family = familyOfAf(v.getUint8(0));
  if (!family) return undefined;
  const a = Attrs.parse(payload.subarray(RTMSG_LEN));
  const dstLen = v.getUint8(1);
  const srcLen = v.getUint8(2);
  const zero = new Uint8Array(family === 4 ? 4 : 16);
  const route: Route = {
    family,
    table: a.u32(Rta.TABLE) ?? v.getUint8(4),
    dst: formatPrefix({ bytes: a.get(Rta.DST) ?? zero, length: dstLen }),
    type: TYPE_NAMES.get(v.getUint8(7)) ?? 'unspec',
    protocol: v.getUint8(5),
    scope: v.getUint8(6),
    oif: a.u32(Rta.OIF) ?? 0,
    flags: v.getUint32(8, true),
    tos: v.getUint8(3),
  };
  if (srcLen) route.src = formatPrefix({ bytes: a.get(Rta.SRC) ?? zero, length: srcLen });
  const gw = a.get(Rta.GATEWAY);
  if (gw) route.gateway = formatIp(gw);
  const metric = a.u32(Rta.PRIORITY);
  if (metric !== undefined) route.metric = metric;
  const prefsrc = a.get(Rta.PREFSRC);
  if (prefsrc) route.prefsrc = formatIp(prefsrc);
  return route;
}

/** Filter for listRoutes. */
export interface RouteFilter {
  family?: IpFamily;
  table?: number;
  protocol?: number;
}

/**
 * Routes of the socket's namespace (IPv4 then IPv6), filtered by family,
 * table and protocol. Without a table, every table (main, local, ...).
 * @example listRoutes(nl, { table: 0x4c01 }) // [{ dst: 'default', oif: 7, ... }, { family: 6, ... }]
 */
export function listRoutes(nl: NetlinkSocket, filter: RouteFilter = {}): Route[] {
  requireRoute(nl, 'list routes');
  const families: IpFamily[] = filter.family === undefined ? [4, 6] : [checkFamily(filter.family, 'list routes')];
  if (filter.table !== undefined) checkInt(filter.table, 0, 0xffffffff, 'route table');
  const out: Route[] = [];
  for (const f of families) {
    const header = new Uint8Array(RTMSG_LEN);
    header[0] = afOf(f);
    const purpose = `list IPv${f} routes${where(nl)}`;
    const msgs = rtCall('RTM_GETROUTE', purpose, () => nl.dump({ type: RtmType.GETROUTE, flags: 0, header }, purpose));
    for (const m of msgs) {
      if (m.type !== RtmType.NEWROUTE) continue;
      const r = decodeRoute(m.payload);
      if (!r || r.family !== f) continue;
      if (filter.table !== undefined && r.table !== filter.table) continue;
      if (filter.protocol !== undefined && r.protocol !== filter.protocol) continue;
      out.push(r);
    }
  }
  return out;
}

function send(nl: NetlinkSocket, spec: RouteSpec | Route, op: Op): void {
  requireRoute(nl, `${op} route`);
  const { header, attrs } = encodeRoute(nl, spec, op);
  const purpose = `${op} route '${describeRoute(spec)}'${where(nl)}`;
  const type = op === 'delete' ? RtmType.DELROUTE : RtmType.NEWROUTE;
  const flags = op === 'add' ? NlmF.CREATE | NlmF.EXCL : op === 'replace' ? NlmF.CREATE | NlmF.REPLACE : 0;
  rtCall(op === 'delete' ? 'RTM_DELROUTE' : 'RTM_NEWROUTE', purpose, () => nl.request({ type, flags, header, attrs }, purpose));
}

/**
 * Add a route; an existing route for the same prefix/metric throws
 * NetlinkError 'EEXIST'. An unknown `dev` throws naming the interface.
 * @example
 * addRoute(nl, { family: 4, table: 0x4c01, dev: 'wg0' });            // default dev wg0 table 19457 proto 76
 * addRoute(nl, { family: 6, table: 0x4c01, type: 'unreachable', metric: 4000 });
 */
export function addRoute(nl: NetlinkSocket, spec: RouteSpec): void {
  send(nl, spec, 'add');
}

/**
 * Add or replace the route for the same prefix (and, for IPv6, metric):
 * idempotent, and it moves an existing default to a new device.
 * @example replaceRoute(nl, { family: 4, table: 0x4c01, dev: 'wg1' })
 */
export function replaceRoute(nl: NetlinkSocket, spec: RouteSpec): void {
  send(nl, spec, 'replace');
}

/**
 * Delete the route matching `spec` (fields not given match anything, except
 * the protocol, which defaults to LOCKNE_PROTOCOL). Missing: NetlinkError
 * 'ESRCH' (IPv4) or 'ENOENT' (IPv6).
 * @example deleteRoute(nl, { family: 4, table: 0x4c01 })
 */
export function deleteRoute(nl: NetlinkSocket, spec: RouteSpec | Route): void {
  send(nl, spec, 'delete');
}

/**
 * Delete every route in `table` tagged `protocol` (IPv4 and IPv6, or only
 * `family`) and return them. Routes of other protocols stay.
 * @example flushTableWithProtocol(nl, 0x4c01, LOCKNE_PROTOCOL)
 */
export function flushTableWithProtocol(nl: NetlinkSocket, table: number, protocol: number, family?: IpFamily): Route[] {
  checkInt(protocol, 1, 255, 'route protocol');
  const filter: RouteFilter = { table: checkInt(table, 1, 0xffffffff, 'route table'), protocol };
  if (family !== undefined) filter.family = family;
  return deleteListed(nl, listRoutes(nl, filter));
}

/**
 * Delete every route tagged `protocol` in any table (`lockne down` after a
 * crash, when the tables in use are unknown) and return them.
 * @example deleteAllRoutesWithProtocol(nl, LOCKNE_PROTOCOL)
 */
export function deleteAllRoutesWithProtocol(nl: NetlinkSocket, protocol: number, family?: IpFamily): Route[] {
  checkInt(protocol, 1, 255, 'route protocol');
  const filter: RouteFilter = { protocol };
  if (family !== undefined) filter.family = family;
  return deleteListed(nl, listRoutes(nl, filter));
}

function deleteListed(nl: NetlinkSocket, routes: Route[]): Route[] {
  const deleted: Route[] = [];
  for (const r of routes) {
    try {
      deleteRoute(nl, r);
      deleted.push(r);
    } catch (e) {
      // Gone meanwhile (e.g. its device was removed): that is the goal anyway.
      if (!(e instanceof NetlinkError && (e.code === 'ESRCH' || e.code === 'ENOENT'))) throw e;
    }
  }
  return deleted;
}
