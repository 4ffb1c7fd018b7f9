// Loading an object's programs: relocate a copy of the instructions, apply
// CO-RE, then BPF_PROG_LOAD with the section's program type, expected attach
// type, attach BTF id and flags, the object's license and kernel version, and
// the loaded BTF with func_info/line_info. A rejection becomes an
// ObjectVerifierError naming the program, its section and (with line info)
// the source line of the failing instruction.
import type { ProgramSpec } from '@lockne/obj';
import { Program } from '../programs/program.js';
import { SyscallError, VerifierError } from '../errors.js';
import { ObjectLoadError, ObjectVerifierError } from './errors.js';
import { encodeBtfExt, lastLoggedInsn, sourceOf } from './func-info.js';
import { POISON_CALL_KFUNC_BASE, relocate, type RelocEnv } from './relocate.js';
import { applyCore, type CoreContext } from './core.js';
import { asObjectProgram, attachBtfId, kernelProgName, type ObjectProgram } from './program.js';
import { kernelVersionCode } from './kconfig.js';
import type { LoadContext } from './options.js';
import type { Undo } from './cleanup.js';

/**
 * Which programs to load: those named in opts.programs (unknown names are an
 * error), else every program except `SEC("?...")` ones (autoload false).
 */
export function selectPrograms(ctx: LoadContext): ProgramSpec[] {
  const all = ctx.spec.programs;
  const want = ctx.opts.programs;
  if (!want) return all.filter((p) => p.autoload !== false);
  const names = new Set(all.map((p) => p.name));
  const unknown = want.filter((n) => !names.has(n));
  if (unknown.length) {
    throw new ObjectLoadError('option programs', `no program ${unknown.map((n) => `'${n}'`).join(', ')} in the object (has ${[...names].join(', ')})`);
  }
  const set = new Set(want);
  return all.filter((p) => set.has(p.name));
}

/** Load every selected program; each is registered with `undo`. */
export function loadPrograms(ctx: LoadContext, env: RelocEnv, core: CoreContext, undo: Undo): Map<string, ObjectProgram> {
  const out = new Map<string, ObjectProgram>();
  const kernVersion = ctx.spec.kernelVersion || kernelVersionCode();
  for (const spec of selectPrograms(ctx)) {
    const insns = relocate(spec, env);
    const coreNotes = applyCore(core, spec, insns);
    const attach = attachBtfId(spec);
    const ext = ctx.btf ? encodeBtfExt(spec) : undefined;
    let prog: Program;
    try {
      prog = Program.load({
        type: spec.def.progType,
        instructions: insns,
        license: ctx.spec.license,
        name: kernelProgName(spec.name),
        expectedAttachType: spec.def.expectedAttachType,
        attachBtfId: attach,
        flags: spec.def.progFlags,
        kernVersion,
        logLevel: ctx.opts.logLevel,
        btf: ctx.btf && ext ? { fd: ctx.btf.fd, ...ext } : undefined,
      });
    } catch (e) {
      throw describeFailure(e, spec, ctx, coreNotes);
    }
    undo.track(prog);
    out.set(spec.name, asObjectProgram(prog, spec));
  }
  return out;
}

/** Name the program and section in a load failure, with the source line when known. */
function describeFailure(e: unknown, spec: ProgramSpec, ctx: LoadContext, coreNotes: ReadonlyMap<number, string>): unknown {
  if (e instanceof VerifierError) {
    const insn = lastLoggedInsn(e.log);
    const src = insn === undefined ? undefined : sourceOf(spec, ctx.btfReader, insn);
    const hints: string[] = [];
    const core = insn === undefined ? undefined : coreNotes.get(insn);
    if (core) hints.push(`CO-RE relocation at insn ${insn} failed: ${core}`);
    const kfunc = /invalid func unknown#(\d+)/.exec(e.log);
    const ext = kfunc ? ctx.spec.externs[Number(kfunc[1]) - POISON_CALL_KFUNC_BASE] : undefined;
    if (ext) hints.push(`kfunc '${ext.name}' is called but the kernel does not have it (__weak, unresolved): guard the call with bpf_ksym_exists()`);
    const err = new ObjectVerifierError(e, spec.name, spec.def.section, src, hints);
    return err;
  }
  if (e instanceof SyscallError) {
    const err = new SyscallError(e.syscall, e.errno, `program '${spec.name}' in section '${spec.def.section}'`);
    err.cause = e;
    return err;
  }
  return e;
}
