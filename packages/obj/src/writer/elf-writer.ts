// The ELF64 little-endian ET_REL EM_BPF container, laid out as clang does:
// [0] NULL, [1] .strtab (section and symbol names), then the content
// sections each followed by its `.rel<name>`, and .symtab last. Symbols are
// ordered locals first (NULL, FILE, section symbols, local functions), then
// globals; .symtab's sh_info is the index of the first global.
//
// @example
// const bytes = writeElf({
//   sections: [{ name: 'xdp', kind: 'code', bytes: code, align: 8, rels: [{ offset: 16, type: R_BPF.R64_64, symbol: 'counts' }] }],
//   symbols: [{ name: 'prog', section: 'xdp', value: 0, size: code.byteLength, type: 'func', global: true }],
// });

export const R_BPF_64_64 = 1;
export const R_BPF_64_ABS64 = 2;
export const R_BPF_64_32 = 10;

/** Section kinds and their ELF type and flags. */
const KINDS = {
  code: { type: 1, flags: 0x6 }, // PROGBITS, AX
  data: { type: 1, flags: 0x3 }, // PROGBITS, WA (.data, .maps, license)
  rodata: { type: 1, flags: 0x2 }, // PROGBITS, A
  bss: { type: 8, flags: 0x3 }, // NOBITS, WA
  info: { type: 1, flags: 0 }, // PROGBITS (.BTF, .BTF.ext)
} as const;

export interface ElfOutRel {
  /** Byte offset in the section. */
  offset: number;
  type: number;
  /** A symbol name, or the section symbol of a section. */
  symbol: string | { section: string };
}

export interface ElfOutSection {
  name: string;
  kind: keyof typeof KINDS;
  /** Contents; for 'bss' only its length counts. */
  bytes: Uint8Array;
  align: number;
  rels?: ElfOutRel[];
}

export interface ElfOutSymbol {
  name: string;
  section: string;
  value: number;
  size: number;
  type: 'func' | 'object';
  global: boolean;
}

export interface ElfOut {
  sections: ElfOutSection[];
  symbols: ElfOutSymbol[];
  /** Name of the STT_FILE symbol (the source file), if any. */
  file?: string;
}

const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
const SHN_ABS = 0xfff1;

interface Sym { name: number; info: number; shndx: number; value: number; size: number }

