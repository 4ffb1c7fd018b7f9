// Attaching without a bpf_link: BPF_PROG_ATTACH / BPF_PROG_DETACH, and
// BPF_PROG_QUERY to list what is attached to a cgroup or interface hook.
// Minimum kernel: 4.10 (cgroups), 6.6 (tcx via PROG_ATTACH).
//
// A legacy attachment outlives every fd: the kernel keeps the program on the
// hook until someone detaches it. ProgAttachment holds its own reference to
// the program (BPF_PROG_GET_FD_BY_ID) and to the target, so close() can
// detach exactly this program even after the caller closed its Program.
//
// @example
// const a = attachCgroupLegacy(prog, cgroupDir, 'egress');        // built on progAttach()
// queryPrograms({ kind: 'ifindex', ifindex: 3 }, AttachType.TCX_INGRESS, { links: true, what: 'eth0' });
// a.close();                                                       // BPF_PROG_DETACH
import { FdHandle } from '../fd.js';
import { bpfRaw } from '../sys/syscall.js';
import { encode, read, readU32 } from '../sys/layout.js';
import { GetIdAttr, ProgAttachAttr, ProgQueryAttr } from '../sys/attrs.js';
import { AttachType, enumName } from '../sys/consts.js';
import { Errno } from '../sys/errno.js';
import { SyscallError } from '../errors.js';
import { inNetns, type NetnsRef } from '../net/netns.js';
import { programInfoByFd, type Program } from '../programs/program.js';
import type { Attachment } from './link.js';

/** What a program is attached to: an fd we own (cgroup), or an interface. */
export type AttachTarget =
  | { readonly kind: 'fd'; readonly fd: FdHandle }
  | { readonly kind: 'ifindex'; readonly ifindex: number; readonly netns?: NetnsRef };

/** A new fd for the program with this id (BPF_PROG_GET_FD_BY_ID). */
export function progFdById(id: number): FdHandle {
  const { ret } = bpfRaw('PROG_GET_FD_BY_ID', encode(GetIdAttr, { id }));
  if (ret < 0) throw new SyscallError('BPF_PROG_GET_FD_BY_ID', -ret, `program id ${id}`);
  return new FdHandle(ret, `program id ${id}`);
}

/** Raw fd or ifindex for the attr, run where the kernel will resolve it. */
function onTarget<T>(target: AttachTarget, fn: (targetFd: number) => T): T {
  return target.kind === 'fd' ? fn(target.fd.fd) : inNetns(target.netns, () => fn(target.ifindex));
}

export interface ProgAttachOptions {
  /** BPF_F_ALLOW_MULTI, BPF_F_BEFORE, ... (AttachFlags). */
  flags?: number;
  /** Program to replace atomically (adds BPF_F_REPLACE). */
  replace?: Program;
  /** mprog hooks: relative_fd / relative_id for BPF_F_BEFORE/AFTER. */
  relative?: number;
  expectedRevision?: bigint | number;
  /** For messages: "CGROUP_INET_EGRESS on cgroup /sys/fs/cgroup/lk1". */
  what: string;
}

/**
 * A program attached with BPF_PROG_ATTACH. close() issues BPF_PROG_DETACH
 * for exactly this program, then releases the fds it holds.
 */
export class ProgAttachment implements Attachment {
  readonly attachType: number;
  readonly progId: number;
  readonly description: string;
  readonly #target: AttachTarget;
  readonly #prog: FdHandle;
  #closed = false;

