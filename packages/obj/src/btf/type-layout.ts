// Where each type of a BTF type section starts, and its name offset. A
// validating parse (scanTypes) checks and indexes every type at once; the
// kernel's own BTF, which the kernel has checked (BtfReadOptions.trusted), is
// indexed lazily (TypeIndex.lazy): only as far as the types asked for. A first
// CO-RE load asks for types among the first few percent of vmlinux's ~127 000,
// and walking all of them costs ~3-4 ms in a cold process (~1.3 ms warm).
import { BTF_KIND_NAMES, BTF_LINKAGE, BtfKind, BtfParseError } from './reader-types.js';

/** Kinds whose btf_type.size_type field is a type id rather than a size. */
function sizeTypeIsRef(kind: number): boolean {
  switch (kind) {
    case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT:
    case BtfKind.FUNC: case BtfKind.FUNC_PROTO: case BtfKind.VAR: case BtfKind.DECL_TAG: case BtfKind.TYPE_TAG:
      return true;
    default:
      return false;
  }
}


// Per-kind shape of the words after a btf_type, as tables so the walks below
// do no per-type branching beyond a lookup (it runs ~130k times for vmlinux,
// mostly before the JIT has warmed up).
/** Fixed words after btf_type (-1: unknown kind). */
const FIXED = Int8Array.from({ length: 32 }, (_, k) => {
  switch (k) {
    case BtfKind.INT: case BtfKind.VAR: case BtfKind.DECL_TAG: return 1;
    case BtfKind.ARRAY: return 3;
    case BtfKind.PTR: case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM: case BtfKind.FWD: case BtfKind.TYPEDEF:
    case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT: case BtfKind.FUNC: case BtfKind.FUNC_PROTO:
    case BtfKind.DATASEC: case BtfKind.FLOAT: case BtfKind.TYPE_TAG: case BtfKind.ENUM64: return 0;
    default: return -1;
  }
});
/** Words per vlen entry. */
const STRIDE = Int8Array.from({ length: 32 }, (_, k) =>
  k === BtfKind.STRUCT || k === BtfKind.UNION || k === BtfKind.ENUM64 || k === BtfKind.DATASEC ? 3
    : k === BtfKind.ENUM || k === BtfKind.FUNC_PROTO ? 2 : 0);
/** Word of a vlen entry holding a name offset (-1: none). */
const NAME_AT = Int8Array.from({ length: 32 }, (_, k) =>
  k === BtfKind.STRUCT || k === BtfKind.UNION || k === BtfKind.ENUM || k === BtfKind.ENUM64 || k === BtfKind.FUNC_PROTO ? 0 : -1);
/** Word of a vlen entry holding a type id (-1: none). */
const REF_AT = Int8Array.from({ length: 32 }, (_, k) =>
  k === BtfKind.STRUCT || k === BtfKind.UNION || k === BtfKind.FUNC_PROTO ? 1 : k === BtfKind.DATASEC ? 0 : -1);
/** 1 when btf_type.size_type is a type id. */
const ST_REF = Uint8Array.from({ length: 32 }, (_, k) => (sizeTypeIsRef(k) ? 1 : 0));

/**
 * Walk the type section once: bounds, kinds, name offsets, type references and
 * per-kind values. Returns the word index of each type; throws BtfParseError
 * with the byte offset of the first problem.
 */
