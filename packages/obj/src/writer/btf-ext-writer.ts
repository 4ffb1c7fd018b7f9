// BtfExtWriter: the .BTF.ext section clang emits next to .BTF — per ELF
// section, func_info, line_info and CO-RE relocation records. Offsets of
// instructions are in BYTES from the start of the ELF section (as clang
// writes them; libbpf converts to instructions). Strings (section name, file
// name, source line text, CO-RE access string) are offsets into the .BTF
// string section, resolved when encoding.
//
// Layout (libbpf btf.h): header { u16 magic 0xeb9f, u8 version 1, u8 flags 0,
// u32 hdr_len 32, u32 func_info_off, func_info_len, line_info_off,
// line_info_len, core_relo_off, core_relo_len } (offsets from the header's
// end), then each non-empty subsection: u32 record_size followed by blocks
// { u32 sec_name_off, u32 num_info, records[num_info] }.
//
// @example
// const ext = new BtfExtWriter();
// ext.funcInfo('xdp', 0, funcTypeId);
// ext.lineInfo('xdp', { insnOff: 0, file: 'counter.ts', text: 'counts.increment(key)', line: 12, column: 3 });
// const bytes = ext.encode((s) => stringOffsets.get(s)!);

export interface BtfExtLineInput {
  /** Byte offset of the instruction in its ELF section. */
  insnOff: number;
  file: string;
  /** The source line's text (bpftool prints it as a `; ...` comment). */
  text: string;
  /** 1-based line (< 2^22) and column (< 1024). */
  line: number;
  column: number;
}

export interface BtfExtCoreReloInput {
  insnOff: number;
  typeId: number;
  /** Access string, e.g. "0:1". */
  access: string;
  /** enum bpf_core_relo_kind. */
  kind: number;
}

const MAGIC = 0xeb9f;
const HDR_LEN = 32;
const MAX_LINE = (1 << 22) - 1;
const MAX_COL = (1 << 10) - 1;

/** Build a .BTF.ext section. Records of a section must be added in instruction order. */
export class BtfExtWriter {
  readonly #func = new Map<string, { insnOff: number; typeId: number }[]>();
  readonly #line = new Map<string, BtfExtLineInput[]>();
  readonly #core = new Map<string, BtfExtCoreReloInput[]>();

  /** func_info: the function starting at byte `insnOff` of `section` has BTF FUNC `typeId`. */
  funcInfo(section: string, insnOff: number, typeId: number): void {
    checkOff(section, insnOff, 'func_info');
    if (!Number.isInteger(typeId) || typeId < 1) throw new RangeError(`func_info in '${section}' at ${insnOff}: type id ${typeId} is not a BTF type id`);
    push(this.#func, section, { insnOff, typeId }, 'func_info');
  }

  lineInfo(section: string, rec: BtfExtLineInput): void {
    checkOff(section, rec.insnOff, 'line_info');
    const at = `line_info in '${section}' at ${rec.insnOff}`;
    if (!Number.isInteger(rec.line) || rec.line < 0 || rec.line > MAX_LINE) throw new RangeError(`${at}: line ${rec.line} is not 0..${MAX_LINE}`);
    if (!Number.isInteger(rec.column) || rec.column < 0 || rec.column > MAX_COL) throw new RangeError(`${at}: column ${rec.column} is not 0..${MAX_COL}`);
    push(this.#line, section, { ...rec }, 'line_info');
  }

  coreRelo(section: string, rec: BtfExtCoreReloInput): void {
    checkOff(section, rec.insnOff, 'core_relo');
    // CO-RE records may share an instruction offset only with a different access, so order is all we check.
    const list = this.#core.get(section);
    const last = list?.[list.length - 1];
    if (last && rec.insnOff < last.insnOff) throw new RangeError(`core_relo in '${section}': offset ${rec.insnOff} comes before ${last.insnOff}`);
    if (list) list.push({ ...rec });
    else this.#core.set(section, [{ ...rec }]);
  }

  /** True when no record was added (an object needs no .BTF.ext then). */
  get empty(): boolean {
    return this.#func.size === 0 && this.#line.size === 0 && this.#core.size === 0;
  }

  /** Every string the section refers to (for the .BTF string table). */
  strings(): string[] {
    const out = new Set<string>([...this.#func.keys(), ...this.#line.keys(), ...this.#core.keys()]);
    for (const recs of this.#line.values()) for (const r of recs) { out.add(r.file); out.add(r.text); }
    for (const recs of this.#core.values()) for (const r of recs) out.add(r.access);
    return [...out];
  }

  /** Encode; `str` gives the .BTF string offset of a string returned by strings(). */
  encode(str: (s: string) => number): Uint8Array {
    const func = sub(this.#func, 8, (r) => [r.insnOff, r.typeId], str);
    const line = sub(this.#line, 16, (r) => [r.insnOff, str(r.file), str(r.text), ((r.line << 10) | r.column) >>> 0], str);
    const core = sub(this.#core, 16, (r) => [r.insnOff, r.typeId, str(r.access), r.kind], str);
    const words = [...func, ...line, ...core];
    const out = new Uint8Array(HDR_LEN + words.length * 4);
    const v = new DataView(out.buffer);
    v.setUint16(0, MAGIC, true);
    v.setUint8(2, 1);
    v.setUint8(3, 0);
    const hdr = [HDR_LEN, 0, func.length * 4, func.length * 4, line.length * 4, (func.length + line.length) * 4, core.length * 4];
    hdr.forEach((w, i) => v.setUint32(4 + i * 4, w, true));
    words.forEach((w, i) => v.setUint32(HDR_LEN + i * 4, w >>> 0, true));
    return out;
  }
}

function checkOff(section: string, off: number, what: string): void {
  if (section === '') throw new RangeError(`${what}: empty section name`);
  if (!Number.isInteger(off) || off < 0 || off % 8 !== 0) throw new RangeError(`${what} in '${section}': offset ${off} is not a byte offset of an instruction`);
}

function push<R extends { insnOff: number }>(m: Map<string, R[]>, section: string, rec: R, what: string): void {
  const list = m.get(section);
  const last = list?.[list.length - 1];
  // The kernel wants func_info and line_info strictly increasing by offset.
  if (last && rec.insnOff <= last.insnOff) throw new RangeError(`${what} in '${section}': offset ${rec.insnOff} does not follow ${last.insnOff}`);
  if (list) list.push(rec);
  else m.set(section, [rec]);
}

/** One subsection as words: record size, then a block per section (none at all when empty). */
function sub<R>(m: Map<string, R[]>, size: number, rec: (r: R) => number[], str: (s: string) => number): number[] {
  if (m.size === 0) return [];
  const out = [size];
  for (const [section, recs] of m) {
    out.push(str(section), recs.length);
    for (const r of recs) out.push(...rec(r));
  }
  return out;
}
