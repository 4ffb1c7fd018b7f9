// cgroup hooks: attach a program to a cgroup v2 directory, by bpf_link
// (minimum kernel 5.7) or by legacy BPF_PROG_ATTACH (4.10+), and query what
// is attached (BPF_PROG_QUERY).
//
// @example
// const prog = Program.load({ type: 'CGROUP_SOCK', expectedAttachType: 'CGROUP_INET_SOCK_CREATE', instructions });
// const link = attachCgroup(prog, '/sys/fs/cgroup/unified/lk1', 'sock_create');
// queryCgroup('/sys/fs/cgroup/unified/lk1', 'sock_create').progIds; // [prog id]
// link.close();
import fs from 'node:fs';
import { FdHandle } from '../fd.js';
import { readU32, read } from '../sys/layout.js';
import { LinkInfo } from '../sys/attrs.js';
import { AttachFlags, AttachType, LinkType, type AttachTypeName, type ProgTypeName } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';
import { openCgroup } from '../net/cgroup.js';
import { fsError } from '../net/fs-error.js';
import type { Program } from '../programs/program.js';
import { Link } from './link.js';
import { progAttach, queryPrograms, type ProgAttachment, type ProgQueryResult } from './attach-legacy.js';

/**
 * Every cgroup hook, by short name: the attach type and the program type it
 * takes. (Programs of the *_SOCK, *_SOCK_ADDR and SOCKOPT types must be
 * loaded with the matching expectedAttachType.)
 */
export const CgroupHooks = {
  ingress: { attachType: 'CGROUP_INET_INGRESS', progType: 'CGROUP_SKB' },
  egress: { attachType: 'CGROUP_INET_EGRESS', progType: 'CGROUP_SKB' },
  sock_create: { attachType: 'CGROUP_INET_SOCK_CREATE', progType: 'CGROUP_SOCK' },
  sock_release: { attachType: 'CGROUP_INET_SOCK_RELEASE', progType: 'CGROUP_SOCK' },
  post_bind4: { attachType: 'CGROUP_INET4_POST_BIND', progType: 'CGROUP_SOCK' },
  post_bind6: { attachType: 'CGROUP_INET6_POST_BIND', progType: 'CGROUP_SOCK' },
  bind4: { attachType: 'CGROUP_INET4_BIND', progType: 'CGROUP_SOCK_ADDR' },
  bind6: { attachType: 'CGROUP_INET6_BIND', progType: 'CGROUP_SOCK_ADDR' },
  connect4: { attachType: 'CGROUP_INET4_CONNECT', progType: 'CGROUP_SOCK_ADDR' },
  connect6: { attachType: 'CGROUP_INET6_CONNECT', progType: 'CGROUP_SOCK_ADDR' },
  sendmsg4: { attachType: 'CGROUP_UDP4_SENDMSG', progType: 'CGROUP_SOCK_ADDR' },
  sendmsg6: { attachType: 'CGROUP_UDP6_SENDMSG', progType: 'CGROUP_SOCK_ADDR' },
  recvmsg4: { attachType: 'CGROUP_UDP4_RECVMSG', progType: 'CGROUP_SOCK_ADDR' },
  recvmsg6: { attachType: 'CGROUP_UDP6_RECVMSG', progType: 'CGROUP_SOCK_ADDR' },
  getpeername4: { attachType: 'CGROUP_INET4_GETPEERNAME', progType: 'CGROUP_SOCK_ADDR' },
  getpeername6: { attachType: 'CGROUP_INET6_GETPEERNAME', progType: 'CGROUP_SOCK_ADDR' },
  getsockname4: { attachType: 'CGROUP_INET4_GETSOCKNAME', progType: 'CGROUP_SOCK_ADDR' },
  getsockname6: { attachType: 'CGROUP_INET6_GETSOCKNAME', progType: 'CGROUP_SOCK_ADDR' },
  unix_connect: { attachType: 'CGROUP_UNIX_CONNECT', progType: 'CGROUP_SOCK_ADDR' },
  unix_sendmsg: { attachType: 'CGROUP_UNIX_SENDMSG', progType: 'CGROUP_SOCK_ADDR' },
  unix_recvmsg: { attachType: 'CGROUP_UNIX_RECVMSG', progType: 'CGROUP_SOCK_ADDR' },
  unix_getpeername: { attachType: 'CGROUP_UNIX_GETPEERNAME', progType: 'CGROUP_SOCK_ADDR' },
  unix_getsockname: { attachType: 'CGROUP_UNIX_GETSOCKNAME', progType: 'CGROUP_SOCK_ADDR' },
  sock_ops: { attachType: 'CGROUP_SOCK_OPS', progType: 'SOCK_OPS' },
  getsockopt: { attachType: 'CGROUP_GETSOCKOPT', progType: 'CGROUP_SOCKOPT' },
  setsockopt: { attachType: 'CGROUP_SETSOCKOPT', progType: 'CGROUP_SOCKOPT' },
  sysctl: { attachType: 'CGROUP_SYSCTL', progType: 'CGROUP_SYSCTL' },
  device: { attachType: 'CGROUP_DEVICE', progType: 'CGROUP_DEVICE' },
} as const satisfies Record<string, { attachType: AttachTypeName; progType: ProgTypeName }>;

