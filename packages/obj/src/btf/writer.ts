// A minimal BTF encoder: build types one by one (each call returns the new
// type id), then encode() the raw .BTF blob (header, type section, string
// section) the kernel's BTF_LOAD and libbpf accept. Pure data, no syscalls.
// Format: Documentation/bpf/btf.rst; numbers from include/uapi/linux/btf.h.

const BTF_MAGIC = 0xeb9f;
const BTF_VERSION = 1;
const HEADER_LEN = 24;

// BTF_KIND_* values (kept private: the reader exports the public table).
const BtfKind = {
  UNKN: 0, INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9,
  CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17,
  TYPE_TAG: 18, ENUM64: 19,
} as const;

/** BTF_INT_* encoding bits. */
const BtfIntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** Linkage of a FUNC (btf_func_linkage) or VAR (btf_var linkage). */
export type BtfWriterLinkage = 'static' | 'global' | 'extern';
const LINKAGE: Record<BtfWriterLinkage, number> = { static: 0, global: 1, extern: 2 };

export interface BtfWriterMember {
  /** '' for an anonymous member. */
  name: string;
  type: number;
  /** Byte offset; or give bitOffset. */
  offset?: number;
  bitOffset?: number;
  /** Bit-field width (0 or absent: not a bit-field). */
  bitfieldSize?: number;
}

export interface BtfWriterParam {
  name?: string;
  type: number;
}

export interface BtfWriterSecVar {
  /** A VAR (or FUNC for .ksyms) type id. */
  type: number;
  offset: number;
  size: number;
}

interface TypeRecord {
  kind: number;
  name: string;
  vlen: number;
  kindFlag: boolean;
  /** The size/type word after name_off and info. */
  sizeOrType: number;
  /** Kind-specific trailing words, with string references resolved at encode time. */
  extra: (number | { str: string })[];
}

/**
 * Build a BTF blob.
 * @example
 * const w = new BtfWriter();
 * const int = w.int('int', 4, { signed: true });
 * const pair = w.struct('pair', 8, [{ name: 'a', type: int, offset: 0 }, { name: 'b', type: int, offset: 4 }]);
 * const blob = w.encode(); // pass to BTF_LOAD
 */
export class BtfWriter {
  readonly #types: TypeRecord[] = [];

  /** Number of types added (ids run from 1 to count; id 0 is void). */
  get count(): number {
    return this.#types.length;
  }