  constructor(target: AttachTarget, prog: FdHandle, attachType: number, progId: number, description: string) {
    this.#target = target;
    this.#prog = prog;
    this.attachType = attachType;
    this.progId = progId;
    this.description = description;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Detach (BPF_PROG_DETACH). Idempotent. When the program is no longer on the
   * hook (replaced or detached by someone else: ENOENT) or the target is gone
   * (interface or namespace deleted: ENODEV), there is nothing to undo and
   * close() just releases its fds.
   */
  close(): void {
    if (this.#closed) return;
    try {
      let ret: number;
      try {
        ret = onTarget(this.#target, (targetFd) => bpfRaw('PROG_DETACH', encode(ProgAttachAttr, {
          target_fd: targetFd,
          attach_bpf_fd: this.#prog.fd,
          attach_type: this.attachType,
        })).ret);
      } catch (e) {
        // The namespace itself is gone, and the interface with it.
        if (e instanceof SyscallError && e.syscall === 'open' && e.errno === Errno.ENOENT) return;
        throw e;
      }
      if (ret < 0 && ret !== -Errno.ENOENT && !(this.#target.kind === 'ifindex' && ret === -Errno.ENODEV)) {
        throw new SyscallError('BPF_PROG_DETACH', -ret, this.description);
      }
    } finally {
      this.#closed = true;
      this.#prog.close();
      if (this.#target.kind === 'fd') this.#target.fd.close();
    }
  }
}

/**
 * BPF_PROG_ATTACH `prog` to `target`. Takes ownership of an fd target
 * (closed with the attachment, or at once on failure).
 */
export function progAttach(prog: Program, target: AttachTarget, attachType: number, opts: ProgAttachOptions): ProgAttachment {
  let progRef: FdHandle | undefined;
  try {
    const progId = programInfoByFd(prog.fd).id;
    progRef = progFdById(progId);
    const flags = (opts.flags ?? 0) | (opts.replace ? 1 << 2 /* BPF_F_REPLACE */ : 0);
    const ret = onTarget(target, (targetFd) => bpfRaw('PROG_ATTACH', encode(ProgAttachAttr, {
      target_fd: targetFd,
      attach_bpf_fd: prog.fd,
      attach_type: attachType,
      attach_flags: flags,
      replace_bpf_fd: opts.replace?.fd ?? 0,
      relative_fd: opts.relative ?? 0,
      expected_revision: BigInt(opts.expectedRevision ?? 0),
    })).ret);
    if (ret < 0) throw new SyscallError('BPF_PROG_ATTACH', -ret, `${opts.what} (${prog.handle.description})`);
    return new ProgAttachment(target, progRef, attachType, progId, `${opts.what} (${prog.handle.description})`);
  } catch (e) {
    progRef?.close();
    if (target.kind === 'fd') target.fd.close();
    throw e;
  }
}

export interface ProgQueryResult {
  /** Flags of the hook (BPF_F_ALLOW_MULTI, ...) for cgroups; 0 for mprog hooks. */
  attachFlags: number;
  progIds: number[];
  /** Per-program attach flags (cgroups, non-effective queries). */
  progAttachFlags: number[];
  /** mprog hooks (tcx): the link id of each program, 0 when attached without a link. */
  linkIds: number[];
  /** mprog hooks: the hook's revision, for expectedRevision. */
  revision: bigint;
}

export interface QueryOptions {
  /** BPF_F_QUERY_EFFECTIVE (1): for cgroups, include programs inherited from ancestors. */
  queryFlags?: number;
  /** Ask for link ids and the revision (mprog hooks such as tcx). */
  links?: boolean;
  what: string;
}

/**
 * BPF_PROG_QUERY: the programs on one hook, in run order. Does not take
 * ownership of an fd target.
 */
export function queryPrograms(target: AttachTarget, attachType: number, opts: QueryOptions): ProgQueryResult {
  const effective = ((opts.queryFlags ?? 0) & 1) !== 0;
  let cap = 0;
  for (let attempt = 0; ; attempt++) {
    const progIds = cap ? new Uint32Array(cap) : null;
    // The kernel refuses per-program flags together with an effective query.
    const progFlags = cap && !effective ? new Uint32Array(cap) : null;
    const linkIds = cap && opts.links ? new Uint32Array(cap) : null;
    const linkFlags = cap && opts.links ? new Uint32Array(cap) : null;
    const { ret, attr } = onTarget(target, (targetFd) => bpfRaw('PROG_QUERY', encode(ProgQueryAttr, {
      target_fd: targetFd,
      attach_type: attachType,
      query_flags: opts.queryFlags ?? 0,
      prog_ids: progIds,
      prog_cnt: cap,
      prog_attach_flags: progFlags,
      link_ids: linkIds,
      link_attach_flags: linkFlags,
    })));
    const count = readU32(ProgQueryAttr, attr, 'prog_cnt');
    if (ret === -Errno.ENOSPC && attempt < 5) {
      cap = count; // programs were added between the two calls
      continue;
    }
    if (ret < 0) throw new SyscallError('BPF_PROG_QUERY', -ret, `${enumName(AttachType, attachType)} on ${opts.what}`);
    if (count > cap) {
      cap = count;
      continue;
    }
    const n = Math.min(count, cap);
    return {
      attachFlags: readU32(ProgQueryAttr, attr, 'attach_flags'),
      progIds: progIds ? [...progIds.subarray(0, n)] : [],
      progAttachFlags: progFlags ? [...progFlags.subarray(0, n)] : [],
      linkIds: linkIds ? [...linkIds.subarray(0, n)] : [],
      revision: opts.links ? read(ProgQueryAttr, attr, 'revision') as bigint : 0n,
    };
  }
}
