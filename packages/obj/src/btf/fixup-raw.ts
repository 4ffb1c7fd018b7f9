// A BTF blob opened for in-place editing, the way libbpf edits its copy
// before BPF_BTF_LOAD: type ids and string offsets never move (func_info,
// line_info and map definitions keep pointing at the right things); new types
// and strings are only appended. Encodes back to little-endian with a 24-byte
// header.
import { BtfKind, BtfReader } from './reader.js';

/** Words after btf_type, and words per vlen entry, per kind. */
const FIXED: Record<number, number> = { [BtfKind.INT]: 1, [BtfKind.ARRAY]: 3, [BtfKind.VAR]: 1, [BtfKind.DECL_TAG]: 1 };
const STRIDE: Record<number, number> = {
  [BtfKind.STRUCT]: 3, [BtfKind.UNION]: 3, [BtfKind.DATASEC]: 3, [BtfKind.ENUM64]: 3, [BtfKind.ENUM]: 2, [BtfKind.FUNC_PROTO]: 2,
};

export class RawBtf {
  /** The parsed original, for decoding types (ids are shared with the edited copy). */
  readonly reader: BtfReader;
  /** Type section words (host values). */
  readonly words: number[];
  /** Word index of each type, indexed by id (0 unused). */
  readonly starts: number[] = [0];
  readonly #strings: number[];

  constructor(bytes: Uint8Array) {
    this.reader = BtfReader.parse(bytes);
    const h = this.reader.header;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const le = this.reader.littleEndian;
    const typeStart = h.hdrLen + h.typeOff;
    // Plain loops: Array.from with a map function or over a typed array goes
    // through the iterator protocol, which in a cold process costs more time
    // and allocation than the copy itself.
    const n = h.typeLen / 4;
    this.words = new Array<number>(n);
    for (let i = 0; i < n; i++) this.words[i] = view.getUint32(typeStart + 4 * i, le);
    const strStart = h.hdrLen + h.strOff;
    this.#strings = new Array<number>(h.strLen);
    for (let i = 0; i < h.strLen; i++) this.#strings[i] = bytes[strStart + i]!;
    for (let at = 0; at < this.words.length;) {
      this.starts.push(at);
      at += RawBtf.typeWords(this.words[at + 1]!);
    }
  }

  /** Size in words of a type whose info word is `info`. */
  static typeWords(info: number): number {
    const kind = (info >>> 24) & 0x1f;
    return 3 + (FIXED[kind] ?? 0) + (STRIDE[kind] ?? 0) * (info & 0xffff);
  }

  get lastId(): number {
    return this.starts.length - 1;
  }

  /** Word index of type `id`'s btf_type. */
  at(id: number): number {
    const s = this.starts[id];
    if (s === undefined || id === 0) throw new RangeError(`BTF type id ${id} outside 1..${this.lastId}`);
    return s;
  }

  kind(id: number): number {
    return (this.words[this.at(id) + 1]! >>> 24) & 0x1f;
  }

  vlen(id: number): number {
    return this.words[this.at(id) + 1]! & 0xffff;
  }

  /** Set name_off, info and size/type of type `id` (vlen must keep the type's word count). */
  setHeader(id: number, fields: { nameOff?: number; kind?: number; vlen?: number; kflag?: boolean; sizeOrType?: number }): void {
    const at = this.at(id);
    const info = this.words[at + 1]!;
    const kind = fields.kind ?? (info >>> 24) & 0x1f;
    const vlen = fields.vlen ?? info & 0xffff;
    const kflag = fields.kflag ?? (info >>> 31) === 1;
    if (fields.nameOff !== undefined) this.words[at] = fields.nameOff;
    this.words[at + 1] = ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
    if (fields.sizeOrType !== undefined) this.words[at + 2] = fields.sizeOrType >>> 0;
  }

  /** The NUL-terminated string at `off` (including appended strings). */
  string(off: number): string {
    const end = this.#strings.indexOf(0, off);
    return Buffer.from(this.#strings.slice(off, end < 0 ? undefined : end)).toString('utf8');
  }

  /** Overwrite the string at `off` with `s` of the same byte length (libbpf renames in place). */
  rewriteString(off: number, s: string): void {
    const b = Buffer.from(s, 'utf8');
    b.forEach((byte, i) => { this.#strings[off + i] = byte; });
  }

  /** Append a string; returns its offset. */
  addString(s: string): number {
    const off = this.#strings.length;
    this.#strings.push(...Buffer.from(s, 'utf8'), 0);
    return off;
  }

  /** Append a type (its full word list); returns its id. */
  addType(words: readonly number[]): number {
    this.starts.push(this.words.length);
    this.words.push(...words.map((w) => w >>> 0));
    return this.lastId;
  }

  /** header + types + strings, little-endian. */
  encode(): Uint8Array {
    const typeLen = this.words.length * 4;
    const out = new Uint8Array(24 + typeLen + this.#strings.length);
    const v = new DataView(out.buffer);
    v.setUint16(0, 0xeb9f, true);
    v.setUint8(2, 1);
    v.setUint32(4, 24, true);
    v.setUint32(8, 0, true);
    v.setUint32(12, typeLen, true);
    v.setUint32(16, typeLen, true);
    v.setUint32(20, this.#strings.length, true);
    for (let i = 0; i < this.words.length; i++) v.setUint32(24 + 4 * i, this.words[i]!, true);
    out.set(this.#strings, 24 + typeLen);
    return out;
  }
}
