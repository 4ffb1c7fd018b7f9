// RAW_TRACEPOINT programs (4.17+): run on a kernel tracepoint with its raw
// arguments (struct bpf_raw_tracepoint_args: u64 args[]), with no perf event
// and no tracefs. BPF_RAW_TRACEPOINT_OPEN is their only attach command (there
// is no BPF_LINK_CREATE form for a named raw tracepoint); it returns a
// bpf_link. A cookie for bpf_get_attach_cookie needs 6.10+.
//
// @example
// const prog = Program.load({ type: 'RAW_TRACEPOINT', instructions: assemble('r0 = 0\nexit') });
// const link = attachRawTracepoint(prog, 'sched_process_exec');
// ... link.close();
import { Link } from './link.js';
import { bpfRaw } from '../sys/syscall.js';
import { encode } from '../sys/layout.js';
import { RawTracepointAttr } from '../sys/attrs.js';
import { ArgumentError, NotSupportedError, SyscallError } from '../errors.js';
import { Errno } from '../sys/errno.js';
import type { Program } from '../programs/program.js';

export interface RawTracepointOptions {
  /** Value bpf_get_attach_cookie() returns in the program (6.10+). */
  cookie?: bigint | number;
}

/**
 * BPF_RAW_TRACEPOINT_OPEN for `prog`. `name` is the tracepoint's name without
 * its category ('sched_process_exec', 'sys_enter'); null for programs that
 * carry their target in their attach BTF id (tp_btf, fentry/fexit, LSM).
 */
export function openRawTracepoint(prog: Program, name: string | null, opts: RawTracepointOptions = {}): Link {
  if (name !== null && !/^[A-Za-z0-9_]+$/.test(name)) throw new ArgumentError(`raw tracepoint name '${name}': use [A-Za-z0-9_]`);
  const what = `raw tracepoint ${name ?? '(BTF target)'} of ${prog.handle.description}`;
  const { ret } = bpfRaw('RAW_TRACEPOINT_OPEN', encode(RawTracepointAttr, {
    name: name === null ? null : new TextEncoder().encode(`${name}\0`),
    prog_fd: prog.fd,
    cookie: opts.cookie === undefined ? undefined : BigInt(opts.cookie),
  }));
  if (ret === -Errno.ENOENT && name !== null) {
    throw new NotSupportedError(`BPF_RAW_TRACEPOINT_OPEN: no raw tracepoint '${name}' in this kernel (ENOENT)`);
  }
  if (ret < 0) throw new SyscallError('BPF_RAW_TRACEPOINT_OPEN', -ret, what);
  return new Link(ret, what);
}

/** Attach a RAW_TRACEPOINT program to tracepoint `name`. */
export function attachRawTracepoint(prog: Program, name: string, opts: RawTracepointOptions = {}): Link {
  return openRawTracepoint(prog, name, opts);
}
