// A pure reader for ELF64 relocatable objects built for BPF (clang -target
// bpf / bpfel / bpfeb): every section header, the symbol table and SHT_REL
// entries, in either byte order. Every offset and size is checked against the
// file once, here, so later stages can slice without re-checking.
//
// @example
// const elf = readElfRel(fs.readFileSync('prog.bpf.o'));
// const text = elf.sections.find((s) => s.name === '.text');
import { ObjectParseError } from './errors.js';

export const EM_BPF = 247;
export const ET_REL = 1;
export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, NOBITS: 8, REL: 9 } as const;
export const SHF_EXECINSTR = 0x4;
export const STT = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
export const STB = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
/** Relocation types clang emits for BPF. */
export const R_BPF = { NONE: 0, R64_64: 1, ABS64: 2, ABS32: 3, NODYLD32: 4, R64_32: 10 } as const;

const EHDR = 64;
const SHDR = 64;
const SYM = 24;
const REL = 16;
/** Largest SHT_NOBITS section accepted (64 MiB; the kernel's array value limit is far lower). */
const MAX_NOBITS = 64 << 20;

export interface RelSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  /** sh_flags, low 32 bits (all defined flags live there). */
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
  /** File offset of this section's header, for error reports. */
  readonly headerOffset: number;
}

export interface RelSymbol {
  readonly index: number;
  readonly name: string;
  readonly value: number;
  readonly size: number;
  /** STT_* */
  readonly type: number;
  /** STB_* */
  readonly bind: number;
  /** st_other & 3: STV_DEFAULT 0, INTERNAL 1, HIDDEN 2, PROTECTED 3. */
  readonly visibility: number;
  readonly shndx: number;
}

export interface RelEntry {
  /** r_offset: byte offset in the target section. */
  readonly offset: number;
  /** ELF64_R_TYPE */
  readonly type: number;
  /** ELF64_R_SYM */
  readonly sym: number;
}

export interface ElfRel {
  readonly littleEndian: boolean;
  readonly bytes: Uint8Array;
  readonly sections: readonly RelSection[];
  /** Index of the SHT_SYMTAB section (0 when there is none). */
  readonly symtabIndex: number;
  readonly symbols: readonly RelSymbol[];
}

/** Parse the ELF header, section headers and symbol table. Throws ObjectParseError. */
export function readElfRel(input: Uint8Array): ElfRel {
  // A plain Uint8Array view: Buffer's slice() would not copy.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const len = bytes.byteLength;
  const hdr = (msg: string, at: number): ObjectParseError => new ObjectParseError(msg, '', at);
  if (len < EHDR) throw hdr(`${len} bytes is shorter than the 64-byte ELF64 header`, 0);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw hdr('not an ELF file (bad magic)', 0);
  if (bytes[4] !== 2) throw hdr(`ELF class ${bytes[4]} is not ELFCLASS64`, 4);
  if (bytes[5] !== 1 && bytes[5] !== 2) throw hdr(`unknown ELF data encoding ${bytes[5]}`, 5);
  const le = bytes[5] === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  // One Buffer over the file for decoding names (no view per name).
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, len);
  const u16 = (o: number): number => view.getUint16(o, le);
  const u32 = (o: number): number => view.getUint32(o, le);
  const u64 = (o: number, what: string, sec = ''): number => {
    const v = safeU64(view, o, le);
    if (v < 0) throw new ObjectParseError(`${what} 0x${view.getBigUint64(o, le).toString(16)} is too large`, sec, o);
    return v;
  };
  const type = u16(16);
  const machine = u16(18);
  if (type !== ET_REL) throw hdr(`e_type ${type} is not ET_REL (1): not a relocatable object`, 16);
  if (machine !== EM_BPF) throw hdr(`e_machine ${machine} is not EM_BPF (247): not a BPF object`, 18);
  const shoff = u64(40, 'e_shoff');
  const shentsize = u16(58);
  let shnum = u16(60);
  let shstrndx = u16(62);
  if (shoff === 0) throw hdr('no section header table', 40);
  if (shentsize !== SHDR) throw hdr(`e_shentsize ${shentsize} is not ${SHDR}`, 58);
  if (shoff > len - SHDR) throw hdr(`section header table at ${shoff} is past the end (${len})`, 40);
  // More than 0xff00 sections: the real count and name-table index live in section 0.
  if (shnum === 0) shnum = u64(shoff + 32, 'section count');
  if (shstrndx === 0xffff) shstrndx = u32(shoff + 40);
  if (shnum > Math.floor((len - shoff) / SHDR)) throw hdr(`${shnum} section headers at ${shoff} run past the end (${len})`, 60);
  const raw: Omit<RelSection, 'name'>[] = [];
  const nameOffs: number[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * SHDR;
    const s = {
      index: i, type: u32(h + 4), flags: lo32(view, h + 8, le),
      offset: u64(h + 24, 'sh_offset'), size: u64(h + 32, 'sh_size'), link: u32(h + 40), info: u32(h + 44),
      entsize: u64(h + 56, 'sh_entsize'), headerOffset: h,
    };
    if (s.type !== SHT.NOBITS && s.type !== SHT.NULL && (s.offset > len || s.size > len - s.offset)) {
      throw hdr(`section ${i} data ${s.offset}+${s.size} runs past the end of the file (${len})`, h + 24);
    }
    // .bss becomes a map value, which the kernel caps at a few MiB; refuse absurd sizes before allocating them.
    if (s.type === SHT.NOBITS && s.size > MAX_NOBITS) throw hdr(`section ${i} (SHT_NOBITS) size ${s.size} exceeds ${MAX_NOBITS}`, h + 32);
    raw.push(s);
    nameOffs.push(u32(h));
  }
  const strtab = raw[shstrndx];
  if (shstrndx === 0 || !strtab || strtab.type !== SHT.STRTAB) throw hdr(`e_shstrndx ${shstrndx} is not a string table`, 62);
  const sections = raw.map((s, i) => ({ ...s, name: cString(text, strtab, nameOffs[i]!, '', 'section', i, s.headerOffset) }));
  let symtabIndex = 0;
  for (const s of sections) {
    if (s.type !== SHT.SYMTAB) continue;
    if (symtabIndex !== 0) throw new ObjectParseError('more than one symbol table', s.name, 0);
    symtabIndex = s.index;
  }
  const symbols = symtabIndex === 0 ? [] : readSymbols(bytes, text, view, le, sections, sections[symtabIndex]!);
  return { littleEndian: le, bytes, sections, symtabIndex, symbols };
}

