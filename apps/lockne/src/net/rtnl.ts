// What rules.ts, routes.ts and links.ts share: checking that a socket really
// is rtnetlink, naming the namespace in messages, and re-labelling errors with
// the message type we sent (the runtime's rtmName knows only link/tc types).
import { ArgumentError, NetlinkError, native, netnsLabel, type NetlinkSocket } from '@lockne/bpf';

const SOL_SOCKET = 1;
const SO_PROTOCOL = 38;
const NETLINK_ROUTE = 0;

const protocolOf = new WeakMap<NetlinkSocket, number>();

/**
 * Throw unless `nl` is a NETLINK_ROUTE socket. Why: sock_diag's message types
 * 20/21 are RTM_NEWADDR/RTM_DELADDR in rtnetlink, so a request sent to the
 * wrong family could change addresses instead of failing.
 * @example requireRoute(nl, 'list rules')
 */
export function requireRoute(nl: NetlinkSocket, what: string): void {
  let proto = protocolOf.get(nl);
  if (proto === undefined) {
    const out = new Uint8Array(4);
    const r = native.getsockopt(nl.fd, SOL_SOCKET, SO_PROTOCOL, out);
    if (r < 0) throw new ArgumentError(`${what}: fd ${nl.fd} is not a usable netlink socket`);
    proto = new DataView(out.buffer).getInt32(0, true);
    protocolOf.set(nl, proto);
  }
  if (proto !== NETLINK_ROUTE) throw new ArgumentError(`${what}: needs a NETLINK_ROUTE socket, got netlink protocol ${proto}`);
}

/** " in netns /run/netns/x" for a socket opened in a namespace, else "". */
export function where(nl: NetlinkSocket): string {
  return nl.netns === undefined ? '' : ` in netns ${netnsLabel(nl.netns)}`;
}

/**
 * Run a request; a NetlinkError comes out named after `op` (e.g.
 * "RTM_NEWRULE failed: EEXIST (add rule ...)"), errno and extack kept.
 * @example rtCall('RTM_DELRULE', purpose, () => nl.request(req, purpose))
 */
export function rtCall<T>(op: string, purpose: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NetlinkError) throw new NetlinkError(op, e.errno, purpose, e.extack);
    throw e;
  }
}

/** Throw ArgumentError unless `v` is an integer in [min, max]. */
export function checkInt(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new ArgumentError(`${what} must be an integer in ${min}..${max}, got ${String(v)}`);
  }
  return v;
}

/** Throw ArgumentError unless `name` can be an interface name (1..15 bytes, no '/', no whitespace). */
export function checkIfName(name: unknown, what: string): string {
  if (typeof name !== 'string' || !/^[^/\s:]{1,15}$/.test(name) || name === '.' || name === '..') {
    throw new ArgumentError(`${what}: '${String(name)}' is not a valid interface name (1 to 15 characters, no '/', ':' or spaces)`);
  }
  return name;
}

/** A u32 as 0x-hex, as `ip` prints marks. */
export const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;
