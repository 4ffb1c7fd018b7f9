// tcx: the fd-based TC hook (minimum kernel 6.6). Programs are SCHED_CLS and
// return TCX_NEXT (-1: run the next program, then classic tc), TCX_PASS (0),
// TCX_DROP (2) or TCX_REDIRECT (7). Several programs share a hook in an order
// set with before/after; each change bumps the hook's revision.
//
// @example
// const link = attachTcx(prog, 'eth0', 'ingress');
// link.info().typeName;            // 'TCX'
// tcxLinkInfo(link);               // { ifindex, direction: 'ingress' }
// link.close();                    // detaches
import { readU32 } from '../sys/layout.js';
import { LinkInfo } from '../sys/attrs.js';
import { AttachFlags, AttachType, LinkType } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';
import { resolveIfindex, inNetns, netnsLabel, type NetnsRef } from '../net/netns.js';
import { Program } from '../programs/program.js';
import { Link } from './link.js';
import { progAttach, queryPrograms, type ProgAttachment, type ProgQueryResult } from './attach-legacy.js';

export type TcxDirection = 'ingress' | 'egress';

/** TCX_* return codes of a tcx program. */
export const TcxAction = { NEXT: -1, PASS: 0, DROP: 2, REDIRECT: 7 } as const;

/**
 * Where to insert relative to: a loaded Program or a Link already on this
 * hook, one by id, or `true` for "before all" / "after all".
 */
export type TcxAnchor = Program | Link | { progId: number } | { linkId: number } | true;

export interface TcxOptions {
  /** Network namespace the interface lives in (name under /run/netns or a path). */
  netns?: NetnsRef;
  before?: TcxAnchor;
  after?: TcxAnchor;
  /** Fail with ESTALE unless the hook's revision (queryTcx().revision) still equals this. */
  expectedRevision?: bigint | number;
}

export function tcxAttachType(direction: TcxDirection): number {
  if (direction === 'ingress') return AttachType.TCX_INGRESS;
  if (direction === 'egress') return AttachType.TCX_EGRESS;
  throw new ArgumentError(`tcx direction '${String(direction)}': use 'ingress' or 'egress'`);
}

/** link_create/prog_attach flags and relative fd/id for before/after. */
function placement(opts: TcxOptions): { flags: number; relative: number } {
  if (opts.before !== undefined && opts.after !== undefined) throw new ArgumentError('tcx: give before or after, not both');
  const anchor = opts.before ?? opts.after;
  if (anchor === undefined) return { flags: 0, relative: 0 };
  let flags: number = opts.before !== undefined ? AttachFlags.BEFORE : AttachFlags.AFTER;
  let relative = 0;
  if (anchor === true) {
    // relative 0 with no ID/LINK flag: the front (before) or the back (after).
  } else if (anchor instanceof Program) {
    relative = anchor.fd;
  } else if (anchor instanceof Link) {
    relative = anchor.fd;
    flags |= AttachFlags.LINK;
  } else if ('progId' in anchor) {
    relative = anchor.progId;
    flags |= AttachFlags.ID;
  } else {
    relative = anchor.linkId;
    flags |= AttachFlags.ID | AttachFlags.LINK;
  }
  return { flags, relative };
}

function describe(iface: string | number, direction: TcxDirection, netns?: NetnsRef): string {
  return `tcx ${direction} of ${typeof iface === 'number' ? `ifindex ${iface}` : `'${iface}'`}${netns ? ` in netns ${netnsLabel(netns)}` : ''}`;
}

/**
 * Attach a SCHED_CLS program to an interface's tcx hook by bpf_link. To swap
 * the program later, use link.update(newProg); to replace a program attached
 * without a link, use attachTcxLegacy(..., { replace }).
 */
export function attachTcx(prog: Program, iface: string | number, direction: TcxDirection, opts: TcxOptions = {}): Link {
  const type = tcxAttachType(direction);
  const ifindex = resolveIfindex(iface, opts.netns);
  const { flags, relative } = placement(opts);
  // The kernel resolves target_ifindex in the caller's namespace.
  return inNetns(opts.netns, () => Link.create(prog, ifindex, type, {
    flags,
    extra: { tcx_relative_fd: relative, tcx_expected_revision: BigInt(opts.expectedRevision ?? 0) },
    what: `${describe(iface, direction, opts.netns)} (${prog.handle.description})`,
  }));
}

export interface TcxLegacyOptions extends TcxOptions {
  /** Atomically replace this program on the hook. */
  replace?: Program;
}

/**
 * Attach to tcx with BPF_PROG_ATTACH (no link); close() detaches this
 * program with BPF_PROG_DETACH.
 */
export function attachTcxLegacy(prog: Program, iface: string | number, direction: TcxDirection, opts: TcxLegacyOptions = {}): ProgAttachment {
  const type = tcxAttachType(direction);
  const ifindex = resolveIfindex(iface, opts.netns);
  const { flags, relative } = placement(opts);
  const target = opts.netns === undefined ? { kind: 'ifindex', ifindex } as const : { kind: 'ifindex', ifindex, netns: opts.netns } as const;
  return progAttach(prog, target, type, {
    flags, relative, replace: opts.replace, expectedRevision: opts.expectedRevision, what: describe(iface, direction, opts.netns),
  });
}

/** Programs (and their links) on a tcx hook, in run order, with the hook's revision. */
export function queryTcx(iface: string | number, direction: TcxDirection, opts: { netns?: NetnsRef } = {}): ProgQueryResult {
  const type = tcxAttachType(direction);
  const ifindex = resolveIfindex(iface, opts.netns);
  const target = opts.netns === undefined ? { kind: 'ifindex', ifindex } as const : { kind: 'ifindex', ifindex, netns: opts.netns } as const;
  return queryPrograms(target, type, { links: true, what: describe(iface, direction, opts.netns) });
}

/** tcx-specific link info. */
export function tcxLinkInfo(link: Link): { ifindex: number; direction: TcxDirection } {
  const info = link.info();
  if (info.type !== LinkType.TCX) throw new ArgumentError(`link ${info.id} is a ${info.typeName} link, not TCX`);
  const type = readU32(LinkInfo, info.raw, 'tcx_attach_type');
  return { ifindex: readU32(LinkInfo, info.raw, 'tcx_ifindex'), direction: type === AttachType.TCX_EGRESS ? 'egress' : 'ingress' };
}
