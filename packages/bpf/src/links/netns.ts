// Network namespaces as fds. sk_lookup and flow_dissector links attach to a
// netns fd; netfilter links and sockets bind to the netns of the calling
// thread, so withNetns() switches the (JS) thread in and back synchronously.
import fs from 'node:fs';
import { FdHandle } from '../fd.js';
import { native } from '../sys/native.js';
import { readU32 } from '../sys/layout.js';
import { LinkInfo } from '../sys/attrs.js';
import { AttachType, enumName } from '../sys/consts.js';
import { ArgumentError, SyscallError } from '../errors.js';
import type { Link, LinkInfoResult } from './link.js';

/** CLONE_NEWNET: the nstype setns(2) checks the fd against. */
const CLONE_NEWNET = 0x40000000;

/**
 * Which namespace: a name under /run/netns (as `ip netns add` makes), a pid
 * (its /proc/PID/ns/net), or any path to a netns file.
 */
export type NetnsRef = string | { name: string } | { pid: number } | { path: string };

/** A netns given as an open handle or a raw fd. */
export type NetnsTarget = FdHandle | number;

function netnsPath(ref: NetnsRef): string {
  if (typeof ref === 'string') return ref.includes('/') ? ref : `/run/netns/${ref}`;
  if ('path' in ref) return ref.path;
  if ('pid' in ref) {
    if (!Number.isInteger(ref.pid) || ref.pid <= 0) throw new ArgumentError(`netns pid must be a positive integer, got ${ref.pid}`);
    return `/proc/${ref.pid}/ns/net`;
  }
  if (!/^[^/\0]+$/.test(ref.name) || ref.name === '.' || ref.name === '..') {
    throw new ArgumentError(`netns name '${ref.name}' must be a plain file name under /run/netns`);
  }
  return `/run/netns/${ref.name}`;
}

function errnoOf(e: unknown): number {
  const n = (e as NodeJS.ErrnoException).errno;
  return typeof n === 'number' ? Math.abs(n) : 0;
}

/** ioctl(NS_GET_NSTYPE) = _IO(0xb7, 0x3): the CLONE_NEW* type of a namespace fd (4.11+). */
const NS_GET_NSTYPE = 0xb703;

/** True when `fd` is a network namespace (ENOTTY for anything that is not a namespace). */
function isNetns(fd: number): boolean {
  return native.ioctl(fd, NS_GET_NSTYPE) === CLONE_NEWNET;
}

/**
 * Open a network namespace as an fd (O_RDONLY|O_CLOEXEC). Throws
 * SyscallError('open') when the file is missing, ArgumentError when it is not
 * a network namespace. Close the handle when done.
 *
 * Kernel: 3.0+ (setns); netns links need 5.7+ (flow_dissector) / 5.9+ (sk_lookup).
 * @example
 * const ns = openNetns('lk1234');            // /run/netns/lk1234
 * const same = openNetns({ pid: child.pid }); // /proc/PID/ns/net
 * netnsInode(ns); ns.close(); same.close();
 */
export function openNetns(ref: NetnsRef): FdHandle {
  const path = netnsPath(ref);
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY);
  } catch (e) {
    throw new SyscallError('open', errnoOf(e) || 2, `network namespace ${path}`);
  }
  if (!isNetns(fd)) {
    fs.closeSync(fd);
    throw new ArgumentError(`${path} is not a network namespace`);
  }
  return new FdHandle(fd, `netns ${path}`);
}

function rawFd(ns: NetnsTarget): number {
  return typeof ns === 'number' ? ns : ns.fd;
}

/** The namespace's inode number (what `ip netns identify` and link info report). */
export function netnsInode(ns: NetnsTarget): number {
  const fd = rawFd(ns);
  if (!isNetns(fd)) throw new ArgumentError(`fd ${fd} is not a network namespace`);
  return fs.fstatSync(fd).ino;
}

/** Inode of the calling thread's current network namespace. */
export function currentNetnsInode(): number {
  return fs.statSync('/proc/thread-self/ns/net').ino;
}

/**
 * Run `fn` with the calling thread inside `ns`, then switch back, even when
 * `fn` throws. Sockets created inside stay in `ns` for their whole life;
 * BPF_LINK_CREATE for netfilter uses the caller's netns. `fn` must be
 * synchronous: an await would let other code run in the wrong namespace.
 * @example
 * const fd = withNetns(ns, () => native.socket(AF_INET, SOCK_DGRAM, 0));
 */
export function withNetns<T>(ns: NetnsTarget, fn: () => T): T {
  const target = rawFd(ns);
  let home: number;
  try {
    home = fs.openSync('/proc/thread-self/ns/net', fs.constants.O_RDONLY);
  } catch (e) {
    throw new SyscallError('open', errnoOf(e) || 2, '/proc/thread-self/ns/net');
  }
  try {
    const r = native.setns(target, CLONE_NEWNET);
    if (r < 0) throw new SyscallError('setns', -r, `enter netns fd ${target}`);
    let result: T;
    try {
      result = fn();
    } finally {
      const back = native.setns(home, CLONE_NEWNET);
      // Staying in the wrong namespace would silently misplace every later socket.
      if (back < 0) throw new SyscallError('setns', -back, 'return to the original netns');
    }
    if (result instanceof Promise) {
      throw new ArgumentError('withNetns: the callback returned a Promise; it must be synchronous');
    }
    return result;
  } finally {
    fs.closeSync(home);
  }
}

/** Link info of a netns link (sk_lookup, flow_dissector). */
export interface NetnsLinkInfo extends LinkInfoResult {
  /** Inode of the namespace the link is attached to; 0 after the netns is gone or the link detached. */
  netnsIno: number;
  attachType: number;
  attachTypeName: string;
}

/**
 * Decode the netns part of a link's info (link type NETNS).
 * @example netnsLinkInfo(attachSkLookup(prog, ns)).netnsIno === netnsInode(ns)
 */
export function netnsLinkInfo(link: Link): NetnsLinkInfo {
  const base = link.info();
  if (base.typeName !== 'NETNS') throw new ArgumentError(`${link.handle.description} is a ${base.typeName} link, not NETNS`);
  const attachType = readU32(LinkInfo, base.raw, 'netns_attach_type');
  return { ...base, netnsIno: readU32(LinkInfo, base.raw, 'netns_ino'), attachType, attachTypeName: enumName(AttachType, attachType) };
}
