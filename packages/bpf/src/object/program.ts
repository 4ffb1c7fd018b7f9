// A program of a loaded object: a Program (usable everywhere one is) that
// also knows its section (`def`) and attaches itself by it.
//
// @example
// const p = obj.program('handle_exec'); // SEC("tracepoint/sched/sched_process_exec")
// p.def.kind;                           // 'tracepoint'
// const link = p.attach(); ... link.close();
import type { ProgramSpec, SectionDef } from '@lockne/obj';
import type { Program } from '../programs/program.js';
import type { Attachment } from '../links/link.js';
import { AttachType, ProgType } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';
import { kernelTypeId } from '../btf/kernel-btf.js';
import { attachBySection, type ObjectAttachOptions } from './attach.js';

export interface ObjectProgram extends Program {
  /** The section it came from, as libbpf reads the section name. */
  readonly def: SectionDef;
  /** Its function name (Program.name is the kernel's, at most 15 characters). */
  readonly functionName: string;
  /** Attach where the section name says; options supply what it cannot say. */
  attach(opts?: ObjectAttachOptions): Attachment;
}

/** Give a loaded Program its section and attach(). */
export function asObjectProgram(p: Program, spec: ProgramSpec): ObjectProgram {
  const def = spec.def;
  Object.defineProperties(p, {
    def: { value: def, enumerable: true },
    functionName: { value: spec.name, enumerable: true },
    attach: { value: (opts?: ObjectAttachOptions) => attachBySection(p, def, opts) },
  });
  return p as ObjectProgram;
}

/** Kernel program name: the function name cut to 15 characters of [A-Za-z0-9_.]. */
export function kernelProgName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}

/**
 * attach_btf_id for kinds that name their target by kernel BTF: tp_btf ->
 * typedef btf_trace_<tp>, fentry/fexit/fmod_ret -> the function, lsm ->
 * bpf_lsm_<hook>, iter -> bpf_iter_<target>. Undefined for other kinds.
 */
export function attachBtfId(spec: ProgramSpec): number | undefined {
  const def = spec.def;
  if (!def.needsAttachBtf) return undefined;
  const what = `program '${spec.name}' (section '${def.section}')`;
  if (def.progType === ProgType.EXT) {
    throw new ArgumentError(`${what}: freplace programs need a target program, which BpfObject.load cannot supply; load it with Program.load({ attachFd, attachBtfId })`);
  }
  const target = def.target;
  if (!target) throw new ArgumentError(`${what}: the section names no attach target (e.g. '${def.kind}/<name>')`);
  switch (def.expectedAttachType) {
    case AttachType.TRACE_RAW_TP: return kernelTypeId(`btf_trace_${target}`, 'TYPEDEF', `${what}: tp_btf '${target}'`);
    case AttachType.TRACE_ITER: return kernelTypeId(`bpf_iter_${target}`, 'FUNC', `${what}: iterator '${target}'`);
    case AttachType.LSM_MAC:
    case AttachType.LSM_CGROUP: return kernelTypeId(`bpf_lsm_${target}`, 'FUNC', `${what}: LSM hook '${target}'`);
    default: return kernelTypeId(target, 'FUNC', `${what}: function '${target}'`);
  }
}
