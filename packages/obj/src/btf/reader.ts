// A pure BTF reader: header, string section and every type kind with its
// vlen-sized tail. Parsing validates the whole layout once (bounds, kinds,
// name offsets, type references) and records where each type starts; types,
// strings and the name index are decoded lazily on first use and cached. After
// parse() succeeds nothing else throws BtfParseError: every offset and id a
// decoded type holds has been checked. The exception is BTF the caller vouched
// for with `trusted` (the kernel's own): its types are walked lazily, only as
// far as asked for (btf/type-layout.ts), and checked only as far as the walk
// needs.
//
// @example
// const btf = BtfReader.parse(fs.readFileSync('/sys/kernel/btf/vmlinux'));
// const id = btf.findId('btf_trace_sched_process_exec', 'TYPEDEF');
// const fn = btf.find('bpf_iter_task', 'FUNC'); // BtfFunc | undefined
import {
  BTF_KIND_NAMES, BTF_LINKAGE, BtfParseError,
  type BtfHeader, type BtfKindName, type BtfMember, type BtfType, type BtfTypeOf,
} from './reader-types.js';
import { TypeIndex, scanTypes } from './type-layout.js';

export * from './reader-types.js';

const HEADER_SIZE = 24;
const MAGIC = 0xeb9f;

export interface BtfReadOptions {
  /** Base BTF of split BTF (kernel module BTF is split on top of vmlinux). */
  base?: BtfReader;
  /**
   * The bytes were already validated by their producer: the running kernel's
   * own BTF (/sys/kernel/btf/*), which the kernel checks before it uses it.
   * Parsing then checks only the header and sections, and the types are
   * walked lazily, as far as the ids and names asked for (TypeIndex.lazy):
   * bounds and kinds are still checked on the way, and a layout the walk
   * cannot follow throws BtfParseError from the call that reaches it. No
   * name-offset and type-reference checks: on vmlinux a first CO-RE lookup
   * then costs well under a millisecond against 15-25 ms for the validating
   * parse in a cold process. Never set it for files from elsewhere: a bad
   * offset would surface later as a RangeError instead of a BtfParseError.
   */
  trusted?: boolean;
}

export class BtfReader {
  readonly header: BtfHeader;
  readonly littleEndian: boolean;
  readonly base: BtfReader | undefined;
  /** First type id defined by this blob: 1, or the base's lastId + 1 for split BTF. */
  readonly firstId: number;

  /** The type section as host-order words. */
  readonly #w: Uint32Array;
  /** Where each type starts in #w and its name offset, by id - firstId (searched as bytes, or hashed: #ownIdsWithNameOffs). */
  readonly #index: TypeIndex;
  readonly #strLen: number;
  /** String offsets below this belong to the base. */
  readonly #strBase: number;
  /** The string section, as a Buffer view for native substring search. */
  readonly #str: Buffer;
  readonly #cache: (BtfType | undefined)[] = [];
  /** name offset -> type ids with that name_off; built once searching #names would cost more. */
  #byNameOff: NameOffIndex | undefined;
  /** Offsets looked up by scanning #names so far. */
  #scans = 0;
  readonly #byName = new Map<string, readonly number[]>();
  readonly #byPrefix = new Map<string, readonly number[]>();
  readonly #byStem = new Map<string, readonly number[]>();

  private constructor(bytes: Uint8Array, header: BtfHeader, le: boolean, base: BtfReader | undefined, words: Uint32Array, index: TypeIndex) {
    this.header = header;
    this.littleEndian = le;
    this.base = base;
    this.firstId = base ? base.lastId + 1 : 1;
    this.#w = words;
    this.#index = index;
    this.#strLen = header.strLen;
    this.#str = Buffer.from(bytes.buffer, bytes.byteOffset + header.hdrLen + header.strOff, header.strLen);
    this.#strBase = base ? base.stringsLength : 0;
  }

