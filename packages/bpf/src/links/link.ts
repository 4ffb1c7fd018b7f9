// bpf_link: the kernel object that keeps a program attached while its fd (or a
// pin) lives. Per-kind files (cgroup.ts, tcx.ts, xdp.ts, ...) create links;
// this file holds what they share.
import { FdHandle } from '../fd.js';
import { bpfRaw } from '../sys/syscall.js';
import { encode, readU32, type Values } from '../sys/layout.js';
import { LinkCreateAttr, LinkDetachAttr, LinkInfo, LinkUpdateAttr } from '../sys/attrs.js';
import { AttachType, LinkType, enumName, type AttachTypeName } from '../sys/consts.js';
import { objInfo } from '../sys/info.js';
import { SyscallError } from '../errors.js';
import type { Program } from '../programs/program.js';

export interface LinkInfoResult {
  id: number;
  type: number;
  typeName: string;
  progId: number;
  /** Raw info bytes for kind-specific fields (see LinkInfo in sys/attrs.ts). */
  raw: Uint8Array;
}

/** Anything that holds an attachment and can be released. */
export interface Attachment {
  /** Undo the attachment (close the link fd, or PROG_DETACH for legacy). Idempotent. */
  close(): void;
}

/**
 * An attached program held by a bpf_link fd. Closing the fd detaches it unless
 * the link is pinned.
 */
export class Link implements Attachment {
  readonly handle: FdHandle;

  constructor(fd: number, what: string) {
    this.handle = new FdHandle(fd, what);
  }

  get fd(): number {
    return this.handle.fd;
  }

  /**
   * BPF_LINK_CREATE. `extra` sets the kind-specific tail (tcx, perf_event,
   * iter_info, netfilter...).
   */
  static create(prog: Program, targetFd: number, attachType: AttachTypeName | number, opts: {
    flags?: number;
    extra?: Values<typeof LinkCreateAttr.fields>;
    what?: string;
  } = {}): Link {
    const type = typeof attachType === 'number' ? attachType : AttachType[attachType];
    const { ret } = bpfRaw('LINK_CREATE', encode(LinkCreateAttr, {
      prog_fd: prog.fd,
      target_fd: targetFd,
      attach_type: type,
      flags: opts.flags ?? 0,
      ...opts.extra,
    }));
    const what = opts.what ?? `${enumName(AttachType, type)} link of ${prog.handle.description}`;
    if (ret < 0) throw new SyscallError('BPF_LINK_CREATE', -ret, what);
    return new Link(ret, what);
  }

  /**
   * Wrap a link fd you own (from BPF_OBJ_GET, BPF_LINK_GET_FD_BY_ID, ...). The
   * Link takes ownership of `fd`; closing it detaches unless the link is pinned.
   */
  static fromFd(fd: number): Link {
    const info = linkInfoByFd(fd);
    return new Link(fd, `${info.typeName} link ${info.id} (prog ${info.progId})`);
  }

  /** Atomically replace the attached program (BPF_LINK_UPDATE). */
  update(newProg: Program, opts: { oldProg?: Program } = {}): void {
    const { ret } = bpfRaw('LINK_UPDATE', encode(LinkUpdateAttr, {
      link_fd: this.fd,
      new_prog_fd: newProg.fd,
      old_prog_fd: opts.oldProg?.fd ?? 0,
      flags: opts.oldProg ? 1 << 2 /* BPF_F_REPLACE */ : 0,
    }));
    if (ret < 0) throw new SyscallError('BPF_LINK_UPDATE', -ret, this.handle.description);
  }

  /** Detach now even if pinned or shared (BPF_LINK_DETACH); the fd stays open until close(). */
  detach(): void {
    const { ret } = bpfRaw('LINK_DETACH', encode(LinkDetachAttr, { link_fd: this.fd }));
    if (ret < 0) throw new SyscallError('BPF_LINK_DETACH', -ret, this.handle.description);
  }

  info(): LinkInfoResult {
    return linkInfoByFd(this.fd);
  }

  close(): void {
    this.handle.close();
  }
}

/** bpf_link_info for any link fd. */
export function linkInfoByFd(fd: number): LinkInfoResult {
  const raw = objInfo(fd, LinkInfo);
  const type = readU32(LinkInfo, raw, 'type');
  return { id: readU32(LinkInfo, raw, 'id'), type, typeName: enumName(LinkType, type), progId: readU32(LinkInfo, raw, 'prog_id'), raw };
}

