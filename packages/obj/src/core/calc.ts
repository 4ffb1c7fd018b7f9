// The value a relocation computes for one spec (local: what the compiler
// assumed; target: what the kernel has), and the combination of both into a
// relocation decision, as libbpf's bpf_core_calc_relo does. A missing target
// spec yields 0 for the existence kinds and a poison request for the rest.
import { CoreSpecError } from './errors.js';
import { CoreReloKind as K, isEnumvalBased, isFieldBased, isTypeBased } from './kinds.js';
import type { CoreSpec } from './access.js';
import { isAnyEnum, isComposite, resolveSize, skipMods, typeAt } from './btf-ops.js';

/** What libbpf keeps in struct bpf_core_relo_res. Values are u64. */
export interface CoreCalc {
  origValue: bigint;
  newValue: bigint;
  /** The target could not satisfy the relocation: the instruction is to be poisoned. */
  poison: boolean;
  /** Whether the instruction must hold `origValue` before patching. */
  validate: boolean;
  /** A load/store would change width in a way that changes the value read (poisoned at patch time). */
  failMemSizeAdjust: boolean;
  /** Memory access width (bytes) for byte-offset relocations of non-bitfields, local and target. */
  origSize: number;
  newSize: number;
  origTypeId: number;
  newTypeId: number;
}

interface FieldValue { value: bigint; size: number; typeId: number; validate: boolean }

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const u64 = (n: number | bigint): bigint => BigInt.asUintN(64, BigInt(n));

/** Size of the innermost element of (possibly nested) array type `id`, or of `id` itself. */
function elementSize(spec: CoreSpec, id: number): number {
  let t = skipMods(spec.btf, id);
  while (t.kind === 'ARRAY') t = skipMods(spec.btf, t.elemType);
  return resolveSize(spec.btf, t.id);
}

/** bpf_core_calc_field_relo. Returns undefined for "poison". */
function fieldValue(kind: number, spec: CoreSpec | undefined): FieldValue | undefined {
  if (kind === K.FIELD_EXISTS) return { value: spec ? 1n : 0n, size: 0, typeId: 0, validate: true };
  if (!spec) return undefined;
  const acc = spec.acc[spec.acc.length - 1]!;

  if (acc.name === undefined) {
    // The path ends at an array element (or the root itself).
    if (kind === K.FIELD_BYTE_OFFSET) {
      return { value: u64(Math.floor(spec.bitOffset / 8)), size: elementSize(spec, acc.typeId), typeId: acc.typeId, validate: true };
    }
    if (kind === K.FIELD_BYTE_SIZE) return { value: u64(resolveSize(spec.btf, acc.typeId)), size: 0, typeId: 0, validate: true };
    throw new CoreSpecError('EINVAL', 'this relocation kind cannot be applied to an array element access');
  }

  const owner = typeAt(spec.btf, acc.typeId);
  if (!isComposite(owner)) throw new CoreSpecError('EINVAL', `accessor type [${acc.typeId}] is not a struct or union`);
  const m = owner.members[acc.idx]!;
  const mt = skipMods(spec.btf, m.type);
  const bitOff = spec.bitOffset;
  let bitSize = m.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteOff: number;
  let byteSize: number;
  if (bitfield) {
    byteSize = 'size' in mt ? mt.size : 0;
    if (byteSize <= 0) throw new CoreSpecError('EINVAL', `bitfield '${m.name}' has a type without a size`);
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    // Smallest load size (up to 8 bytes) that covers the whole bitfield.
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) throw new CoreSpecError('E2BIG', `bitfield '${m.name}' cannot be read with one 64-bit load`);
      byteSize *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  } else {
    byteSize = resolveSize(spec.btf, mt.id);
    byteOff = Math.floor(bitOff / 8);
    bitSize = byteSize * 8;
  }

  // Bitfield offsets and sizes may legitimately differ from the compiler's choice.
  const validate = !bitfield;
  switch (kind) {
    case K.FIELD_BYTE_OFFSET:
      return bitfield
        ? { value: u64(byteOff), size: 0, typeId: 0, validate }
        : { value: u64(byteOff), size: elementSize(spec, mt.id), typeId: mt.id, validate };
    case K.FIELD_BYTE_SIZE:
      return { value: u64(byteSize), size: 0, typeId: 0, validate };
    case K.FIELD_SIGNED: {
      const signed = (isAnyEnum(mt) && mt.signed) || (mt.kind === 'INT' && mt.signed);
      return { value: signed ? 1n : 0n, size: 0, typeId: 0, validate: true };
    }
    case K.FIELD_LSHIFT_U64: {
      const shift = HOST_LITTLE_ENDIAN ? 64 - (bitOff + bitSize - byteOff * 8) : (8 - byteSize) * 8 + (bitOff - byteOff * 8);
      return { value: u64(shift), size: 0, typeId: 0, validate };
    }
    case K.FIELD_RSHIFT_U64:
      return { value: u64(64 - bitSize), size: 0, typeId: 0, validate: true };
    default:
      throw new CoreSpecError('EOPNOTSUPP', `unrecognized field relocation kind ${kind}`);
  }
}