export function scanTypes(w: Uint32Array, typeStart: number, strTotal: number, firstId: number): TypeIndex {
  const nw = w.length;
  const starts = new Uint32Array(Math.floor(nw / 3));
  const names = new Uint32Array(starts.length);
  let count = 0;
  let maxRef = 0;
  let maxRefAt = 0;
  let badName = -1;
  let i = 0;
  while (i < nw) {
    if (i + 3 > nw) throw new BtfParseError(`type ${firstId + count} is truncated`, typeStart + 4 * i);
    const info = w[i + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const fixed = FIXED[kind]!;
    if (fixed < 0) throw new BtfParseError(`type ${firstId + count} has unknown kind ${kind}`, typeStart + 4 * (i + 1));
    const stride = STRIDE[kind]!;
    const t = i + 3;
    const end = t + fixed + stride * vlen;
    if (end > nw) {
      throw new BtfParseError(`type ${firstId + count} (${BTF_KIND_NAMES[kind]}, vlen ${vlen}) runs past the type section`, typeStart + 4 * i);
    }
    if (w[i]! >= strTotal) { badName = i; break; }
    if (ST_REF[kind] === 1 && w[i + 2]! > maxRef) { maxRef = w[i + 2]!; maxRefAt = i + 2; }
    if (stride !== 0) {
      const nameAt = NAME_AT[kind]!;
      const refAt = REF_AT[kind]!;
      for (let m = t; m < end; m += stride) {
        if (nameAt >= 0 && w[m + nameAt]! >= strTotal) { badName = m + nameAt; break; }
        if (refAt >= 0 && w[m + refAt]! > maxRef) { maxRef = w[m + refAt]!; maxRefAt = m + refAt; }
      }
      if (badName >= 0) break;
    } else if (kind === BtfKind.ARRAY) {
      if (w[t]! > maxRef) { maxRef = w[t]!; maxRefAt = t; }
      if (w[t + 1]! > maxRef) { maxRef = w[t + 1]!; maxRefAt = t + 1; }
    } else if (kind === BtfKind.FUNC) {
      if (vlen >= BTF_LINKAGE.length) throw new BtfParseError(`FUNC ${firstId + count} has unknown linkage ${vlen}`, typeStart + 4 * (i + 1));
    } else if (kind === BtfKind.VAR) {
      if (w[t]! >= BTF_LINKAGE.length) throw new BtfParseError(`VAR ${firstId + count} has unknown linkage ${w[t]}`, typeStart + 4 * t);
    } else if (kind === BtfKind.DECL_TAG) {
      if ((w[t]! | 0) < -1) throw new BtfParseError(`DECL_TAG ${firstId + count} has component index ${w[t]! | 0}`, typeStart + 4 * t);
    }
    names[count] = w[i]!;
    starts[count++] = i;
    i = end;
  }
  if (badName >= 0) {
    throw new BtfParseError(`name offset ${w[badName]} outside the string section (${strTotal} bytes)`, typeStart + 4 * badName);
  }
  const lastId = firstId + count - 1;
  if (maxRef > lastId) throw new BtfParseError(`reference to type ${maxRef}, but the last type is ${lastId}`, typeStart + 4 * maxRefAt);
  return TypeIndex.complete(w, starts, names, count);
}

/**
 * Word index where each type starts and its name offset, by type index (id -
 * firstId), for the first `count` types; `starts`/`names` have room for the
 * most types the section could hold. Lazy indexes grow on demand: reach(),
 * all(), indexAt(), namedAt().
 */
export class TypeIndex {
  readonly starts: Uint32Array;
  readonly names: Uint32Array;
  readonly #w: Uint32Array;
  readonly #typeStart: number;
  readonly #firstId: number;
  /** Word where the next type to index starts (w.length once every type is). */
  #next: number;
  /** Types indexed so far. */
  #count: number;
  /** #w as bytes, for native searches. */
  #bytes: Buffer | undefined;

  private constructor(w: Uint32Array, typeStart: number, firstId: number, starts: Uint32Array, names: Uint32Array, count: number, next: number) {
    this.#w = w;
    this.#typeStart = typeStart;
    this.#firstId = firstId;
    this.starts = starts;
    this.names = names;
    this.#count = count;
    this.#next = next;
  }

  /** Types indexed so far (all of them once `done`). */
  get count(): number {
    return this.#count;
  }

  /** Every type indexed already (scanTypes). */
  static complete(w: Uint32Array, starts: Uint32Array, names: Uint32Array, count: number): TypeIndex {
    return new TypeIndex(w, 0, 0, starts, names, count, w.length);
  }

  /**
   * Nothing indexed yet: types are walked when asked for. The walk checks only
   * what it needs to find the next type (bounds, kinds) and throws
   * BtfParseError, from whichever call reaches the problem, when it cannot.
   */
  static lazy(w: Uint32Array, typeStart: number, firstId: number): TypeIndex {
    const cap = Math.floor(w.length / 3);
    return new TypeIndex(w, typeStart, firstId, new Uint32Array(cap), new Uint32Array(cap), 0, 0);
  }

  get done(): boolean {
    return this.#next >= this.#w.length;
  }

  /** Indexes types until type index `i` is (or the section ends). */
  reach(i: number): void {
    if (i >= this.#count && !this.done) this.#walk(i + 1, Infinity);
  }

  /** Indexes every type; returns how many there are. */
  all(): number {
    if (!this.done) this.#walk(Infinity, Infinity);
    return this.#count;
  }

  /** The index of the type that starts at word `p`, or -1 (indexing up to `p` first). */
  indexAt(p: number): number {
    if (p >= this.#next && !this.done) this.#walk(Infinity, p);
    const starts = this.starts;
    let lo = 0;
    let hi = this.#count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = starts[mid]!;
      if (s === p) return mid;
      if (s < p) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * Appends the index of every type whose name offset is `off`, without
   * indexing every type: a native search of the section for the word `off`,
   * kept where the next word reads as a btf_type info word (a known kind, the
   * bits the kernel requires clear), then indexAt() for those. Every type
   * named `off` is found; other words equal to `off` (sizes, member fields,
   * enumerator values) are almost never followed by such a word, so the walk
   * goes only as far as the types found. On vmlinux a common struct name's
   * offset occurs 1-900 times and all but the type itself are dropped.
   */
  namedAt(off: number, out: number[]): void {
    const w = this.#w;
    const bytes = (this.#bytes ??= Buffer.from(w.buffer, w.byteOffset, w.byteLength));
    const needle = new Uint8Array(new Uint32Array([off]).buffer);
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
      if (at % 4 !== 0) continue;
      const p = at / 4;
      if (p + 2 >= w.length) break;
      const info = w[p + 1]!;
      if ((info & INFO_UNUSED_BITS) !== 0 || FIXED[(info >>> 24) & 0x1f]! < 0) continue;
      const i = this.indexAt(p);
      if (i >= 0) out.push(i);
    }
  }

  /** Index types until `maxCount` are, or the type covering word `throughWord` is, or the section ends. */
  #walk(maxCount: number, throughWord: number): void {
    const w = this.#w;
    const nw = w.length;
    const starts = this.starts;
    const names = this.names;
    let count = this.#count;
    let i = this.#next;
    while (i < nw && count < maxCount && i <= throughWord) {
      if (i + 3 > nw) throw new BtfParseError(`type ${this.#firstId + count} is truncated`, this.#typeStart + 4 * i);
      const info = w[i + 1]!;
      const kind = (info >>> 24) & 0x1f;
      const fixed = FIXED[kind]!;
      if (fixed < 0) throw new BtfParseError(`type ${this.#firstId + count} has unknown kind ${kind}`, this.#typeStart + 4 * (i + 1));
      const end = i + 3 + fixed + STRIDE[kind]! * (info & 0xffff);
      if (end > nw) throw new BtfParseError(`type ${this.#firstId + count} (${BTF_KIND_NAMES[kind]}) runs past the type section`, this.#typeStart + 4 * i);
      names[count] = w[i]!;
      starts[count++] = i;
      i = end;
    }
    this.#count = count;
    this.#next = i;
  }
}

/** btf_type.info bits the kernel requires clear (it checks info & ~0x9f00ffff). */
const INFO_UNUSED_BITS = 0x60ff0000;
