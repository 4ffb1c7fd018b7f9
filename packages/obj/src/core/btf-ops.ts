// The small BTF vocabulary CO-RE needs on top of BtfReader: void as a type,
// modifier skipping, libbpf's size resolution and "essential" (flavour-less)
// names. Failures throw CoreSpecError with the errno libbpf would return.
import type { BtfReader, BtfType } from '../btf/reader.js';
import { CoreSpecError } from './errors.js';

/** Type id 0: void. BtfReader has no type for it; CO-RE compares it like one. */
export interface VoidType {
  readonly id: 0;
  readonly kind: 'VOID';
  readonly name: '';
}
export const VOID: VoidType = { id: 0, kind: 'VOID', name: '' };
export type CoreType = BtfType | VoidType;

/** BPF programs and 64-bit kernels both use 8-byte pointers (libbpf forces 8 for BPF BTF). */
const PTR_SIZE = 8;
/** libbpf's MAX_RESOLVE_DEPTH. */
const MAX_RESOLVE_DEPTH = 32;
const U32_MAX = 0xffffffff;

/** Type `id` (void for 0); an id outside the BTF is EINVAL. */
export function typeAt(btf: BtfReader, id: number): CoreType {
  if (id === 0) return VOID;
  try {
    return btf.type(id);
  } catch (e) {
    throw new CoreSpecError('EINVAL', `type [${id}] does not exist: ${(e as Error).message}`);
  }
}

/** Follow typedefs and modifiers (const, volatile, restrict, type tags) to the underlying type. */
export function skipMods(btf: BtfReader, id: number): CoreType {
  let resolved: number;
  try {
    resolved = btf.skipModifiers(id);
  } catch (e) {
    throw new CoreSpecError('EINVAL', `type [${id}]: ${(e as Error).message}`);
  }
  return typeAt(btf, resolved);
}

/** Byte size of type `id` as btf__resolve_size computes it (arrays multiply, pointers are 8). */
export function resolveSize(btf: BtfReader, id: number): number {
  let nelems = 1;
  let size = -1;
  let t = typeAt(btf, id);
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH && t.kind !== 'VOID' && size < 0; depth++) {
    switch (t.kind) {
      case 'INT': case 'STRUCT': case 'UNION': case 'ENUM': case 'ENUM64': case 'DATASEC': case 'FLOAT':
        size = t.size;
        break;
      case 'PTR':
        size = PTR_SIZE;
        break;
      case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'VAR': case 'DECL_TAG': case 'TYPE_TAG':
        t = typeAt(btf, t.type);
        break;
      case 'ARRAY':
        if (nelems && t.nelems > Math.floor(U32_MAX / nelems)) throw new CoreSpecError('E2BIG', `size of type [${id}] overflows 32 bits`);
        nelems *= t.nelems;
        t = typeAt(btf, t.elemType);
        break;
      default:
        throw new CoreSpecError('EINVAL', `type [${id}] (${t.kind}) has no size`);
    }
  }
  if (size < 0) throw new CoreSpecError('EINVAL', `cannot resolve the size of type [${id}]`);
  if (nelems && size > Math.floor(U32_MAX / nelems)) throw new CoreSpecError('E2BIG', `size of type [${id}] overflows 32 bits`);
  return nelems * size;
}

/**
 * Length of the name before its last `___flavour` suffix: "task_struct___v1"
 * gives 11. The separator needs a non-underscore on both sides, as in libbpf.
 */
export function essentialNameLen(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return i + 1;
  }
  return name.length;
}

/** The name without its flavour suffix. */
export function essentialName(name: string): string {
  return name.slice(0, essentialNameLen(name));
}

export function isComposite(t: CoreType): t is Extract<BtfType, { kind: 'STRUCT' | 'UNION' }> {
  return t.kind === 'STRUCT' || t.kind === 'UNION';
}

export function isAnyEnum(t: CoreType): t is Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }> {
  return t.kind === 'ENUM' || t.kind === 'ENUM64';
}

/** btf_kind_core_compat: same kind, or both enums (ENUM and ENUM64 mix). */
export function kindCoreCompat(a: CoreType, b: CoreType): boolean {
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}

/** BTF_INT_OFFSET of an INT (0 for other kinds). */
export function intOffset(t: CoreType): number {
  return t.kind === 'INT' ? t.bitOffset : 0;
}

/** Member/enumerator/parameter count. */
export function vlen(t: CoreType): number {
  switch (t.kind) {
    case 'STRUCT': case 'UNION': return t.members.length;
    case 'ENUM': case 'ENUM64': return t.values.length;
    case 'FUNC_PROTO': return t.params.length;
    case 'DATASEC': return t.vars.length;
    default: return 0;
  }
}

/** "struct foo", "enum <anon>": a type as libbpf's messages show it. */
export function describeType(t: CoreType): string {
  return `[${t.id}] ${t.kind.toLowerCase()} ${t.name === '' ? '<anon>' : t.name}`;
}