  /**
   * Validate and index a BTF blob. Throws BtfParseError (with the byte offset)
   * on malformed input. The reader keeps views of `bytes`: do not modify them.
   */
  static parse(bytes: Uint8Array, opts: BtfReadOptions = {}): BtfReader {
    if (bytes.byteLength < HEADER_SIZE) throw new BtfParseError(`${bytes.byteLength} bytes is shorter than the ${HEADER_SIZE}-byte header`, 0);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let le = true;
    if (view.getUint16(0, true) !== MAGIC) {
      if (view.getUint16(0, false) !== MAGIC) throw new BtfParseError(`bad magic 0x${view.getUint16(0, true).toString(16)}`, 0);
      le = false;
    }
    const h32 = (o: number): number => view.getUint32(o, le);
    const header: BtfHeader = {
      magic: MAGIC, version: view.getUint8(2), flags: view.getUint8(3), hdrLen: h32(4),
      typeOff: h32(8), typeLen: h32(12), strOff: h32(16), strLen: h32(20),
    };
    if (header.version !== 1) throw new BtfParseError(`unsupported version ${header.version}`, 2);
    const len = bytes.byteLength;
    if (header.hdrLen < HEADER_SIZE || header.hdrLen > len) throw new BtfParseError(`header length ${header.hdrLen} outside 24..${len}`, 4);
    const typeStart = header.hdrLen + header.typeOff;
    const typeEnd = typeStart + header.typeLen;
    const strStart = header.hdrLen + header.strOff;
    const strEnd = strStart + header.strLen;
    if (header.typeOff % 4 !== 0 || header.typeLen % 4 !== 0) throw new BtfParseError(`type section ${header.typeOff}+${header.typeLen} is not 4-byte aligned`, 8);
    if (typeEnd > len) throw new BtfParseError(`type section ${typeStart}..${typeEnd} runs past the end (${len})`, 12);
    if (strEnd > len) throw new BtfParseError(`string section ${strStart}..${strEnd} runs past the end (${len})`, 20);
    if (typeStart < strEnd && strStart < typeEnd && header.typeLen > 0 && header.strLen > 0) {
      throw new BtfParseError('type and string sections overlap', 8);
    }
    const base = opts.base;
    if (header.strLen > 0) {
      if (bytes[strEnd - 1] !== 0) throw new BtfParseError('string section does not end with NUL', strEnd - 1);
      if (!base && bytes[strStart] !== 0) throw new BtfParseError('string section does not start with an empty string', strStart);
    } else if (!base) {
      throw new BtfParseError('empty string section', 20);
    }
    const strTotal = (base ? base.stringsLength : 0) + header.strLen;
    const firstId = base ? base.lastId + 1 : 1;
    const w = typeWords(bytes, typeStart, header.typeLen, le);
    const index = opts.trusted ? TypeIndex.lazy(w, typeStart, firstId) : scanTypes(w, typeStart, strTotal, firstId);
    return new BtfReader(bytes, header, le, base, w, index);
  }

  /** Bytes of string section this BTF can address (the base's plus its own). */
  get stringsLength(): number {
    return this.#strBase + this.#strLen;
  }

  /** Number of types defined here (not counting the base or void). */
  get count(): number {
    return this.#index.all();
  }

  /** Last valid type id (ids firstId..lastId are here, lower ones in the base). */
  get lastId(): number {
    return this.firstId + this.#index.all() - 1;
  }

