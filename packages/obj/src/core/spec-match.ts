// Find the target-side spec for a local spec (libbpf's bpf_core_spec_match):
// named members are looked up by exact name, descending into anonymous
// structs/unions; array indices must stay in bounds (flexible arrays excepted);
// enumerators match by essential name; type-based kinds only compare the
// roots. Returns the target spec, or undefined when this candidate does not
// match. Malformed input throws CoreSpecError.
import type { BtfReader } from '../btf/reader.js';
import { CoreSpecError } from './errors.js';
import { CORE_SPEC_MAX_LEN, CoreReloKind, isEnumvalBased, isFieldBased, isTypeBased } from './kinds.js';
import { emptySpec, isFlexArray, u32, type CoreAccessor, type CoreSpec } from './access.js';
import { essentialNameLen, isAnyEnum, isComposite, resolveSize, skipMods, typeAt } from './btf-ops.js';
import { fieldsAreCompat, typesAreCompat } from './compat.js';
import { typesMatch } from './match.js';

/**
 * bpf_core_match_member: look for the local accessor's member in target
 * struct/union `targId`, recording the path in `spec`. Returns the matched
 * member's type id, 0 when not found or incompatible.
 */
function matchMember(local: BtfReader, localAcc: CoreAccessor, targ: BtfReader, targId: number, spec: CoreSpec): number | false {
  const tt = skipMods(targ, targId);
  if (!isComposite(tt)) return false;
  const lt = typeAt(local, localAcc.typeId);
  if (!isComposite(lt)) throw new CoreSpecError('EINVAL', `local accessor type [${localAcc.typeId}] is not a struct or union`);
  const lm = lt.members[localAcc.idx]!;
  for (let i = 0; i < tt.members.length; i++) {
    const m = tt.members[i]!;
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw new CoreSpecError('E2BIG', `target access path is longer than ${CORE_SPEC_MAX_LEN} steps`);
    // Speculate that this member is the one.
    spec.bitOffset = u32(spec.bitOffset + m.bitOffset);
    spec.raw.push(i);
    if (m.name === '') {
      const found = matchMember(local, localAcc, targ, m.type, spec);
      if (found !== false) return found;
    } else if (m.name === lm.name) {
      spec.acc.push({ typeId: tt.id, idx: i, name: m.name });
      if (fieldsAreCompat(local, lm.type, targ, m.type)) return m.type;
      spec.acc.pop();
      return false;
    }
    spec.bitOffset = u32(spec.bitOffset - m.bitOffset);
    spec.raw.pop();
  }
  return false;
}

/** Match `localSpec` against candidate `targId` of `targ`; undefined when it does not match. */
export function matchSpec(localSpec: CoreSpec, targ: BtfReader, targId: number): CoreSpec | undefined {
  const spec = emptySpec(targ, targId, localSpec.kind);
  const kind = localSpec.kind;
  if (isTypeBased(kind)) {
    const ok = kind === CoreReloKind.TYPE_MATCHES
      ? typesMatch(localSpec.btf, localSpec.rootTypeId, targ, targId)
      : typesAreCompat(localSpec.btf, localSpec.rootTypeId, targ, targId);
    return ok ? spec : undefined;
  }

  if (isEnumvalBased(kind)) {
    const tt = skipMods(targ, targId);
    if (!isAnyEnum(tt)) return undefined;
    const name = localSpec.acc[0]!.name!;
    const len = essentialNameLen(name);
    for (let i = 0; i < tt.values.length; i++) {
      const tn = tt.values[i]!.name;
      if (essentialNameLen(tn) !== len || tn.slice(0, len) !== name.slice(0, len)) continue;
      spec.acc.push({ typeId: tt.id, idx: i, name: tn });
      spec.raw.push(i);
      return spec;
    }
    return undefined;
  }
  if (!isFieldBased(kind)) throw new CoreSpecError('EINVAL', `unknown relocation kind ${kind}`);

  let id = targId;
  for (let i = 0; i < localSpec.acc.length; i++) {
    const la = localSpec.acc[i]!;
    const tt = skipMods(targ, id);
    id = tt.id;
    if (la.name !== undefined) {
      const next = matchMember(localSpec.btf, la, targ, id, spec);
      if (next === false) return undefined;
      id = next;
      continue;
    }
    // The root (i = 0) is already "an element" of an implicit array.
    if (i > 0) {
      if (tt.kind !== 'ARRAY') return undefined;
      if (!isFlexArray(targ, spec.acc[i - 1], tt.nelems) && la.idx >= tt.nelems) return undefined;
      id = skipMods(targ, tt.elemType).id;
    }
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw new CoreSpecError('E2BIG', `target access path is longer than ${CORE_SPEC_MAX_LEN} steps`);
    spec.acc.push({ typeId: id, idx: la.idx });
    spec.raw.push(la.idx);
    spec.bitOffset = u32(spec.bitOffset + la.idx * resolveSize(targ, id) * 8);
  }
  return spec;
}