/** Lay out and encode the object. Throws RangeError for dangling names. */
export function writeElf(input: ElfOut): Uint8Array {
  const strtab = new NameTable();
  const index = new Map<string, number>();
  // Section indices: 0 NULL, 1 .strtab, then each section and its relocations.
  let next = 2;
  for (const s of input.sections) {
    if (index.has(s.name)) throw new RangeError(`ELF: section '${s.name}' appears twice`);
    index.set(s.name, next++);
    if (s.rels?.length) next++;
  }
  const symtabIndex = next;
  const secIndex = (name: string, what: string): number => {
    const i = index.get(name);
    if (i === undefined) throw new RangeError(`ELF: ${what} names section '${name}', which the object does not have`);
    return i;
  };

  // Symbols: locals (NULL, FILE, section symbols of code sections, local functions/objects), then globals.
  const syms: Sym[] = [{ name: 0, info: 0, shndx: 0, value: 0, size: 0 }];
  if (input.file) syms.push({ name: strtab.add(input.file), info: STT.FILE, shndx: SHN_ABS, value: 0, size: 0 });
  const sectionSym = new Map<string, number>();
  for (const s of input.sections) {
    if (s.kind !== 'code') continue;
    sectionSym.set(s.name, syms.length);
    syms.push({ name: 0, info: STT.SECTION, shndx: secIndex(s.name, 'a section symbol'), value: 0, size: 0 });
  }
  const byName = new Map<string, number>();
  const ordered = [...input.symbols.filter((s) => !s.global), ...input.symbols.filter((s) => s.global)];
  let firstGlobal = syms.length + input.symbols.filter((s) => !s.global).length;
  for (const s of ordered) {
    if (byName.has(s.name)) throw new RangeError(`ELF: symbol '${s.name}' is defined twice`);
    byName.set(s.name, syms.length);
    const type = s.type === 'func' ? STT.FUNC : STT.OBJECT;
    syms.push({ name: strtab.add(s.name), info: ((s.global ? 1 : 0) << 4) | type, shndx: secIndex(s.section, `symbol '${s.name}'`), value: s.value, size: s.size });
  }
  if (firstGlobal > syms.length) firstGlobal = syms.length;

  // Section headers (name offsets first, so .strtab is complete before it is laid out).
  interface Hdr { name: number; type: number; flags: number; data: Uint8Array; size: number; link: number; info: number; align: number; entsize: number }
  const hdrs: Hdr[] = [{ name: 0, type: 0, flags: 0, data: new Uint8Array(0), size: 0, link: 0, info: 0, align: 0, entsize: 0 }];
  const strtabHdr: Hdr = { name: strtab.add('.strtab'), type: 3, flags: 0, data: new Uint8Array(0), size: 0, link: 0, info: 0, align: 1, entsize: 0 };
  hdrs.push(strtabHdr);
  for (const s of input.sections) {
    const k = KINDS[s.kind];
    hdrs.push({ name: strtab.add(s.name), type: k.type, flags: k.flags, data: s.kind === 'bss' ? new Uint8Array(0) : s.bytes, size: s.bytes.byteLength, link: 0, info: 0, align: s.align, entsize: 0 });
    if (!s.rels?.length) continue;
    const rel = new Uint8Array(s.rels.length * 16);
    const rv = new DataView(rel.buffer);
    s.rels.forEach((r, i) => {
      const sym = typeof r.symbol === 'string' ? byName.get(r.symbol) : sectionSym.get(r.symbol.section);
      if (sym === undefined) throw new RangeError(`ELF: relocation at ${r.offset} in '${s.name}' names ${typeof r.symbol === 'string' ? `symbol '${r.symbol}'` : `section '${r.symbol.section}'`}, which has no symbol`);
      rv.setBigUint64(i * 16, BigInt(r.offset), true);
      rv.setBigUint64(i * 16 + 8, (BigInt(sym) << 32n) | BigInt(r.type), true);
    });
    // SHF_INFO_LINK: sh_info is a section index.
    hdrs.push({ name: strtab.add(`.rel${s.name}`), type: 9, flags: 0x40, data: rel, size: rel.byteLength, link: symtabIndex, info: index.get(s.name)!, align: 8, entsize: 16 });
  }
  const symData = new Uint8Array(syms.length * 24);
  const sv = new DataView(symData.buffer);
  syms.forEach((s, i) => {
    const o = i * 24;
    sv.setUint32(o, s.name, true);
    sv.setUint8(o + 4, s.info);
    sv.setUint8(o + 5, 0);
    sv.setUint16(o + 6, s.shndx, true);
    sv.setBigUint64(o + 8, BigInt(s.value), true);
    sv.setBigUint64(o + 16, BigInt(s.size), true);
  });
  hdrs.push({ name: strtab.add('.symtab'), type: 2, flags: 0, data: symData, size: symData.byteLength, link: 1, info: firstGlobal, align: 8, entsize: 24 });
  strtabHdr.data = strtab.bytes();
  strtabHdr.size = strtabHdr.data.byteLength;

  // File layout: header, section contents (aligned), section header table.
  const offsets: number[] = [0];
  let at = 64;
  for (let i = 1; i < hdrs.length; i++) {
    const h = hdrs[i]!;
    const align = Math.max(1, h.align);
    at = Math.ceil(at / align) * align;
    offsets.push(at);
    at += h.data.byteLength;
  }
  const shoff = Math.ceil(at / 8) * 8;
  const out = new Uint8Array(shoff + hdrs.length * 64);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // ELFCLASS64, little-endian, EV_CURRENT
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, 247, true); // EM_BPF
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, 64, true); // e_ehsize
  v.setUint16(58, 64, true); // e_shentsize
  v.setUint16(60, hdrs.length, true);
  v.setUint16(62, 1, true); // e_shstrndx: .strtab
  hdrs.forEach((h, i) => {
    const o = shoff + i * 64;
    if (i > 0) out.set(h.data, offsets[i]!);
    v.setUint32(o, h.name, true);
    v.setUint32(o + 4, h.type, true);
    v.setBigUint64(o + 8, BigInt(h.flags), true);
    v.setBigUint64(o + 24, BigInt(i > 0 ? offsets[i]! : 0), true);
    v.setBigUint64(o + 32, BigInt(h.size), true);
    v.setUint32(o + 40, h.link, true);
    v.setUint32(o + 44, h.info, true);
    v.setBigUint64(o + 48, BigInt(h.align), true);
    v.setBigUint64(o + 56, BigInt(h.entsize), true);
  });
  return out;
}

/** An ELF string table: "\0" first, each name once. */
class NameTable {
  readonly #offsets = new Map<string, number>([['', 0]]);
  readonly #parts: Uint8Array[] = [new Uint8Array(1)];
  #size = 1;

  add(s: string): number {
    const known = this.#offsets.get(s);
    if (known !== undefined) return known;
    if (s.includes('\0')) throw new RangeError(`ELF name ${JSON.stringify(s)} contains NUL`);
    const b = new TextEncoder().encode(s);
    const off = this.#size;
    this.#parts.push(b, new Uint8Array(1));
    this.#size += b.byteLength + 1;
    this.#offsets.set(s, off);
    return off;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const p of this.#parts) { out.set(p, at); at += p.byteLength; }
    return out;
  }
}
