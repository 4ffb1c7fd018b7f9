// Classic TC: a cls_bpf filter on the clsact qdisc, managed over rtnetlink
// (minimum kernel 4.5 for clsact; direct-action since 4.4). Use this where
// tcx (6.6+) is missing, or next to tools that expect filters in `tc filter show`.
// The program is SCHED_CLS and, in direct-action mode (the default), returns
// the verdict itself: TC_ACT_OK (0), TC_ACT_SHOT (2), TC_ACT_UNSPEC (-1)...
//
// @example
// const filter = attachTcFilter(prog, 'veth0', 'ingress', { netns: 'lk1n0b' });
// listTcFilters('veth0', 'ingress', { netns: 'lk1n0b' }); // [{ kind: 'bpf', progId, priority, handle, ... }]
// filter.close(); // RTM_DELTFILTER
import { ArgumentError } from '../errors.js';
import { Errno } from '../sys/errno.js';
import { SyscallError } from '../errors.js';
import { netnsLabel, resolveIfindex, type NetnsRef } from '../net/netns.js';
import type { Program } from '../programs/program.js';
import { NetlinkError, withNetlink, type NetlinkSocket } from '../netlink/socket.js';
import { getInterface } from '../netlink/link.js';
import { ETH_P_ALL, TC_H_CLSACT } from '../netlink/consts.js';
import {
  addBpfFilter, addClsact, clsactParent, deleteClsact, deleteFilter, listFilters, listQdiscs,
  type BpfFilterInfo, type TcDirection,
} from '../netlink/tc.js';
import type { Attachment } from './link.js';

export type { TcDirection, BpfFilterInfo };

/** TC_ACT_* verdicts of a direct-action classifier. */
export const TcAction = { UNSPEC: -1, OK: 0, RECLASSIFY: 1, SHOT: 2, PIPE: 3, STOLEN: 4, QUEUED: 5, REPEAT: 6, REDIRECT: 7 } as const;

export interface TcNetnsOption {
  /** Network namespace of the interface (name under /run/netns or a path). */
  netns?: NetnsRef;
}

export interface TcFilterOptions extends TcNetnsOption {
  /** Filter priority 1..65535 (lower runs first); default: the kernel picks. */
  priority?: number;
  /** Filter handle; default: cls_bpf picks. */
  handle?: number;
  /** Shown by `tc filter show`; default the program's name or "lockne". */
  name?: string;
  /** Direct-action mode (default true): the program's return value is the verdict. */
  directAction?: boolean;
  /** EtherType the filter matches, host order (default ETH_P_ALL). */
  protocol?: number;
  /** Replace a filter at the same priority/handle (default: EEXIST). */
  replace?: boolean;
  /**
   * On close, also delete the clsact qdisc if this call created it and no
   * filter is left on either hook. Default false.
   */
  removeQdisc?: boolean;
}

function describe(iface: string | number, netns?: NetnsRef): string {
  return `${typeof iface === 'number' ? `ifindex ${iface}` : `'${iface}'`}${netns ? ` in netns ${netnsLabel(netns)}` : ''}`;
}

function ifindexOf(nl: NetlinkSocket, iface: string | number): number {
  return typeof iface === 'number' ? resolveIfindex(iface) : getInterface(nl, iface).index;
}

/**
 * Make sure the interface has a clsact qdisc. Returns whether this call
 * created it. An `ingress` qdisc in its place is refused (it has no egress hook).
 */
export function ensureClsact(iface: string | number, opts: TcNetnsOption = {}): { ifindex: number; created: boolean } {
  return withNetlink({ netns: opts.netns }, (nl) => {
    const ifindex = ifindexOf(nl, iface);
    return { ifindex, created: ensureClsactOn(nl, ifindex, describe(iface, opts.netns)) };
  });
}

function ensureClsactOn(nl: NetlinkSocket, ifindex: number, what: string): boolean {
  const existing = listQdiscs(nl, ifindex).find((q) => q.parent === TC_H_CLSACT);
  if (existing) {
    if (existing.kind === 'clsact') return false;
    throw new ArgumentError(`${what} has a '${existing.kind}' qdisc where clsact goes; remove it first`);
  }
  try {
    addClsact(nl, ifindex);
    return true;
  } catch (e) {
    // Someone added it between our dump and our request.
    if (e instanceof NetlinkError && e.errno === Errno.EEXIST) return false;
    throw e;
  }
}

/** Delete the clsact qdisc, and with it every filter on both hooks. */
export function removeClsact(iface: string | number, opts: TcNetnsOption = {}): void {
  withNetlink({ netns: opts.netns }, (nl) => deleteClsact(nl, ifindexOf(nl, iface)));
}