/** bpf_core_calc_type_relo: 0 when the target type is missing. */
function typeValue(kind: number, spec: CoreSpec | undefined): { value: bigint; validate: boolean } {
  if (!spec) return { value: 0n, validate: true };
  switch (kind) {
    // Type ids change during linking: never check them against the instruction.
    case K.TYPE_ID_TARGET: return { value: u64(spec.rootTypeId), validate: false };
    case K.TYPE_EXISTS: case K.TYPE_MATCHES: return { value: 1n, validate: true };
    case K.TYPE_SIZE: return { value: u64(resolveSize(spec.btf, spec.rootTypeId)), validate: true };
    default: throw new CoreSpecError('EOPNOTSUPP', `unrecognized type relocation kind ${kind}`);
  }
}

/** bpf_core_calc_enumval_relo. Returns undefined for "poison". */
function enumValue(kind: number, spec: CoreSpec | undefined): bigint | undefined {
  if (kind === K.ENUMVAL_EXISTS) return spec ? 1n : 0n;
  if (kind !== K.ENUMVAL_VALUE) throw new CoreSpecError('EOPNOTSUPP', `unrecognized enum relocation kind ${kind}`);
  if (!spec) return undefined;
  const acc = spec.acc[0]!;
  const t = typeAt(spec.btf, acc.typeId);
  if (t.kind === 'ENUM') return u64(t.values[acc.idx]!.value | 0); // libbpf sign-extends the 32-bit value
  if (t.kind === 'ENUM64') return u64(t.values[acc.idx]!.value);
  throw new CoreSpecError('EINVAL', `accessor type [${acc.typeId}] is not an enum`);
}

/** Combine local and target values for one candidate (target undefined: none matched). */
export function calcRelo(kind: number, local: CoreSpec, target: CoreSpec | undefined): CoreCalc {
  const res: CoreCalc = {
    origValue: 0n, newValue: 0n, poison: false, validate: true, failMemSizeAdjust: false,
    origSize: 0, newSize: 0, origTypeId: 0, newTypeId: 0,
  };
  if (isFieldBased(kind)) {
    const o = fieldValue(kind, local)!;
    res.origValue = o.value;
    res.origSize = o.size;
    res.origTypeId = o.typeId;
    res.validate = o.validate;
    const n = fieldValue(kind, target);
    if (!n) {
      res.poison = true;
      return res;
    }
    res.newValue = n.value;
    res.newSize = n.size;
    res.newTypeId = n.typeId;
    if (res.origSize !== res.newSize) res.failMemSizeAdjust = !memSizeChangeIsSafe(local, res.origTypeId, target!, res.newTypeId);
  } else if (isTypeBased(kind)) {
    const o = typeValue(kind, local);
    res.origValue = o.value;
    res.validate = o.validate;
    res.newValue = typeValue(kind, target).value;
  } else if (isEnumvalBased(kind)) {
    res.origValue = enumValue(kind, local)!;
    const n = enumValue(kind, target);
    if (n === undefined) res.poison = true;
    else res.newValue = n;
  } else {
    throw new CoreSpecError('EOPNOTSUPP', `unrecognized CO-RE relocation kind ${kind}`);
  }
  return res;
}

/**
 * A load/store may change width only for pointers (a 32-bit kernel pointer
 * read zero-extended) and unsigned integers: both keep their value.
 */
function memSizeChangeIsSafe(local: CoreSpec, origTypeId: number, target: CoreSpec, newTypeId: number): boolean {
  const o = typeAt(local.btf, origTypeId);
  const n = typeAt(target.btf, newTypeId);
  if (o.kind === 'PTR' && n.kind === 'PTR') return true;
  // btf_int_encoding != BTF_INT_SIGNED: char and bool encodings count as unsigned.
  const unsigned = (t: typeof o): boolean => t.kind === 'INT' && !(t.signed && !t.char && !t.bool);
  return unsigned(o) && unsigned(n);
}
