// Preparing an object's BTF for BPF_BTF_LOAD, as libbpf does between opening
// an object and loading it:
//
// fixupBtf (bpf_object__collect_externs, bpf_object_fixup_btf, and the
// "hidden subprogram" rule of bpf_object__sanitize_and_load_btf):
//   - `.ksyms`: every extern becomes a 4-byte slot; extern VARs become global
//     `int` VARs; extern FUNCs become global FUNCs and their DATASEC entry is
//     replaced by a `dummy_ksym` VAR (added once); unnamed parameters of those
//     FUNCs are named `dummy_ksym` (the kernel wants named arguments);
//   - `.kconfig`: extern VARs become global, laid out by (alignment desc,
//     size asc, name) unless the caller gives the offsets;
//   - every other DATASEC: size (left 0 by clang) from the ELF section,
//     non-static VAR offsets from the ELF symbols; VARs of hidden symbols
//     become static;
//   - every DATASEC's VARs sorted by offset;
//   - listed global subprograms (visibility hidden) become static FUNCs.
//
// sanitizeBtf (bpf_object__sanitize_btf): rewrite what the kernel lacks, in
// place, keeping every type id and string offset.
//
// @example
// const sections = new Map([['.data', { size: 24, symbols: new Map([['g1', 0], ['g2', 8]]) }]]);
// const kernelBtf = prepareBtfForKernel(objectBtf, { sections, features: probedFeatures });
import type { BtfType } from './reader.js';
import { BtfKind } from './reader.js';
import { RawBtf } from './fixup-raw.js';
import { resolveSize } from '../core/btf-ops.js';

/** What the running kernel's BPF_BTF_LOAD accepts. Absent means supported. */
export interface BtfFeatures {
  /** FUNC and FUNC_PROTO (4.20). */
  func?: boolean;
  /** FUNC with global linkage (5.6). */
  globalFunc?: boolean;
  /** VAR and DATASEC (5.2). */
  datasec?: boolean;
  /** DATASEC names starting with '?' (6.8). */
  qmarkDatasec?: boolean;
  /** FLOAT (5.13). */
  float?: boolean;
  /** DECL_TAG (5.16). */
  declTag?: boolean;
  /** TYPE_TAG (5.17). */
  typeTag?: boolean;
  /** ENUM64 and signed enums (6.0). */
  enum64?: boolean;
}

/** An ELF section a DATASEC describes. */
export interface BtfSectionInfo {
  size: number;
  /** Offsets of the section's GLOBAL/WEAK OBJECT symbols by name. */
  symbols: ReadonlyMap<string, number>;
  /** Symbols with STV_HIDDEN/STV_INTERNAL visibility. */
  hidden?: ReadonlySet<string>;
}

export interface BtfFixupOptions {
  /** ELF sections by name (`.data`, `.bss`, `.maps`, `license`, ...). */
  sections: ReadonlyMap<string, BtfSectionInfo>;
  /** Offsets of `.kconfig` externs in the kconfig map (default: libbpf's layout). */
  kconfigOffsets?: ReadonlyMap<string, number>;
  /** Global subprograms with hidden visibility: their FUNCs become static. */
  staticFuncs?: Iterable<string>;
}

/** The object's BTF cannot be prepared; `section` names the DATASEC involved. */
export class BtfFixupError extends Error {
  override name = 'BtfFixupError';
  readonly section: string | undefined;
  constructor(message: string, section?: string) {
    super(section === undefined ? `BTF fix-up: ${message}` : `BTF fix-up of DATASEC '${section}': ${message}`);
    this.section = section;
  }
}

const LINKAGE_STATIC = 0;
const LINKAGE_GLOBAL = 1;
const LINKAGE_EXTERN = 2;
const KSYMS = '.ksyms';
const KCONFIG = '.kconfig';