function readSymbols(bytes: Uint8Array, text: Buffer, view: DataView, le: boolean, sections: readonly RelSection[], sec: RelSection): RelSymbol[] {
  if (sec.entsize !== SYM) throw new ObjectParseError(`symbol entry size ${sec.entsize} is not ${SYM}`, sec.name, 0);
  if (sec.size % SYM !== 0) throw new ObjectParseError(`size ${sec.size} is not a multiple of ${SYM}`, sec.name, 0);
  const strtab = sections[sec.link];
  if (!strtab || sec.link === 0 || strtab.type !== SHT.STRTAB) throw new ObjectParseError(`sh_link ${sec.link} is not a string table`, sec.name, 0);
  const out: RelSymbol[] = [];
  for (let i = 0, o = sec.offset; i < sec.size / SYM; i++, o += SYM) {
    const info = bytes[o + 4]!;
    const value = safeU64(view, o + 8, le);
    const size = safeU64(view, o + 16, le);
    if (value < 0 || size < 0) {
      throw new ObjectParseError(`symbol ${i} value/size is too large`, sec.name, i * SYM + 8);
    }
    out.push({
      index: i, name: cString(text, strtab, view.getUint32(o, le), sec.name, 'symbol', i, i * SYM),
      value, size, type: info & 0xf, bind: info >> 4, visibility: bytes[o + 5]! & 3,
      shndx: view.getUint16(o + 6, le),
    });
  }
  return out;
}

// 64-bit fields as two 32-bit reads: the values that matter fit in a double,
// and BigInt reads cost an allocation each (hundreds per object, in a cold process).
/** Low 32 bits of the u64 at `o`. */
function lo32(view: DataView, o: number, le: boolean): number {
  return view.getUint32(le ? o : o + 4, le);
}

/** High 32 bits of the u64 at `o`. */
function hi32(view: DataView, o: number, le: boolean): number {
  return view.getUint32(le ? o + 4 : o, le);
}

/** The u64 at `o` as a number; -1 when it exceeds Number.MAX_SAFE_INTEGER. */
function safeU64(view: DataView, o: number, le: boolean): number {
  const hi = hi32(view, o, le);
  return hi > 0x1fffff ? -1 : hi * 0x100000000 + lo32(view, o, le);
}

/**
 * The NUL-terminated string at `off` of string table `tab`: the name of
 * section or symbol `index`. (No subarray or Buffer per name, and the error
 * text is only built on failure: this runs for every section and symbol.)
 */
function cString(text: Buffer, tab: Pick<RelSection, 'offset' | 'size'> & { name?: string }, off: number, where: string, of: 'section' | 'symbol', index: number, at = 0): string {
  if (off >= tab.size) throw new ObjectParseError(`name of ${of} ${index}: string offset ${off} is outside ${tab.name ?? 'the string table'} (${tab.size} bytes)`, where, at);
  const start = tab.offset + off;
  const end = text.indexOf(0, start);
  if (end < 0 || end >= tab.offset + tab.size) throw new ObjectParseError(`name of ${of} ${index}: string at ${off} is not NUL-terminated`, where, at);
  return text.toString('utf8', start, end);
}


/** The bytes of a section (a view; zeros for SHT_NOBITS). */
export function sectionBytes(elf: ElfRel, sec: RelSection): Uint8Array {
  if (sec.type === SHT.NOBITS) return new Uint8Array(sec.size);
  return elf.bytes.subarray(sec.offset, sec.offset + sec.size);
}

/** The entries of an SHT_REL section. */
export function readRels(elf: ElfRel, sec: RelSection): RelEntry[] {
  if (sec.entsize !== REL) throw new ObjectParseError(`relocation entry size ${sec.entsize} is not ${REL}`, sec.name, 0);
  if (sec.size % REL !== 0) throw new ObjectParseError(`size ${sec.size} is not a multiple of ${REL}`, sec.name, 0);
  const view = new DataView(elf.bytes.buffer, elf.bytes.byteOffset + sec.offset, sec.size);
  const out: RelEntry[] = [];
  for (let o = 0; o < sec.size; o += REL) {
    const le = elf.littleEndian;
    const offset = hi32(view, o, le) !== 0 ? Number.MAX_SAFE_INTEGER : lo32(view, o, le);
    out.push({ offset, type: lo32(view, o + 8, le), sym: hi32(view, o + 8, le) });
  }
  return out;
}
