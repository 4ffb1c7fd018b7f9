// Doing things inside a network namespace given by reference. setns(2) moves
// only the calling thread: the namespace fd helpers in links/netns.ts switch
// the JS main thread in and back synchronously; this file adds "maybe a
// namespace" (undefined = stay here) and interface lookup, which the
// tcx/XDP/tc attach functions take as their `netns` option.
import { native } from '../sys/native.js';
import { ArgumentError, SyscallError } from '../errors.js';
import { openNetns, withNetns, type NetnsRef } from '../links/netns.js';

export type { NetnsRef };

/** Human-readable namespace reference for messages. */
export function netnsLabel(ref: NetnsRef): string {
  if (typeof ref === 'string') return ref.includes('/') ? ref : `/run/netns/${ref}`;
  if ('path' in ref) return ref.path;
  if ('pid' in ref) return `/proc/${ref.pid}/ns/net`;
  return `/run/netns/${ref.name}`;
}

/**
 * Run `fn` (synchronously) inside the namespace `ref`, or right here when
 * `ref` is undefined. The namespace fd is closed before returning.
 *
 * @example
 * const fd = inNetns('lk123n0a', () => native.socket(2, 2, 0)); // a UDP socket living in lk123n0a
 */
export function inNetns<T>(ref: NetnsRef | undefined, fn: () => T): T {
  if (ref === undefined) return fn();
  const ns = openNetns(ref);
  try {
    return withNetns(ns, fn);
  } finally {
    ns.close();
  }
}

/**
 * ifindex of an interface, looked up in `netns` (default: the current one).
 * A number is checked and returned as is.
 */
export function resolveIfindex(iface: string | number, netns?: NetnsRef): number {
  if (typeof iface === 'number') {
    if (!Number.isInteger(iface) || iface <= 0 || iface > 0x7fffffff) throw new ArgumentError(`ifindex ${iface}: must be a positive integer`);
    return iface;
  }
  if (!iface || iface.length > 15) throw new ArgumentError(`interface name '${iface}': 1 to 15 characters`);
  const idx = inNetns(netns, () => native.ifNameToIndex(iface));
  if (idx < 0) throw new SyscallError('if_nametoindex', -idx, `interface '${iface}'${netns ? ` in netns ${netnsLabel(netns)}` : ''}`);
  return idx;
}