/** Apply libbpf's object-level BTF fix-ups; returns a new blob with the same type ids (plus appended ones). */
export function fixupBtf(btf: Uint8Array, opts: BtfFixupOptions): Uint8Array {
  const raw = new RawBtf(btf);
  const datasecs: number[] = [];
  for (let id = 1; id <= raw.lastId; id++) if (raw.kind(id) === BtfKind.DATASEC) datasecs.push(id);
  for (const id of datasecs) {
    const name = raw.reader.name(id);
    if (name === KSYMS) fixKsyms(raw, id);
    else if (name === KCONFIG) fixKconfig(raw, id, opts.kconfigOffsets);
    else fixDatasec(raw, id, name, opts.sections.get(name));
    sortVars(raw, id);
  }
  const statics = new Set(opts.staticFuncs ?? []);
  for (let id = 1; id <= raw.lastId && statics.size > 0; id++) {
    if (raw.kind(id) !== BtfKind.FUNC || raw.vlen(id) !== LINKAGE_GLOBAL) continue;
    const name = raw.reader.name(id);
    if (!statics.delete(name)) continue;
    raw.setHeader(id, { vlen: LINKAGE_STATIC });
  }
  return raw.encode();
}

/** Word index of DATASEC `id`'s i-th btf_var_secinfo (type, offset, size). */
const secinfo = (raw: RawBtf, id: number, i: number): number => raw.at(id) + 3 + 3 * i;

/** libbpf's find_int_btf_id: the first 32-bit INT; appended when the object has none. */
function int32(raw: RawBtf): number {
  for (let id = 1; id <= raw.lastId; id++) {
    if (raw.kind(id) === BtfKind.INT && (raw.words[raw.at(id) + 3]! & 0xff) === 32) return id;
  }
  return raw.addType([raw.addString('int'), BtfKind.INT << 24, 4, (1 << 24) | 32]);
}

function fixKsyms(raw: RawBtf, sec: number): void {
  const n = raw.vlen(sec);
  const members = Array.from({ length: n }, (_, i) => raw.words[secinfo(raw, sec, i)]!);
  const int = int32(raw);
  let dummy = 0;
  let dummyName = 0;
  if (members.some((t) => raw.kind(t) === BtfKind.FUNC)) {
    dummyName = raw.addString('dummy_ksym');
    dummy = raw.addType([dummyName, BtfKind.VAR << 24, int, LINKAGE_GLOBAL]);
  }
  members.forEach((t, i) => {
    const at = secinfo(raw, sec, i);
    if (raw.kind(t) === BtfKind.FUNC) {
      const proto = raw.words[raw.at(t) + 2]!;
      const p0 = raw.at(proto) + 3;
      for (let j = 0; j < raw.vlen(proto); j++) {
        if (raw.words[p0 + 2 * j + 1] !== 0 && raw.words[p0 + 2 * j] === 0) raw.words[p0 + 2 * j] = dummyName;
      }
      raw.words[at] = dummy;
      raw.setHeader(t, { vlen: LINKAGE_GLOBAL });
    } else if (raw.kind(t) === BtfKind.VAR) {
      raw.words[raw.at(t) + 3] = LINKAGE_GLOBAL;
      raw.setHeader(t, { sizeOrType: int });
    } else {
      throw new BtfFixupError(`entry #${i} is type [${t}], neither VAR nor FUNC`, KSYMS);
    }
    raw.words[at + 1] = 4 * i;
    raw.words[at + 2] = 4;
  });
  raw.setHeader(sec, { sizeOrType: 4 * n });
}

/** btf__align_of for the types kconfig externs can have. */
function alignOf(raw: RawBtf, id: number, depth = 0): number {
  const t: BtfType = raw.reader.type(id);
  if (depth > 32) throw new BtfFixupError(`type [${id}] nests too deep to align`);
  switch (t.kind) {
    case 'INT': case 'ENUM': case 'ENUM64': case 'FLOAT': return Math.min(8, t.size);
    case 'PTR': return 8;
    case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG': return alignOf(raw, t.type, depth + 1);
    case 'ARRAY': return alignOf(raw, t.elemType, depth + 1);
    case 'STRUCT': case 'UNION': {
      let max = 1;
      for (const m of t.members) {
        const a = alignOf(raw, m.type, depth + 1);
        max = Math.max(max, a);
        if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return 1; // packed
      }
      return t.size % max === 0 ? max : 1;
    }
    default: throw new BtfFixupError(`type [${id}] (${t.kind}) has no alignment`);
  }
}