  /** The NUL-terminated string at `off` (an offset into base + own strings). */
  string(off: number): string {
    if (off < this.#strBase && this.base) return this.base.string(off);
    const rel = off - this.#strBase;
    if (!Number.isInteger(rel) || rel < 0 || rel >= this.#strLen) throw new RangeError(`BTF string offset ${off} outside 0..${this.stringsLength - 1}`);
    // The section ends with NUL (checked by parse), so indexOf always finds one.
    return this.#str.toString('utf8', rel, this.#str.indexOf(0, rel));
  }

  #start(id: number): number {
    const i = id - this.firstId;
    const index = this.#index;
    if (i >= index.count && Number.isInteger(i)) index.reach(i);
    if (!Number.isInteger(id) || i < 0 || i >= index.count) throw new RangeError(`BTF type id ${id} outside ${this.firstId}..${this.lastId}`);
    return index.starts[i]!;
  }

  /** Kind of type `id` without decoding it. */
  kind(id: number): BtfKindName {
    if (id < this.firstId && this.base) return this.base.kind(id);
    return BTF_KIND_NAMES[(this.#w[this.#start(id) + 1]! >>> 24) & 0x1f]!;
  }

  /** Name of type `id` ('' when anonymous) without decoding the rest. */
  name(id: number): string {
    if (id < this.firstId && this.base) return this.base.name(id);
    return this.string(this.#w[this.#start(id)]!);
  }

  /** The decoded type `id` (cached). Id 0 is void and has no type: RangeError. */
  type(id: number): BtfType {
    if (id < this.firstId && this.base) return this.base.type(id);
    const i = id - this.firstId;
    const hit = this.#cache[i];
    if (hit) return hit;
    const t = this.#decode(id, this.#start(id));
    this.#cache[i] = t;
    return t;
  }

  /** The type `id`, checked to be of `kind`; throws TypeError otherwise. */
  typeOf<K extends BtfKindName>(id: number, kind: K): BtfTypeOf<K> {
    const t = this.type(id);
    if (t.kind !== kind) throw new TypeError(`BTF type ${id} is ${t.kind} '${t.name}', not ${kind}`);
    return t as BtfTypeOf<K>;
  }

  /**
   * Every type id named `name` (base ids first). A lookup finds the name's
   * offsets in the string table, then the types with those name offsets (a
   * scan at first, a hash index once there have been a few lookups), and is
   * cached. Names are matched as UTF-8 bytes, so a name that is not valid
   * UTF-8 cannot be found.
   */
  idsByName(name: string): readonly number[] {
    const cached = this.#byName.get(name);
    if (cached) return cached;
    const own = name !== '' && !name.includes('\0') ? this.#ownIdsAt(Buffer.from(`${name}\0`, 'utf8')) : [];
    const ids = this.base ? [...this.base.idsByName(name), ...own] : own;
    this.#byName.set(name, ids);
    return ids;
  }

  /**
   * Every type id whose name starts with `prefix` (base ids first, then in id
   * order), found like idsByName through the string table: CO-RE looks up
   * `task_struct___*` flavours this way without decoding every name.
   * Cached per prefix.
   * @example
   * btf.idsByNamePrefix('task_struct___'); // [] on a kernel without flavoured names
   */
  idsByNamePrefix(prefix: string): readonly number[] {
    const cached = this.#byPrefix.get(prefix);
    if (cached) return cached;
    const own = prefix !== '' && !prefix.includes('\0') ? this.#ownIdsAt(Buffer.from(prefix, 'utf8')) : [];
    const ids = this.base ? [...this.base.idsByNamePrefix(prefix), ...own] : own;
    this.#byPrefix.set(prefix, ids);
    return ids;
  }

  /**
   * The ids named `name` or `name` + `sep` + anything, in id order (base ids
   * first): idsByName(name) and idsByNamePrefix(name + sep) in one. CO-RE
   * looks up a type and its `___flavour`s this way: when `name` occurs only
   * a few times in the string table, one pass over it finds both. Cached.
   * @example
   * btf.idsByNameOrSuffixed('task_struct', '___'); // struct task_struct (and any task_struct___x)
   */
  idsByNameOrSuffixed(name: string, sep: string): readonly number[] {
    const key = `${name}\0${sep}`;
    const cached = this.#byStem.get(key);
    if (cached) return cached;
    let ids: readonly number[];
    if (name === '' || name.includes('\0') || sep === '' || sep.includes('\0')) {
      ids = this.idsByName(name);
    } else {
      const own = this.#ownIdsAtStem(Buffer.from(name, 'utf8'), Buffer.from(sep, 'utf8'));
      if (own) ids = this.base ? [...this.base.idsByNameOrSuffixed(name, sep), ...own] : own;
      // A common name (a suffix of many strings): two exact searches instead.
      else ids = [...this.idsByName(name), ...this.idsByNamePrefix(`${name}${sep}`)].sort((a, b) => a - b);
    }
    this.#byStem.set(key, ids);
    return ids;
  }

  /**
   * Ids of this blob's own types whose name starts at an occurrence of
   * `needle`, sorted. A name may point into the middle of a longer string,
   * and split BTF may name its own types with its bases' strings (libbpf
   * reuses them), so every occurrence in every string section counts.
   */
  #ownIdsAt(needle: Buffer): number[] {
    const offs: number[] = [];
    for (let r: BtfReader | undefined = this; r; r = r.base) {
      const str = r.#str;
      for (let at = str.indexOf(needle); at >= 0; at = str.indexOf(needle, at + 1)) offs.push(r.#strBase + at);
    }
    return this.#ownIdsWithNameOffs(offs);
  }

  /**
   * #ownIdsAt for "`stem` then NUL or `sep`" from one search for `stem`;
   * undefined when `stem` occurs more than STEM_HITS times (then two exact
   * searches cost less than checking every occurrence).
   */
  #ownIdsAtStem(stem: Buffer, sep: Buffer): number[] | undefined {
    const offs: number[] = [];
    let hits = 0;
    for (let r: BtfReader | undefined = this; r; r = r.base) {
      const str = r.#str;
      for (let at = str.indexOf(stem); at >= 0; at = str.indexOf(stem, at + 1)) {
        if (++hits > STEM_HITS) return undefined;
        const after = at + stem.length;
        if (str[after] === 0 || (after + sep.length <= str.length && str.compare(sep, 0, sep.length, after, after + sep.length) === 0)) {
          offs.push(r.#strBase + at);
        }
      }
    }
    return this.#ownIdsWithNameOffs(offs);
  }

  /** Ids of this blob's own types whose name_off is one of `offs`, sorted. */
  #ownIdsWithNameOffs(offs: readonly number[]): number[] {
    const own: number[] = [];
    if (offs.length === 0) return own;
    // A few offsets: search the name offsets (~0.1 ms each on vmlinux), so a
    // first object load, which looks up two or three names, never pays for
    // the hash index (~5-10 ms on vmlinux in a cold process). Common names
    // occur at hundreds of offsets (as suffixes of longer strings), and many
    // lookups add up: then the index pays for itself.
    const index = this.#index;
    const scan = !this.#byNameOff && offs.length <= SCAN_OFFSETS && (this.#scans += offs.length) <= SCANS_BEFORE_INDEX;
    if (scan && !index.done) {
      // Not every type is indexed yet (trusted BTF): find them in the type
      // section itself, indexing only as far as they are.
      const found: number[] = [];
      for (const off of offs) index.namedAt(off, found);
      for (const i of found) own.push(this.firstId + i);
    } else if (scan) {
      // Buffer.indexOf (a native byte search) is several times faster than
      // Uint32Array.indexOf; a match must fall on a word boundary.
      const names = index.names;
      const bytes = Buffer.from(names.buffer, names.byteOffset, 4 * index.count);
      const needle = new Uint32Array(1);
      const needleBytes = new Uint8Array(needle.buffer);
      for (const off of offs) {
        needle[0] = off;
        for (let at = bytes.indexOf(needleBytes); at >= 0; at = bytes.indexOf(needleBytes, at + 1)) {
          if (at % 4 === 0) own.push(this.firstId + at / 4);
        }
      }
    } else {
      this.#byNameOff ??= new NameOffIndex(index.names.subarray(0, index.all()), this.firstId);
      for (const off of offs) this.#byNameOff.collect(off, own);
    }
    return own.sort((a, b) => a - b);
  }

  /** The first type id named `name` (of `kind` when given), or undefined. */
  findId(name: string, kind?: BtfKindName): number | undefined {
    for (const id of this.idsByName(name)) if (!kind || this.kind(id) === kind) return id;
    return undefined;
  }

  /** The first type named `name` of `kind`, decoded, or undefined. */
  find<K extends BtfKindName>(name: string, kind: K): BtfTypeOf<K> | undefined {
    const id = this.findId(name, kind);
    return id === undefined ? undefined : this.typeOf(id, kind);
  }

  /** Follow TYPEDEF/CONST/VOLATILE/RESTRICT/TYPE_TAG to the underlying type id (0 for void). */
  skipModifiers(id: number): number {
    // Real chains are a few links long: only a long one pays for loop detection
    // (a hop budget of lastId made each loop cost ~100k hops on vmlinux).
    let seen: Set<number> | undefined;
    for (let hops = 0; id !== 0; hops++) {
      const t = this.type(id);
      if (t.kind !== 'TYPEDEF' && t.kind !== 'CONST' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG') return id;
      if (hops >= 32) {
        seen ??= new Set();
        if (seen.has(id)) throw new TypeError(`BTF type ${id}: modifier chain loops`);
        seen.add(id);
      }
      id = t.type;
    }
    return 0;
  }

  /** Every type defined here, in id order (decoded lazily). */
  *types(): IterableIterator<BtfType> {
    for (let id = this.firstId; id <= this.lastId; id++) yield this.type(id);
  }

  #decode(id: number, i: number): BtfType {
    const w = this.#w;
    const info = w[i + 1]!;
    const kind = BTF_KIND_NAMES[(info >>> 24) & 0x1f]!;
    const vlen = info & 0xffff;
    const kflag = (info >>> 31) === 1;
    const name = this.string(w[i]!);
    const st = w[i + 2]!;
    const t = i + 3;
    switch (kind) {
      case 'INT': {
        const enc = w[t]!;
        const e = (enc >>> 24) & 0x0f;
        return { id, kind, name, size: st, signed: (e & 1) !== 0, char: (e & 2) !== 0, bool: (e & 4) !== 0, bitOffset: (enc >>> 16) & 0xff, bits: enc & 0xff };
      }
      case 'PTR': case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG':
        return { id, kind, name, type: st } as BtfType;
      case 'ARRAY':
        return { id, kind, name, elemType: w[t]!, indexType: w[t + 1]!, nelems: w[t + 2]! };
      case 'STRUCT': case 'UNION': {
        const members: BtfMember[] = [];
        for (let k = 0, m = t; k < vlen; k++, m += 3) {
          const off = w[m + 2]!;
          members.push({
            name: this.string(w[m]!), type: w[m + 1]!,
            bitOffset: kflag ? off & 0xffffff : off, bitfieldSize: kflag ? off >>> 24 : 0,
          });
        }
        return { id, kind, name, size: st, members } as BtfType;
      }
      case 'ENUM': {
        const values = [];
        for (let k = 0, m = t; k < vlen; k++, m += 2) values.push({ name: this.string(w[m]!), value: kflag ? w[m + 1]! | 0 : w[m + 1]! });
        return { id, kind, name, size: st, signed: kflag, values };
      }
      case 'ENUM64': {
        const values = [];
        for (let k = 0, m = t; k < vlen; k++, m += 3) {
          const v = (BigInt(w[m + 2]!) << 32n) | BigInt(w[m + 1]!);
          values.push({ name: this.string(w[m]!), value: kflag ? BigInt.asIntN(64, v) : v });
        }
        return { id, kind, name, size: st, signed: kflag, values };
      }
      case 'FWD':
        return { id, kind, name, fwdKind: kflag ? 'union' : 'struct' };
      case 'FUNC':
        return { id, kind, name, type: st, linkage: BTF_LINKAGE[vlen]! };
      case 'FUNC_PROTO': {
        const params = [];
        for (let k = 0, m = t; k < vlen; k++, m += 2) params.push({ name: this.string(w[m]!), type: w[m + 1]! });
        return { id, kind, name, returnType: st, params };
      }
      case 'VAR':
        return { id, kind, name, type: st, linkage: BTF_LINKAGE[w[t]!]! };
      case 'DATASEC': {
        const vars = [];
        for (let k = 0, m = t; k < vlen; k++, m += 3) vars.push({ type: w[m]!, offset: w[m + 1]!, size: w[m + 2]! });
        return { id, kind, name, size: st, vars };
      }
      case 'FLOAT':
        return { id, kind, name, size: st };
      case 'DECL_TAG':
        return { id, kind, name, type: st, componentIdx: w[t]! | 0 };
    }
  }
}

/** A lookup whose name occurs at more string offsets than this uses the hash index. */
const SCAN_OFFSETS = 8;
/** Offsets looked up by scanning before the hash index is built. */
const SCANS_BEFORE_INDEX = 24;
/** idsByNameOrSuffixed checks at most this many occurrences of the name itself. */
const STEM_HITS = 32;

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The type section as host-order u32 words: a view when it is already aligned
 * and in host order, otherwise a copy (byte-swapped for the other endianness).
 */
function typeWords(bytes: Uint8Array, start: number, len: number, le: boolean): Uint32Array {
  const n = len / 4;
  if (le === HOST_LE && (bytes.byteOffset + start) % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset + start, n);
  const out = new Uint32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, len);
  for (let i = 0; i < n; i++) out[i] = view.getUint32(4 * i, le);
  return out;
}

/**
 * Type ids by name offset: an open-addressing hash table in typed arrays (a
 * Map of 100k+ entries costs several times more to build). Types sharing a
 * name offset are chained through `next`.
 */
class NameOffIndex {
  readonly #keys: Uint32Array; // name offset + 1; 0 = empty slot
  readonly #head: Int32Array; // type index of the chain's first type
  readonly #next: Int32Array; // next type index with the same name offset, or -1
  readonly #mask: number;
  readonly #firstId: number;

  constructor(names: Uint32Array, firstId: number) {
    let cap = 16;
    while (cap < names.length * 2) cap *= 2;
    const keys = new Uint32Array(cap);
    const head = new Int32Array(cap);
    const next = new Int32Array(names.length);
    const mask = cap - 1;
    for (let i = 0; i < names.length; i++) {
      const off = names[i]!;
      // Anonymous types have no name to find.
      if (off === 0) continue;
      const key = off + 1;
      let h = Math.imul(off, 0x9e3779b1) & mask;
      let k = keys[h]!;
      while (k !== 0 && k !== key) { h = (h + 1) & mask; k = keys[h]!; }
      if (k === 0) { keys[h] = key; next[i] = -1; } else { next[i] = head[h]!; }
      head[h] = i;
    }
    this.#keys = keys;
    this.#head = head;
    this.#next = next;
    this.#mask = mask;
    this.#firstId = firstId;
  }

  /** Append the ids of types whose name_off is `off` to `out`. */
  collect(off: number, out: number[]): void {
    const keys = this.#keys;
    let h = Math.imul(off, 0x9e3779b1) & this.#mask;
    while (keys[h] !== 0 && keys[h] !== off + 1) h = (h + 1) & this.#mask;
    if (keys[h] === 0) return;
    for (let i = this.#head[h]!; i >= 0; i = this.#next[i]!) out.push(this.#firstId + i);
  }
}