/** Filters on one clsact hook (RTM_GETTFILTER dump). */
export function listTcFilters(iface: string | number, direction: TcDirection, opts: TcNetnsOption = {}): BpfFilterInfo[] {
  const parent = clsactParent(direction);
  return withNetlink({ netns: opts.netns }, (nl) => listFilters(nl, ifindexOf(nl, iface), parent));
}

/**
 * An attached cls_bpf filter. close() deletes it (RTM_DELTFILTER), and the
 * clsact qdisc too when asked and when nothing else uses it.
 */
export class TcFilter implements Attachment {
  readonly ifindex: number;
  readonly direction: TcDirection;
  readonly priority: number;
  readonly handle: number;
  readonly protocol: number;
  readonly parent: number;
  readonly netns: NetnsRef | undefined;
  /** This attachment created the clsact qdisc. */
  readonly createdQdisc: boolean;
  readonly #removeQdisc: boolean;
  #closed = false;

  constructor(info: BpfFilterInfo, direction: TcDirection, netns: NetnsRef | undefined, createdQdisc: boolean, removeQdisc: boolean) {
    this.ifindex = info.ifindex;
    this.direction = direction;
    this.priority = info.priority;
    this.handle = info.handle;
    this.protocol = info.protocol;
    this.parent = info.parent;
    this.netns = netns;
    this.createdQdisc = createdQdisc;
    this.#removeQdisc = removeQdisc;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Delete the filter. Idempotent. When the filter, interface or namespace is
   * already gone there is nothing to undo and close() succeeds.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      withNetlink({ netns: this.netns }, (nl) => {
        try {
          deleteFilter(nl, { ifindex: this.ifindex, parent: this.parent, priority: this.priority, protocol: this.protocol, handle: this.handle, kind: 'bpf' });
        } catch (e) {
          if (!(e instanceof NetlinkError)) throw e;
          // Already gone: the filter (ENOENT), the device (ENODEV), or the clsact
          // qdisc and every filter with it (EINVAL "Parent Qdisc doesn't exist").
          const qdiscGone = e.errno === Errno.EINVAL && !listQdiscs(nl, this.ifindex).some((q) => q.parent === TC_H_CLSACT);
          if (e.errno !== Errno.ENOENT && e.errno !== Errno.ENODEV && !qdiscGone) throw e;
          if (e.errno !== Errno.ENOENT) return;
        }
        if (this.createdQdisc && this.#removeQdisc) {
          const left = listFilters(nl, this.ifindex, clsactParent('ingress')).length + listFilters(nl, this.ifindex, clsactParent('egress')).length;
          if (left === 0) deleteClsact(nl, this.ifindex);
        }
      });
    } catch (e) {
      if (e instanceof SyscallError && e.syscall === 'open' && e.errno === Errno.ENOENT) return;
      if (e instanceof NetlinkError && e.errno === Errno.ENODEV) return;
      throw e;
    }
  }
}

/**
 * Attach a SCHED_CLS program as a cls_bpf filter on the clsact `direction`
 * hook, adding the clsact qdisc when missing.
 */
export function attachTcFilter(prog: Program, iface: string | number, direction: TcDirection, opts: TcFilterOptions = {}): TcFilter {
  const parent = clsactParent(direction);
  const priority = opts.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > 0xffff) throw new ArgumentError(`tc filter priority ${priority}: 1..65535`);
  const handle = opts.handle ?? 0;
  if (!Number.isInteger(handle) || handle < 0 || handle > 0xffffffff) throw new ArgumentError(`tc filter handle ${handle}: a u32`);
  const protocol = opts.protocol ?? ETH_P_ALL;
  const name = opts.name ?? (prog.name || 'lockne');
  return withNetlink({ netns: opts.netns }, (nl) => {
    const ifindex = ifindexOf(nl, iface);
    const created = ensureClsactOn(nl, ifindex, describe(iface, opts.netns));
    try {
      const info = addBpfFilter(nl, {
        ifindex, parent, priority, handle, protocol, progFd: prog.fd, name,
        directAction: opts.directAction ?? true, replace: opts.replace ?? false,
      });
      return new TcFilter(info, direction, opts.netns, created, opts.removeQdisc ?? false);
    } catch (e) {
      // Leave the interface as we found it; the filter error is the one to report.
      if (created) {
        try { deleteClsact(nl, ifindex); } catch { /* reported error below */ }
      }
      throw e;
    }
  });
}