function fixKconfig(raw: RawBtf, sec: number, given: ReadonlyMap<string, number> | undefined): void {
  const vars = Array.from({ length: raw.vlen(sec) }, (_, i) => {
    const id = raw.words[secinfo(raw, sec, i)]!;
    if (raw.kind(id) !== BtfKind.VAR) throw new BtfFixupError(`entry #${i} is type [${id}], not a VAR`, KCONFIG);
    const t = raw.reader.typeOf(id, 'VAR');
    let size: number;
    try {
      size = resolveSize(raw.reader, t.type);
    } catch (e) {
      throw new BtfFixupError(`extern '${t.name}': ${(e as Error).message}`, KCONFIG);
    }
    return { i, id, name: t.name, size, align: alignOf(raw, t.type) };
  });
  const offsets = new Map<string, number>();
  let end = 0;
  if (given) {
    for (const v of vars) {
      const off = given.get(v.name);
      if (off === undefined) throw new BtfFixupError(`no offset given for extern '${v.name}'`, KCONFIG);
      offsets.set(v.name, off);
      end = Math.max(end, off + v.size);
    }
  } else {
    const order = [...vars].sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const v of order) {
      const off = Math.ceil(end / v.align) * v.align;
      offsets.set(v.name, off);
      end = off + v.size;
    }
  }
  for (const v of vars) {
    raw.words[raw.at(v.id) + 3] = LINKAGE_GLOBAL;
    raw.words[secinfo(raw, sec, v.i) + 1] = offsets.get(v.name)!;
  }
  raw.setHeader(sec, { sizeOrType: end });
}

function fixDatasec(raw: RawBtf, sec: number, name: string, info: BtfSectionInfo | undefined): void {
  let fixOffsets = false;
  if (raw.words[raw.at(sec) + 2] === 0) {
    if (!info || info.size === 0) throw new BtfFixupError(`size is 0 and the ELF section ${info ? 'is empty' : 'was not given'}`, name);
    raw.setHeader(sec, { sizeOrType: info.size });
    fixOffsets = true;
  }
  for (let i = 0; i < raw.vlen(sec); i++) {
    const at = secinfo(raw, sec, i);
    const id = raw.words[at]!;
    if (raw.kind(id) !== BtfKind.VAR) throw new BtfFixupError(`entry #${i} is type [${id}], not a VAR`, name);
    const linkage = raw.words[raw.at(id) + 3]!;
    const varName = raw.reader.name(id);
    if (linkage === LINKAGE_EXTERN) throw new BtfFixupError(`extern VAR '${varName}' outside ${KCONFIG} and ${KSYMS}`, name);
    if (linkage === LINKAGE_STATIC) continue;
    const off = info?.symbols.get(varName);
    if (off === undefined) throw new BtfFixupError(`no ELF symbol for VAR '${varName}'`, name);
    if (fixOffsets) raw.words[at + 1] = off;
    if (info?.hidden?.has(varName)) raw.words[raw.at(id) + 3] = LINKAGE_STATIC;
  }
}

/** Sort a DATASEC's entries by offset (stable, unlike qsort; ties keep BTF order). */
function sortVars(raw: RawBtf, sec: number): void {
  const n = raw.vlen(sec);
  const first = secinfo(raw, sec, 0);
  const entries = Array.from({ length: n }, (_, i) => raw.words.slice(first + 3 * i, first + 3 * i + 3));
  entries.sort((a, b) => a[1]! - b[1]!);
  entries.forEach((e, i) => raw.words.splice(first + 3 * i, 3, ...e));
}

/** Every feature: what a current kernel (this project's 6.18) accepts. */
export const ALL_BTF_FEATURES: Readonly<Required<BtfFeatures>> = Object.freeze({
  func: true, globalFunc: true, datasec: true, qmarkDatasec: true, float: true, declTag: true, typeTag: true, enum64: true,
});