export type CgroupHook = keyof typeof CgroupHooks;
/** A cgroup: its path (absolute, or relative to the cgroup2 root) or an open directory fd. */
export type CgroupRef = string | number;

const CGROUP_ATTACH_TYPES: ReadonlySet<number> = new Set(Object.values(CgroupHooks).map((h) => AttachType[h.attachType]));

/** Attach type number for a hook name, a full attach type name, or a number. */
export function cgroupAttachType(hook: CgroupHook | AttachTypeName | number): number {
  const n = typeof hook === 'number' ? hook
    : hook in CgroupHooks ? AttachType[CgroupHooks[hook as CgroupHook].attachType]
    : AttachType[hook as AttachTypeName];
  if (n === undefined || !CGROUP_ATTACH_TYPES.has(n)) {
    throw new ArgumentError(`'${String(hook)}' is not a cgroup attach type (use one of ${Object.keys(CgroupHooks).join(', ')})`);
  }
  return n;
}

/** Program type a hook takes, e.g. 'CGROUP_SOCK_ADDR' for 'connect4'. */
export function cgroupProgType(hook: CgroupHook): ProgTypeName {
  return CgroupHooks[hook].progType;
}

/** An owned fd for the cgroup: opened from a path, or a fresh open of a given fd. */
function ownCgroupFd(cgroup: CgroupRef): { handle: FdHandle; what: string } {
  if (typeof cgroup === 'string') {
    return { handle: new FdHandle(openCgroup(cgroup), `cgroup ${cgroup}`), what: `cgroup ${cgroup}` };
  }
  if (!Number.isInteger(cgroup) || cgroup < 0) throw new ArgumentError(`cgroup fd ${cgroup}: must be a non-negative integer`);
  // Reopen through /proc so the caller's fd stays theirs to close.
  let fd: number;
  try {
    fd = fs.openSync(`/proc/self/fd/${cgroup}`, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  } catch (e) {
    throw fsError('open', e, `cgroup fd ${cgroup}`);
  }
  return { handle: new FdHandle(fd, `cgroup fd ${cgroup}`), what: `cgroup fd ${cgroup}` };
}

/**
 * Attach by bpf_link (BPF_LINK_CREATE). Several links may share a hook; they
 * run in attach order. Closing the link detaches (unless it is pinned).
 */
export function attachCgroup(prog: Program, cgroup: CgroupRef, hook: CgroupHook | AttachTypeName | number): Link {
  const type = cgroupAttachType(hook);
  const { handle, what } = ownCgroupFd(cgroup);
  try {
    // The link keeps its own reference to the cgroup.
    return Link.create(prog, handle.fd, type, { what: `${String(hook)} link on ${what} (${prog.handle.description})` });
  } finally {
    handle.close();
  }
}

export interface CgroupLegacyOptions {
  /**
   * 'multi' (default): BPF_F_ALLOW_MULTI, programs stack; 'override':
   * BPF_F_ALLOW_OVERRIDE, a child cgroup's program replaces this one;
   * 'exclusive': no flag, the only program on this hook.
   */
  mode?: 'multi' | 'override' | 'exclusive';
  /** Atomically replace this program (BPF_F_REPLACE, multi mode). */
  replace?: Program;
}

/**
 * Attach with BPF_PROG_ATTACH. The returned attachment's close() detaches
 * this program (BPF_PROG_DETACH), even if `prog` was closed meanwhile.
 */
export function attachCgroupLegacy(prog: Program, cgroup: CgroupRef, hook: CgroupHook | AttachTypeName | number, opts: CgroupLegacyOptions = {}): ProgAttachment {
  const type = cgroupAttachType(hook);
  const mode = opts.mode ?? 'multi';
  const flags = mode === 'multi' ? AttachFlags.ALLOW_MULTI : mode === 'override' ? AttachFlags.ALLOW_OVERRIDE : 0;
  const { handle, what } = ownCgroupFd(cgroup);
  return progAttach(prog, { kind: 'fd', fd: handle }, type, { flags, replace: opts.replace, what: `${String(hook)} on ${what}` });
}

export interface CgroupQueryOptions {
  /** Include programs inherited from ancestor cgroups (BPF_F_QUERY_EFFECTIVE). */
  effective?: boolean;
}

/** Programs attached to one hook of a cgroup (BPF_PROG_QUERY), in run order. */
export function queryCgroup(cgroup: CgroupRef, hook: CgroupHook | AttachTypeName | number, opts: CgroupQueryOptions = {}): ProgQueryResult {
  const type = cgroupAttachType(hook);
  const { handle, what } = ownCgroupFd(cgroup);
  try {
    return queryPrograms({ kind: 'fd', fd: handle }, type, { queryFlags: opts.effective ? 1 : 0, what });
  } finally {
    handle.close();
  }
}

/** Cgroup-specific link info: the cgroup id (inode of its directory) and attach type. */
export function cgroupLinkInfo(link: Link): { cgroupId: bigint; attachType: number } {
  const info = link.info();
  if (info.type !== LinkType.CGROUP) throw new ArgumentError(`link ${info.id} is a ${info.typeName} link, not CGROUP`);
  return { cgroupId: read(LinkInfo, info.raw, 'cgroup_id') as bigint, attachType: readU32(LinkInfo, info.raw, 'cgroup_attach_type') };
}
