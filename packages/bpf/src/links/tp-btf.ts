// tp_btf: TRACING programs on a tracepoint with typed (BTF) arguments (5.5+).
// The program is loaded with expected attach type TRACE_RAW_TP and the kernel
// BTF id of the typedef `btf_trace_<tracepoint>`, then attached by
// BPF_RAW_TRACEPOINT_OPEN with no name ('open', 5.5+) or BPF_LINK_CREATE
// ('link', 5.x+). Arguments arrive as u64 slots: ctx[0] is the first one.
//
// @example
// const prog = loadTpBtf({ tracepoint: 'sched_process_exec', instructions: assemble('r0 = 0\nexit') });
// const link = attachTpBtf(prog);
// ... link.close(); prog.close();
import { Program, type ProgramLoadOptions } from '../programs/program.js';
import { Link } from './link.js';
import { bpfRaw } from '../sys/syscall.js';
import { encode } from '../sys/layout.js';
import { LinkCreateAttr } from '../sys/attrs.js';
import { AttachType, ProgType } from '../sys/consts.js';
import { SyscallError } from '../errors.js';
import { kernelTypeId } from '../btf/kernel-btf.js';
import { openRawTracepoint } from './raw-tracepoint.js';

/** What Program.load needs for a tp_btf program on `tracepoint` (e.g. 'sched_process_exec'). */
export function tpBtfLoadOptions(tracepoint: string): Pick<ProgramLoadOptions, 'type' | 'expectedAttachType' | 'attachBtfId'> {
  return {
    type: ProgType.TRACING,
    expectedAttachType: AttachType.TRACE_RAW_TP,
    attachBtfId: kernelTypeId(`btf_trace_${tracepoint}`, 'TYPEDEF', `tp_btf '${tracepoint}'`),
  };
}

/** Load a tp_btf program for `tracepoint`. */
export function loadTpBtf(opts: Omit<ProgramLoadOptions, 'type' | 'expectedAttachType' | 'attachBtfId'> & { tracepoint: string }): Program {
  const { tracepoint, ...rest } = opts;
  return Program.load({ ...rest, ...tpBtfLoadOptions(tracepoint) });
}

/** Attach a loaded tp_btf program (its target is in its attach BTF id). */
export function attachTpBtf(prog: Program, opts: { mode?: 'open' | 'link'; cookie?: bigint | number } = {}): Link {
  if ((opts.mode ?? 'open') === 'open') return openRawTracepoint(prog, null, { cookie: opts.cookie });
  const what = `tp_btf link of ${prog.handle.description}`;
  const { ret } = bpfRaw('LINK_CREATE', encode(LinkCreateAttr, {
    prog_fd: prog.fd, target_fd: 0, attach_type: AttachType.TRACE_RAW_TP,
    tracing_cookie: opts.cookie === undefined ? undefined : BigInt(opts.cookie),
  }));
  if (ret < 0) throw new SyscallError('BPF_LINK_CREATE', -ret, what);
  return new Link(ret, what);
}