/** Rewrite the kinds and flags a kernel without `features` rejects (libbpf's bpf_object__sanitize_btf). */
export function sanitizeBtf(btf: Uint8Array, features: BtfFeatures): Uint8Array {
  const f = { ...ALL_BTF_FEATURES, ...features };
  const raw = new RawBtf(btf);
  const count = raw.lastId;
  let placeholder = 0;
  for (let id = 1; id <= count; id++) {
    const kind = raw.kind(id);
    const at = raw.at(id);
    const vlen = raw.vlen(id);
    if ((!f.datasec && kind === BtfKind.VAR) || (!f.declTag && kind === BtfKind.DECL_TAG)) {
      // A 1-byte int: 4 bytes could be larger than the variable and fail validation.
      raw.setHeader(id, { kind: BtfKind.INT, vlen: 0, kflag: false, sizeOrType: 1 });
      raw.words[at + 3] = 8;
    } else if (!f.datasec && kind === BtfKind.DATASEC) {
      const nameOff = raw.words[at]!;
      raw.rewriteString(nameOff, raw.string(nameOff).replace(/[.?]/g, '_'));
      for (let i = 0; i < vlen; i++) {
        const m = at + 3 + 3 * i;
        const [type, offset] = [raw.words[m]!, raw.words[m + 1]!];
        raw.words[m] = raw.words[raw.at(type)]!; // the VAR's name
        raw.words[m + 1] = type;
        raw.words[m + 2] = offset * 8;
      }
      raw.setHeader(id, { kind: BtfKind.STRUCT, kflag: false });
    } else if (!f.qmarkDatasec && kind === BtfKind.DATASEC && raw.string(raw.words[at]!).startsWith('?')) {
      raw.rewriteString(raw.words[at]!, '_');
    } else if (!f.func && kind === BtfKind.FUNC_PROTO) {
      // Parameters (name, type) read as enumerators (name, value).
      raw.setHeader(id, { kind: BtfKind.ENUM, kflag: false, sizeOrType: 4 });
    } else if (!f.func && kind === BtfKind.FUNC) {
      raw.setHeader(id, { kind: BtfKind.TYPEDEF, vlen: 0, kflag: false });
    } else if (!f.globalFunc && kind === BtfKind.FUNC) {
      raw.setHeader(id, { vlen: LINKAGE_STATIC, kflag: false });
    } else if (!f.float && kind === BtfKind.FLOAT) {
      // An empty struct of the same size; anonymous, since "float" is no struct name.
      raw.setHeader(id, { nameOff: 0, kind: BtfKind.STRUCT, vlen: 0, kflag: false });
    } else if (!f.typeTag && kind === BtfKind.TYPE_TAG) {
      raw.setHeader(id, { nameOff: 0, kind: BtfKind.CONST, kflag: false });
    } else if (!f.enum64 && kind === BtfKind.ENUM) {
      raw.setHeader(id, { kflag: false });
    } else if (!f.enum64 && kind === BtfKind.ENUM64) {
      placeholder ||= raw.addType([raw.addString('enum64_placeholder'), BtfKind.INT << 24, 1, 8]);
      for (let i = 0; i < vlen; i++) {
        raw.words[at + 3 + 3 * i + 1] = placeholder;
        raw.words[at + 3 + 3 * i + 2] = 0;
      }
      raw.setHeader(id, { kind: BtfKind.UNION, kflag: false });
    }
  }
  return raw.encode();
}

/** fixupBtf then sanitizeBtf: the blob to hand to BPF_BTF_LOAD. */
export function prepareBtfForKernel(btf: Uint8Array, opts: BtfFixupOptions & { features?: BtfFeatures }): Uint8Array {
  const fixed = fixupBtf(btf, opts);
  const features = opts.features ?? {};
  // A kernel with every feature needs no rewrite, and fixupBtf's output is
  // already in sanitizeBtf's encoding: skip a second parse and encode.
  if (Object.values(features).every((v) => v !== false)) return fixed;
  return sanitizeBtf(fixed, features);
}