  #add(r: TypeRecord): number {
    this.#types.push(r);
    return this.#types.length;
  }

  #checkRef(id: number, what: string): void {
    if (!Number.isInteger(id) || id < 0) throw new RangeError(`BTF ${what}: type id ${id} is not a non-negative integer`);
  }

  /** INT: `size` bytes (1, 2, 4, 8 or 16); bits default to size*8. */
  int(name: string, size: number, opts: { signed?: boolean; char?: boolean; bool?: boolean; bits?: number; bitOffset?: number } = {}): number {
    if (![1, 2, 4, 8, 16].includes(size)) throw new RangeError(`BTF int '${name}': size ${size} is not 1, 2, 4, 8 or 16`);
    const bits = opts.bits ?? size * 8;
    if (bits < 1 || bits > size * 8) throw new RangeError(`BTF int '${name}': ${bits} bits do not fit ${size} bytes`);
    const enc = (opts.signed ? BtfIntEncoding.SIGNED : 0) | (opts.char ? BtfIntEncoding.CHAR : 0) | (opts.bool ? BtfIntEncoding.BOOL : 0);
    // The kernel takes at most one encoding: SIGNED, CHAR or BOOL.
    if (enc & (enc - 1)) throw new RangeError(`BTF int '${name}': signed, char and bool exclude each other`);
    const word = (enc << 24) | ((opts.bitOffset ?? 0) << 16) | bits;
    return this.#add({ kind: BtfKind.INT, name, vlen: 0, kindFlag: false, sizeOrType: size, extra: [word >>> 0] });
  }

  /** FLOAT of 2, 4, 8, 12 or 16 bytes. */
  float(name: string, size: number): number {
    return this.#add({ kind: BtfKind.FLOAT, name, vlen: 0, kindFlag: false, sizeOrType: size, extra: [] });
  }

  ptr(type: number): number {
    return this.#ref(BtfKind.PTR, '', type);
  }

  typedef(name: string, type: number): number {
    return this.#ref(BtfKind.TYPEDEF, name, type);
  }

  const(type: number): number {
    return this.#ref(BtfKind.CONST, '', type);
  }

  volatile(type: number): number {
    return this.#ref(BtfKind.VOLATILE, '', type);
  }

  restrict(type: number): number {
    return this.#ref(BtfKind.RESTRICT, '', type);
  }

  typeTag(name: string, type: number): number {
    return this.#ref(BtfKind.TYPE_TAG, name, type);
  }

  /** DECL_TAG on a type (componentIdx -1) or on a member/parameter. */
  declTag(name: string, type: number, componentIdx = -1): number {
    this.#checkRef(type, `decl_tag '${name}'`);
    return this.#add({ kind: BtfKind.DECL_TAG, name, vlen: 0, kindFlag: false, sizeOrType: type, extra: [componentIdx >>> 0] });
  }

  #ref(kind: number, name: string, type: number): number {
    this.#checkRef(type, `kind ${kind}`);
    return this.#add({ kind, name, vlen: 0, kindFlag: false, sizeOrType: type, extra: [] });
  }

  /**
   * ARRAY of `length` elements. The index type defaults to a 4-byte unsigned
   * int named `__ARRAY_SIZE_TYPE__` (as clang emits), added once.
   */
  array(elem: number, length: number, indexType?: number): number {
    this.#checkRef(elem, 'array element');
    if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) throw new RangeError(`BTF array: length ${length} is not a u32`);
    const index = indexType ?? this.#arrayIndexType();
    return this.#add({ kind: BtfKind.ARRAY, name: '', vlen: 0, kindFlag: false, sizeOrType: 0, extra: [elem, index, length] });
  }

  #indexType = 0;
  #arrayIndexType(): number {
    if (!this.#indexType) this.#indexType = this.int('__ARRAY_SIZE_TYPE__', 4);
    return this.#indexType;
  }

  struct(name: string, size: number, members: readonly BtfWriterMember[]): number {
    return this.#composite(BtfKind.STRUCT, name, size, members);
  }

  union(name: string, size: number, members: readonly BtfWriterMember[]): number {
    return this.#composite(BtfKind.UNION, name, size, members);
  }

  /** Replace the members of a struct/union added earlier (for self-referencing types). */
  setMembers(id: number, members: readonly BtfWriterMember[]): void {
    const r = this.#types[id - 1];
    if (!r || (r.kind !== BtfKind.STRUCT && r.kind !== BtfKind.UNION)) throw new RangeError(`BTF setMembers: type ${id} is not a struct or union`);
    const built = this.#members(r.name, members);
    r.vlen = members.length;
    r.kindFlag = built.kindFlag;
    r.extra = built.extra;
  }

  #composite(kind: number, name: string, size: number, members: readonly BtfWriterMember[]): number {
    const built = this.#members(name, members);
    return this.#add({ kind, name, vlen: members.length, kindFlag: built.kindFlag, sizeOrType: size, extra: built.extra });
  }

  #members(owner: string, members: readonly BtfWriterMember[]): { kindFlag: boolean; extra: TypeRecord['extra'] } {
    if (members.length > 0xffff) throw new RangeError(`BTF '${owner}': ${members.length} members exceed 65535`);
    const kindFlag = members.some((m) => (m.bitfieldSize ?? 0) > 0);
    const extra: TypeRecord['extra'] = [];
    for (const m of members) {
      this.#checkRef(m.type, `member '${owner}.${m.name}'`);
      const bits = m.bitOffset ?? (m.offset ?? 0) * 8;
      if (kindFlag && bits > 0xffffff) throw new RangeError(`BTF '${owner}.${m.name}': bit offset ${bits} too large for a bit-field struct`);
      const off = kindFlag ? (((m.bitfieldSize ?? 0) << 24) | bits) >>> 0 : bits;
      extra.push({ str: m.name }, m.type, off);
    }
    return { kindFlag, extra };
  }

  /** ENUM (size 1, 2, 4 or 8 with 32-bit values); signed sets kind_flag. */
  enum(name: string, values: Readonly<Record<string, number>> | readonly (readonly [string, number])[], opts: { size?: number; signed?: boolean } = {}): number {
    const list = Array.isArray(values) ? values : Object.entries(values);
    const extra: TypeRecord['extra'] = [];
    for (const [n, v] of list as readonly (readonly [string, number])[]) {
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw new RangeError(`BTF enum '${name}.${n}': ${v} does not fit 32 bits (use enum64)`);
      extra.push({ str: n }, v >>> 0);
    }
    return this.#add({ kind: BtfKind.ENUM, name, vlen: list.length, kindFlag: opts.signed ?? false, sizeOrType: opts.size ?? 4, extra });
  }

  /** ENUM64: 64-bit values. */
  enum64(name: string, values: readonly (readonly [string, bigint])[], opts: { size?: number; signed?: boolean } = {}): number {
    const extra: TypeRecord['extra'] = [];
    for (const [n, v] of values) {
      const u = BigInt.asUintN(64, v);
      extra.push({ str: n }, Number(u & 0xffffffffn), Number(u >> 32n));
    }
    return this.#add({ kind: BtfKind.ENUM64, name, vlen: values.length, kindFlag: opts.signed ?? false, sizeOrType: opts.size ?? 8, extra });
  }

  /** FWD declaration of a struct (or union). */
  fwd(name: string, opts: { union?: boolean } = {}): number {
    return this.#add({ kind: BtfKind.FWD, name, vlen: 0, kindFlag: opts.union ?? false, sizeOrType: 0, extra: [] });
  }

  /** FUNC_PROTO: return type (0 = void) and parameters. */
  funcProto(ret: number, params: readonly BtfWriterParam[]): number {
    this.#checkRef(ret, 'func_proto return');
    const extra: TypeRecord['extra'] = [];
    for (const p of params) {
      this.#checkRef(p.type, 'func_proto param');
      extra.push({ str: p.name ?? '' }, p.type);
    }
    return this.#add({ kind: BtfKind.FUNC_PROTO, name: '', vlen: params.length, kindFlag: false, sizeOrType: ret, extra });
  }

  /** FUNC named `name` with prototype `proto`. */
  func(name: string, proto: number, linkage: BtfWriterLinkage = 'global'): number {
    this.#checkRef(proto, `func '${name}'`);
    return this.#add({ kind: BtfKind.FUNC, name, vlen: LINKAGE[linkage], kindFlag: false, sizeOrType: proto, extra: [] });
  }

  /** VAR (a global variable, e.g. a map definition in .maps). */
  var(name: string, type: number, linkage: BtfWriterLinkage = 'global'): number {
    this.#checkRef(type, `var '${name}'`);
    return this.#add({ kind: BtfKind.VAR, name, vlen: 0, kindFlag: false, sizeOrType: type, extra: [LINKAGE[linkage]] });
  }

  /** DATASEC (an ELF section of variables: .data, .bss, .maps, ...). */
  datasec(name: string, size: number, vars: readonly BtfWriterSecVar[]): number {
    const extra: TypeRecord['extra'] = [];
    for (const v of vars) {
      this.#checkRef(v.type, `datasec '${name}' var`);
      extra.push(v.type, v.offset, v.size);
    }
    return this.#add({ kind: BtfKind.DATASEC, name, vlen: vars.length, kindFlag: false, sizeOrType: size, extra });
  }

  /** The raw BTF blob: header, types, strings (little-endian). */
  encode(): Uint8Array {
    const strings = new StringTable();
    const words: number[] = [];
    const max = this.#types.length;
    for (const r of this.#types) {
      words.push(strings.add(r.name));
      words.push(((r.kindFlag ? 1 : 0) << 31 | (r.kind << 24) | r.vlen) >>> 0);
      words.push(r.sizeOrType >>> 0);
      for (const w of r.extra) words.push(typeof w === 'number' ? w >>> 0 : strings.add(w.str));
    }
    // Type references must name an existing type (0 = void).
    for (const r of this.#types) {
      const refs = refsOf(r);
      for (const id of refs) if (id > max) throw new RangeError(`BTF: type id ${id} referenced but only ${max} types exist`);
    }
    const str = strings.bytes();
    const typeLen = words.length * 4;
    const out = new Uint8Array(HEADER_LEN + typeLen + str.byteLength);
    const view = new DataView(out.buffer);
    view.setUint16(0, BTF_MAGIC, true);
    view.setUint8(2, BTF_VERSION);
    view.setUint8(3, 0);
    view.setUint32(4, HEADER_LEN, true);
    view.setUint32(8, 0, true); // type_off
    view.setUint32(12, typeLen, true);
    view.setUint32(16, typeLen, true); // str_off
    view.setUint32(20, str.byteLength, true);
    words.forEach((w, i) => view.setUint32(HEADER_LEN + i * 4, w, true));
    out.set(str, HEADER_LEN + typeLen);
    return out;
  }
}

