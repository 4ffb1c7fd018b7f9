// CO-RE for an object's programs: each record is resolved against the target
// BTF (the running kernel's, or opts.targetBtf) and its instruction patched;
// what cannot be satisfied is poisoned (libbpf's `call 0xbad2310`), and the
// reason is kept to explain the verifier's complaint if the poisoned
// instruction turns out to be reachable.
import fs from 'node:fs';
import { BtfReader, CoreResolver, CoreReloError, applyCoreRelos, type Instruction, type ProgramSpec } from '@lockne/obj';
import { kernelBtf } from '../btf/kernel-btf.js';
import { ObjectLoadError } from './errors.js';
import type { LoadContext } from './options.js';

export interface CoreContext {
  /** The resolver, made on first use (reading vmlinux BTF costs ~100 ms). */
  resolver(): CoreResolver;
}

export function coreContext(ctx: LoadContext): CoreContext {
  let resolver: CoreResolver | undefined;
  return {
    resolver() {
      if (resolver) return resolver;
      const local = ctx.btfReader;
      if (!local) throw new ObjectLoadError('CO-RE', 'the object has CO-RE relocations but no BTF');
      let target: BtfReader;
      let name = 'vmlinux';
      const t = ctx.opts.targetBtf;
      if (t === undefined) {
        target = kernelBtf();
      } else {
        let bytes: Uint8Array;
        if (typeof t === 'string') {
          name = t;
          try {
            bytes = fs.readFileSync(t);
          } catch (e) {
            throw new ObjectLoadError('option targetBtf', `cannot read '${t}': ${(e as Error).message}`, e);
          }
        } else {
          name = 'targetBtf';
          bytes = t;
        }
        try {
          target = BtfReader.parse(bytes);
        } catch (e) {
          throw new ObjectLoadError('option targetBtf', (e as Error).message, e);
        }
      }
      resolver = new CoreResolver(local, target, { targetName: name });
      return resolver;
    },
  };
}

/**
 * Apply `spec`'s CO-RE records to `insns` (in place). Returns the reason of
 * every poisoned instruction by index.
 */
export function applyCore(core: CoreContext, spec: ProgramSpec, insns: Instruction[]): Map<number, string> {
  const poisoned = new Map<number, string>();
  if (spec.coreRelos.length === 0) return poisoned;
  let applied;
  try {
    applied = applyCoreRelos(insns, spec.coreRelos, core.resolver(), { program: spec.name });
  } catch (e) {
    if (e instanceof CoreReloError) throw new ObjectLoadError(`program '${spec.name}' (section '${spec.def.section}')`, `CO-RE: ${e.message}`, e);
    throw e;
  }
  insns.splice(0, insns.length, ...applied.instructions);
  for (const o of applied.outcomes) {
    // Name the local struct and field first ("<byte_off> [15] struct task_struct.x (0:1 @ offset 4)"), as libbpf does.
    if (o.patch.poisoned) poisoned.set(o.patch.index, o.patch.reason ? `${o.result.local}: ${o.patch.reason}` : o.result.explanation);
  }
  return poisoned;
}
