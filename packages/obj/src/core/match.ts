// TYPE_MATCHES (libbpf's __bpf_core_types_match): a stricter relation than
// compatibility. Modifiers and typedefs are skipped; names must agree (modulo
// flavour) at every level; kinds must be equal, except that a struct/union
// behind a pointer may match a forward declaration of the same kind, and enum
// may match enum64. Ints compare size and signedness; enums need every local
// enumerator named in the target (values are ignored) and equal sizes;
// structs/unions need every local member present by name with a matching
// type (only name and kind once behind a pointer); arrays compare length and
// element; function prototypes compare arity, each parameter and the result.
import type { BtfReader } from '../btf/reader.js';
import { CoreSpecError } from './errors.js';
import { essentialNameLen, isAnyEnum, skipMods, type CoreType } from './btf-ops.js';

/** bpf_core_names_match: an anonymous target matches only an anonymous local. */
export function coreNamesMatch(local: string, targ: string): boolean {
  if (targ === '') return local === '';
  const lt = essentialNameLen(local);
  return lt === essentialNameLen(targ) && local.slice(0, lt) === targ.slice(0, lt);
}

function enumsMatch(lt: Extract<CoreType, { kind: 'ENUM' | 'ENUM64' }>, tt: Extract<CoreType, { kind: 'ENUM' | 'ENUM64' }>): boolean {
  if (lt.size !== tt.size || lt.values.length > tt.values.length) return false;
  return lt.values.every((lv) => tt.values.some((tv) => coreNamesMatch(lv.name, tv.name)));
}

function compositesMatch(
  local: BtfReader, lt: Extract<CoreType, { kind: 'STRUCT' | 'UNION' }>,
  targ: BtfReader, tt: Extract<CoreType, { kind: 'STRUCT' | 'UNION' }>, behindPtr: boolean, level: number,
): boolean {
  if (lt.members.length > tt.members.length) return false;
  for (const lm of lt.members) {
    const found = tt.members.some((tm) => coreNamesMatch(lm.name, tm.name) && typesMatch(local, lm.type, targ, tm.type, behindPtr, level - 1));
    if (!found) return false;
  }
  return true;
}

/** Does target type `targId` match local type `localId` (roots' names already agree)? */
export function typesMatch(local: BtfReader, localId: number, targ: BtfReader, targId: number, behindPtr = false, level = 32): boolean {
  if (level <= 0) throw new CoreSpecError('EINVAL', `type [${localId}] nests too deep to match`);
  for (let depth = 32; ;) {
    if (--depth < 0) throw new CoreSpecError('EINVAL', `type [${localId}] nests deeper than 32 levels`);
    const lt = skipMods(local, localId);
    const tt = skipMods(targ, targId);
    if (!coreNamesMatch(lt.name, tt.name)) return false;
    switch (lt.kind) {
      case 'VOID':
        return tt.kind === 'VOID';
      case 'FWD': {
        const localUnion = lt.fwdKind === 'union';
        if (tt.kind === 'FWD') return localUnion === (tt.fwdKind === 'union');
        if (!behindPtr) return false;
        return (tt.kind === 'STRUCT' && !localUnion) || (tt.kind === 'UNION' && localUnion);
      }
      case 'ENUM': case 'ENUM64':
        return isAnyEnum(tt) && enumsMatch(lt, tt);
      case 'STRUCT': case 'UNION':
        if (behindPtr) {
          if (lt.kind === tt.kind) return true;
          return tt.kind === 'FWD' && (lt.kind === 'UNION') === (tt.fwdKind === 'union');
        }
        return lt.kind === tt.kind && compositesMatch(local, lt, targ, tt, behindPtr, level);
      case 'INT':
        return tt.kind === 'INT' && lt.size === tt.size && lt.signed === tt.signed;
      case 'PTR':
        if (tt.kind !== 'PTR') return false;
        behindPtr = true;
        localId = lt.type;
        targId = tt.type;
        continue;
      case 'ARRAY':
        if (tt.kind !== 'ARRAY' || lt.nelems !== tt.nelems) return false;
        localId = lt.elemType;
        targId = tt.elemType;
        continue;
      case 'FUNC_PROTO':
        if (tt.kind !== 'FUNC_PROTO' || lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (!typesMatch(local, lt.params[i]!.type, targ, tt.params[i]!.type, behindPtr, level - 1)) return false;
        }
        localId = lt.returnType;
        targId = tt.returnType;
        continue;
      default:
        return false;
    }
  }
}
