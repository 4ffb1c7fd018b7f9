// fentry / fexit / fmod_ret (TRACING, 5.5+; fmod_ret 5.7+) and BPF LSM (LSM,
// 5.7+): programs on BPF trampolines, targeting a kernel function by its BTF id.
// fentry/fexit name any traceable function; fmod_ret only functions marked
// error-injectable; LSM the hook `bpf_lsm_<hook>` ('file_open', 'bprm_check_security').
// Attach by BPF_RAW_TRACEPOINT_OPEN with no name ('open') or BPF_LINK_CREATE
// with the kind's attach type ('link', needed for a cookie).
//
// Kernels that forbid trampolines refuse these at BPF_PROG_LOAD with EPERM and
// an empty verifier log: Program.load throws VerifierError (code 'EPERM').
//
// @example
// const prog = loadTracing('fentry', 'do_unlinkat', { instructions: assemble('r0 = 0\nexit') });
// const link = attachTracing(prog, 'fentry');
import { Program, type ProgramLoadOptions } from '../programs/program.js';
import { Link } from './link.js';
import { AttachType, ProgType } from '../sys/consts.js';
import { kernelTypeId } from '../btf/kernel-btf.js';
import { openRawTracepoint } from './raw-tracepoint.js';

export type TracingKind = 'fentry' | 'fexit' | 'fmod_ret' | 'lsm';

const ATTACH: Record<TracingKind, number> = {
  fentry: AttachType.TRACE_FENTRY,
  fexit: AttachType.TRACE_FEXIT,
  fmod_ret: AttachType.MODIFY_RETURN,
  lsm: AttachType.LSM_MAC,
};

/** What Program.load needs for a `kind` program on `target` (a function, or an LSM hook name without `bpf_lsm_`). */
export function tracingLoadOptions(kind: TracingKind, target: string): Pick<ProgramLoadOptions, 'type' | 'expectedAttachType' | 'attachBtfId'> {
  const func = kind === 'lsm' ? `bpf_lsm_${target}` : target;
  return {
    type: kind === 'lsm' ? ProgType.LSM : ProgType.TRACING,
    expectedAttachType: ATTACH[kind],
    attachBtfId: kernelTypeId(func, 'FUNC', `${kind} '${target}'`),
  };
}

/** Load a `kind` program on `target`. */
export function loadTracing(kind: TracingKind, target: string,
  opts: Omit<ProgramLoadOptions, 'type' | 'expectedAttachType' | 'attachBtfId'>): Program {
  return Program.load({ ...opts, ...tracingLoadOptions(kind, target) });
}

/** Attach a loaded fentry/fexit/fmod_ret/LSM program; `kind` must be the one it was loaded as. */
export function attachTracing(prog: Program, kind: TracingKind, opts: { mode?: 'open' | 'link'; cookie?: bigint | number } = {}): Link {
  if ((opts.mode ?? 'open') === 'open' && opts.cookie === undefined) return openRawTracepoint(prog, null);
  return Link.create(prog, 0, ATTACH[kind], {
    what: `${kind} link of ${prog.handle.description}`,
    extra: { tracing_cookie: BigInt(opts.cookie ?? 0) },
  });
}
