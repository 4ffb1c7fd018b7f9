// A CO-RE access specification: the access string of a record ("0:1:2:3")
// turned into a walk over one BTF. `raw` keeps every step (including anonymous
// members); `acc` keeps only the steps that matter across BTFs (named members
// and array indices); `bitOffset` is where the walk ends. Same model as
// libbpf's struct bpf_core_spec.
import type { BtfReader } from '../btf/reader.js';
import { CoreSpecError } from './errors.js';
import { CORE_SPEC_MAX_LEN, coreKindLabel, isEnumvalBased, isFieldBased, isTypeBased } from './kinds.js';
import { describeType, isAnyEnum, isComposite, resolveSize, skipMods, typeAt, vlen } from './btf-ops.js';

/** One semantically meaningful step: a named member, an array index, or an enumerator. */
export interface CoreAccessor {
  /** For a member: the struct/union holding it. For an index: the element type. For an enumerator: the enum. */
  typeId: number;
  idx: number;
  /** Member or enumerator name; undefined for array indices. */
  name?: string;
}

export interface CoreSpec {
  btf: BtfReader;
  rootTypeId: number;
  kind: number;
  acc: CoreAccessor[];
  raw: number[];
  bitOffset: number;
}

export function emptySpec(btf: BtfReader, rootTypeId: number, kind: number): CoreSpec {
  return { btf, rootTypeId, kind, acc: [], raw: [], bitOffset: 0 };
}

/** u32 arithmetic, as libbpf's bit_offset field wraps. */
export function u32(n: number): number {
  // `>>> 0` is the same wrap for integers without a heap number per step.
  if (Number.isInteger(n)) return n >>> 0;
  return ((n % 0x1_0000_0000) + 0x1_0000_0000) % 0x1_0000_0000;
}

/**
 * is_flex_arr: an array of 0 elements that is the last member of the struct
 * `prev` (the accessor before it) indexes, so any index is in bounds.
 */
export function isFlexArray(btf: BtfReader, prev: CoreAccessor | undefined, nelems: number): boolean {
  if (!prev || prev.name === undefined || nelems > 0) return false;
  return prev.idx === vlen(typeAt(btf, prev.typeId)) - 1;
}

/** sscanf("%d")-style access string parsing: indices separated by single ':'. */
function parseIndices(s: string): number[] {
  const out: number[] = [];
  let at = 0;
  while (at < s.length) {
    if (s[at] === ':') at++;
    const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s.slice(at));
    if (!m) throw new CoreSpecError('EINVAL', `access string '${s}' is malformed at offset ${at}`);
    const n = Number(m[1]);
    if (n < 0) throw new CoreSpecError('EINVAL', `access string '${s}' has a negative index`);
    if (out.length === CORE_SPEC_MAX_LEN) throw new CoreSpecError('E2BIG', `access string '${s}' is longer than ${CORE_SPEC_MAX_LEN} steps`);
    out.push(n);
    at += m[0].length;
  }
  return out;
}

/** bpf_core_parse_spec: walk `accessStr` from `rootTypeId` in `btf`. */
export function parseSpec(btf: BtfReader, rootTypeId: number, accessStr: string, kind: number): CoreSpec {
  if (accessStr === '' || accessStr.startsWith(':')) throw new CoreSpecError('EINVAL', `access string '${accessStr}' is empty or starts with ':'`);
  const spec = emptySpec(btf, rootTypeId, kind);
  if (isTypeBased(kind)) {
    if (accessStr !== '0') throw new CoreSpecError('EINVAL', `type-based relocation needs access string '0', not '${accessStr}'`);
    return spec;
  }
  spec.raw = parseIndices(accessStr);
  if (spec.raw.length === 0) throw new CoreSpecError('EINVAL', `access string '${accessStr}' has no index`);

  let t = skipMods(btf, rootTypeId);
  let id = t.id;
  const first = spec.raw[0]!;
  spec.acc.push({ typeId: id, idx: first });

  if (isEnumvalBased(kind)) {
    if (!isAnyEnum(t) || spec.raw.length > 1 || first >= t.values.length) {
      throw new CoreSpecError('EINVAL', `'${accessStr}' does not name an enumerator of ${describeType(t)}`);
    }
    spec.acc[0]!.name = t.values[first]!.name;
    return spec;
  }
  if (!isFieldBased(kind)) throw new CoreSpecError('EINVAL', `unknown relocation kind ${kind}`);

  spec.bitOffset = u32(first * resolveSize(btf, id) * 8);
  for (let i = 1; i < spec.raw.length; i++) {
    t = skipMods(btf, id);
    id = t.id;
    const idx = spec.raw[i]!;
    if (isComposite(t)) {
      if (idx >= t.members.length) throw new CoreSpecError('EINVAL', `member #${idx} of ${describeType(t)} does not exist`);
      const m = t.members[idx]!;
      spec.bitOffset = u32(spec.bitOffset + m.bitOffset);
      if (m.name !== '') spec.acc.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === 'ARRAY') {
      const elem = skipMods(btf, t.elemType);
      id = elem.id;
      if (!isFlexArray(btf, spec.acc[spec.acc.length - 1], t.nelems) && idx >= t.nelems) {
        throw new CoreSpecError('EINVAL', `index ${idx} is outside array ${describeType(t)} of ${t.nelems}`);
      }
      spec.acc.push({ typeId: id, idx });
      spec.bitOffset = u32(spec.bitOffset + idx * resolveSize(btf, id) * 8);
    } else {
      throw new CoreSpecError('EINVAL', `step ${i} of '${accessStr}' reaches ${describeType(t)}, which has no members or elements`);
    }
  }
  return spec;
}

/**
 * bpf_core_format_spec: "<byte_off> [2] struct foo.a[3] (0:1:3 @ offset 16)",
 * "<enumval_value> [5] enum e::B = 2", "<type_size> [7] struct bar".
 */
export function formatSpec(spec: CoreSpec): string {
  const root = typeAt(spec.btf, spec.rootTypeId);
  let s = `<${coreKindLabel(spec.kind)}> ${describeType(root)}`;
  if (isTypeBased(spec.kind)) return s;
  if (isEnumvalBased(spec.kind)) {
    const e = skipMods(spec.btf, spec.rootTypeId);
    const v = isAnyEnum(e) ? e.values[spec.raw[0] ?? spec.acc[0]?.idx ?? 0] : undefined;
    return v ? `${s}::${v.name} = ${v.value}` : s;
  }
  spec.acc.forEach((a, i) => {
    if (a.name !== undefined) s += `.${a.name}`;
    else if (i > 0 || a.idx > 0) s += `[${a.idx}]`;
  });
  const off = spec.bitOffset % 8 ? `${Math.floor(spec.bitOffset / 8)}.${spec.bitOffset % 8}` : `${spec.bitOffset / 8}`;
  return `${s} (${spec.raw.join(':')} @ offset ${off})`;
}