/** Type ids a record points at (for the dangling-reference check). */
function refsOf(r: TypeRecord): number[] {
  const n = (i: number): number => r.extra[i] as number;
  switch (r.kind) {
    case BtfKind.PTR: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT:
    case BtfKind.FUNC: case BtfKind.VAR: case BtfKind.DECL_TAG: case BtfKind.TYPE_TAG:
      return [r.sizeOrType];
    case BtfKind.ARRAY: return [n(0), n(1)];
    case BtfKind.STRUCT: case BtfKind.UNION: return Array.from({ length: r.vlen }, (_, i) => n(i * 3 + 1));
    case BtfKind.FUNC_PROTO: return [r.sizeOrType, ...Array.from({ length: r.vlen }, (_, i) => n(i * 2 + 1))];
    case BtfKind.DATASEC: return Array.from({ length: r.vlen }, (_, i) => n(i * 3));
    default: return [];
  }
}

/** The string section: starts with "\0" (offset 0 = no name); identical strings are stored once. */
class StringTable {
  readonly #offsets = new Map<string, number>([['', 0]]);
  readonly #chunks: Uint8Array[] = [new Uint8Array(1)];
  #size = 1;
  readonly #enc = new TextEncoder();

  add(s: string): number {
    const known = this.#offsets.get(s);
    if (known !== undefined) return known;
    if (s.includes('\0')) throw new RangeError(`BTF string '${s}' contains NUL`);
    const b = this.#enc.encode(s);
    const off = this.#size;
    const chunk = new Uint8Array(b.byteLength + 1);
    chunk.set(b);
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
    this.#offsets.set(s, off);
    return off;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    return out;
  }
}
