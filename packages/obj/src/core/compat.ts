// Structural compatibility between a local and a target type, libbpf's rules:
// fieldsAreCompat for the type of a matched field (bpf_core_fields_are_compat),
// typesAreCompat for TYPE_EXISTS / TYPE_SIZE / TYPE_ID_TARGET candidates
// (__bpf_core_types_are_compat). Both return true/false; malformed or too deep
// types throw CoreSpecError.
import type { BtfReader } from '../btf/reader.js';
import { CoreSpecError } from './errors.js';
import { essentialNameLen, intOffset, isComposite, kindCoreCompat, skipMods, typeAt, type CoreType } from './btf-ops.js';

/** Both anonymous-or-same-essential-name, for enums and forward declarations. */
function flavourlessNamesAgree(a: CoreType, b: CoreType): boolean {
  const la = essentialNameLen(a.name);
  const lb = essentialNameLen(b.name);
  return la === 0 || lb === 0 || (la === lb && a.name.slice(0, la) === b.name.slice(0, lb));
}

/**
 * Can a field of local type `localId` be read as a field of target type
 * `targId`? Any two structs/unions, pointers or floats are; ints unless
 * they are old-style bitfield ints; enums and fwds when their names agree;
 * arrays when their elements are (dimensions are ignored).
 */
export function fieldsAreCompat(local: BtfReader, localId: number, targ: BtfReader, targId: number): boolean {
  for (let depth = 0; ; depth++) {
    if (depth > 64) throw new CoreSpecError('EINVAL', `array nesting of [${localId}] is too deep`);
    const lt = skipMods(local, localId);
    const tt = skipMods(targ, targId);
    if (isComposite(lt) && isComposite(tt)) return true;
    if (!kindCoreCompat(lt, tt)) return false;
    switch (lt.kind) {
      case 'PTR': case 'FLOAT':
        return true;
      case 'FWD': case 'ENUM': case 'ENUM64':
        return flavourlessNamesAgree(lt, tt);
      case 'INT':
        return intOffset(lt) === 0 && intOffset(tt) === 0;
      case 'ARRAY':
        localId = lt.elemType;
        targId = (tt as typeof lt).elemType;
        continue;
      default:
        return false;
    }
  }
}

/**
 * Is target type `targId` a compatible stand-in for local type `localId`
 * (their names already agree)? Kinds must agree at every level; structs,
 * unions, enums and fwds are compatible by name alone; pointers and arrays
 * recurse; function prototypes compare arity, parameters and return type.
 */
export function typesAreCompat(local: BtfReader, localId: number, targ: BtfReader, targId: number, level = 32): boolean {
  if (!kindCoreCompat(typeAt(local, localId), typeAt(targ, targId))) return false;
  for (let depth = 32; ;) {
    if (--depth < 0) throw new CoreSpecError('EINVAL', `type [${localId}] nests deeper than 32 levels`);
    const lt = skipMods(local, localId);
    const tt = skipMods(targ, targId);
    if (!kindCoreCompat(lt, tt)) return false;
    switch (lt.kind) {
      case 'VOID': case 'STRUCT': case 'UNION': case 'ENUM': case 'FWD': case 'ENUM64':
        return true;
      case 'INT':
        return intOffset(lt) === 0 && intOffset(tt) === 0;
      case 'PTR':
        localId = lt.type;
        targId = (tt as typeof lt).type;
        continue;
      case 'ARRAY':
        localId = lt.elemType;
        targId = (tt as typeof lt).elemType;
        continue;
      case 'FUNC_PROTO': {
        const tp = tt as typeof lt;
        if (lt.params.length !== tp.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (level <= 0) throw new CoreSpecError('EINVAL', `function prototype [${lt.id}] nests too deep`);
          const l = skipMods(local, lt.params[i]!.type).id;
          const r = skipMods(targ, tp.params[i]!.type).id;
          if (!typesAreCompat(local, l, targ, r, level - 1)) return false;
        }
        localId = skipMods(local, lt.returnType).id;
        targId = skipMods(targ, tp.returnType).id;
        continue;
      }
      default:
        return false;
    }
  }
}
