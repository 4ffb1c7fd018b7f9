// BPF iterators (5.8+): a TRACING program with expected attach type
// TRACE_ITER and the BTF id of `bpf_iter_<target>` ('task', 'bpf_map',
// 'bpf_map_elem', 'tcp', 'cgroup', ...), attached by BPF_LINK_CREATE. Each
// BPF_ITER_CREATE on the link gives a file whose read() runs the program over
// every object; bpf_seq_printf / bpf_seq_write produce the file's contents.
//
// @example
// const prog = loadIter({ target: 'task', instructions: assemble(`...`) });
// const text = iterate(prog).toString(); // one pass, link closed afterwards
// const link = attachIter(prog); link.read(); link.read(); link.close();
import fs from 'node:fs';
import { Program, type ProgramLoadOptions } from '../programs/program.js';
import { Link } from './link.js';
import { FdHandle } from '../fd.js';
import { bpfRaw } from '../sys/syscall.js';
import { encode } from '../sys/layout.js';
import { IterCreateAttr, IterLinkInfo, LinkCreateAttr } from '../sys/attrs.js';
import { AttachType, ProgType } from '../sys/consts.js';
import { SyscallError } from '../errors.js';
import { kernelTypeId } from '../btf/kernel-btf.js';

/** What Program.load needs for an iterator over `target` (e.g. 'task', 'bpf_map_elem'). */
export function iterLoadOptions(target: string): Pick<ProgramLoadOptions, 'type' | 'expectedAttachType' | 'attachBtfId'> {
  return {
    type: ProgType.TRACING,
    expectedAttachType: AttachType.TRACE_ITER,
    attachBtfId: kernelTypeId(`bpf_iter_${target}`, 'FUNC', `iterator '${target}'`),
  };
}

/** Load an iterator program over `target`. */
export function loadIter(opts: Omit<ProgramLoadOptions, 'type' | 'expectedAttachType' | 'attachBtfId'> & { target: string }): Program {
  const { target, ...rest } = opts;
  return Program.load({ ...rest, ...iterLoadOptions(target) });
}

/** Parameters of the iterated set (union bpf_iter_link_info); at most one group. */
export interface IterOptions {
  /** bpf_map_elem, sk_storage_map...: the map whose elements to visit. */
  map?: { fd: number } | number;
  /** task, task_file, task_vma (6.1+): only this thread, process, or pidfd's process. */
  task?: { tid?: number; pid?: number; pidFd?: number };
  /** cgroup (6.1+): where to start and the walk order (0 default, 1 self only, 2 descendants pre, 3 post, 4 ancestors up). */
  cgroup?: { fd?: number; id?: bigint | number; order?: number };
}

const READ_CHUNK = 64 * 1024;

/** An iterator link: every read() is a fresh pass over the objects. */
export class IterLink extends Link {
  /** BPF_ITER_CREATE: a new readable file for one pass. The caller closes it. */
  open(): FdHandle {
    const { ret } = bpfRaw('ITER_CREATE', encode(IterCreateAttr, { link_fd: this.fd, flags: 0 }));
    if (ret < 0) throw new SyscallError('BPF_ITER_CREATE', -ret, this.handle.description);
    return new FdHandle(ret, `iterator file of ${this.handle.description}`);
  }

  /** One full pass: everything the program wrote, read until EOF. */
  read(): Buffer {
    const file = this.open();
    try {
      const chunks: Buffer[] = [];
      for (;;) {
        const buf = Buffer.allocUnsafe(READ_CHUNK);
        const n = fs.readSync(file.fd, buf, 0, READ_CHUNK, null);
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
      }
      return Buffer.concat(chunks);
    } finally {
      file.close();
    }
  }
}

/** Attach an iterator program (BPF_LINK_CREATE, attach type TRACE_ITER). */
export function attachIter(prog: Program, opts: IterOptions = {}): IterLink {
  let info: Uint8Array | null = null;
  if (opts.map !== undefined) {
    info = encode(IterLinkInfo, { map_fd: typeof opts.map === 'number' ? opts.map : opts.map.fd }).bytes;
  } else if (opts.task) {
    info = encode(IterLinkInfo, { task_tid: opts.task.tid ?? 0, task_pid: opts.task.pid ?? 0, task_pid_fd: opts.task.pidFd ?? 0 }).bytes;
  } else if (opts.cgroup) {
    info = encode(IterLinkInfo, { cgroup_order: opts.cgroup.order ?? 0, cgroup_fd: opts.cgroup.fd ?? 0, cgroup_id: BigInt(opts.cgroup.id ?? 0) }).bytes;
  }
  const what = `iterator link of ${prog.handle.description}`;
  const { ret } = bpfRaw('LINK_CREATE', encode(LinkCreateAttr, {
    prog_fd: prog.fd, target_fd: 0, attach_type: AttachType.TRACE_ITER, iter_info: info, iter_info_len: info?.byteLength ?? 0,
  }));
  if (ret < 0) throw new SyscallError('BPF_LINK_CREATE', -ret, what);
  return new IterLink(ret, what);
}

/** Attach, read one pass, detach: the iterator's whole output. */
export function iterate(prog: Program, opts: IterOptions = {}): Buffer {
  const link = attachIter(prog, opts);
  try {
    return link.read();
  } finally {
    link.close();
  }
}
