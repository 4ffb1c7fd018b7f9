// Resolve and patch every CO-RE record of one linked program.
//
// @example
// const resolver = new CoreResolver(objectBtf, kernelBtf);            // one per object: it caches candidates
// const { instructions, outcomes } = applyCoreRelos(prog.instructions, prog.coreRelos, resolver, { program: prog.name });
// for (const o of outcomes) if (o.patch.poisoned) console.warn(o.result.explanation);
import type { Instruction } from '../insn/instruction.js';
import type { CoreRelo } from '../object/spec.js';
import { patchCoreInsn, type CorePatch } from './patch.js';
import type { CoreResolver, CoreResult } from './resolve.js';

export interface CoreOutcome {
  relo: CoreRelo;
  result: CoreResult;
  patch: CorePatch;
}

export interface CoreApplied {
  /** A copy of the program with every relocated instruction patched. */
  instructions: Instruction[];
  /** One entry per record, in record order. */
  outcomes: CoreOutcome[];
}

/**
 * Apply `relos` (CoreRelo.insnOff is an instruction index into
 * `instructions`, as in ProgramSpec) in order. Throws CoreReloError on the
 * first record libbpf would refuse; unsatisfiable ones are poisoned.
 */
export function applyCoreRelos(instructions: readonly Instruction[], relos: readonly CoreRelo[], resolver: CoreResolver, opts: { program?: string } = {}): CoreApplied {
  const out = instructions.slice();
  const outcomes: CoreOutcome[] = [];
  relos.forEach((relo, reloIndex) => {
    const where = { ...(opts.program !== undefined ? { program: opts.program } : {}), reloIndex, insn: relo.insnOff };
    const result = resolver.resolve(relo, where);
    const patch = patchCoreInsn(out, relo.insnOff, result, relo, where);
    outcomes.push({ relo, result, patch });
  });
  return { instructions: out, outcomes };
}

/** The outcome that poisoned instruction `index`, to explain "invalid func unknown#195896080" from the verifier. */
export function poisonedAt(outcomes: readonly CoreOutcome[], index: number): CoreOutcome | undefined {
  return outcomes.find((o) => o.patch.poisoned && o.patch.index === index);
}
