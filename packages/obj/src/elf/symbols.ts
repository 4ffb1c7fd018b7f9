// A minimal pure ELF64 reader: section headers and the .symtab / .dynsym symbol
// tables, enough to turn a function name into the file offset a uprobe wants.
// The rule is libbpf's: offset = st_value - sh_addr + sh_offset of the section
// the symbol is defined in. It holds for executables (ET_EXEC), PIE and shared
// libraries (ET_DYN) alike.
//
// @example
// const elf = ElfFile.parse(fs.readFileSync('/usr/lib/x86_64-linux-gnu/libc.so.6'));
// const { offset } = elf.functionOffset('getpid');

/** Malformed ELF; `offset` is the byte offset in the file where it was found. */
export class ElfParseError extends Error {
  override name = 'ElfParseError';
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`ELF: ${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

/** A symbol was not found, or its name is ambiguous. */
export class ElfSymbolError extends Error {
  override name = 'ElfSymbolError';
  readonly symbol: string;
  constructor(symbol: string, message: string) {
    super(message);
    this.symbol = symbol;
  }
}

export const ElfType = { NONE: 0, REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;
export const SectionType = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, NOBITS: 8, DYNSYM: 11 } as const;
export const SymbolType = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, GNU_IFUNC: 10 } as const;
export const SymbolBind = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;

const SHN_UNDEF = 0;
const SHN_LORESERVE = 0xff00;
const SHN_XINDEX = 0xffff;
const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly entsize: number;
}

export interface ElfSymbol {
  readonly name: string;
  readonly value: number;
  readonly size: number;
  /** STT_* (SymbolType). */
  readonly type: number;
  /** STB_* (SymbolBind). */
  readonly bind: number;
  /** Index of the section it is defined in (0 = undefined). */
  readonly shndx: number;
  readonly table: '.symtab' | '.dynsym';
}

export interface FunctionOffset {
  /** Byte offset in the file: what a uprobe attaches at. */
  readonly offset: number;
  readonly symbol: ElfSymbol;
}

export class ElfFile {
  readonly littleEndian: boolean;
  /** e_type (ElfType): EXEC, DYN (PIE or shared library), REL... */
  readonly type: number;
  readonly machine: number;
  readonly sections: readonly ElfSection[];
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  #symbols: ElfSymbol[] | undefined;

  private constructor(bytes: Uint8Array, view: DataView, le: boolean, type: number, machine: number, sections: ElfSection[]) {
    this.#bytes = bytes;
    this.#view = view;
    this.littleEndian = le;
    this.type = type;
    this.machine = machine;
    this.sections = sections;
  }

  /** Read the ELF header and section headers. Throws ElfParseError on malformed input. */
  static parse(bytes: Uint8Array): ElfFile {
    if (bytes.byteLength < EHDR_SIZE) throw new ElfParseError(`${bytes.byteLength} bytes is shorter than the ELF64 header`, 0);
    if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) throw new ElfParseError('not an ELF file (bad magic)', 0);
    if (bytes[4] !== 2) throw new ElfParseError(`ELF class ${bytes[4]} is not ELFCLASS64`, 4);
    if (bytes[5] !== 1 && bytes[5] !== 2) throw new ElfParseError(`unknown data encoding ${bytes[5]}`, 5);
    const le = bytes[5] === 1;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const len = bytes.byteLength;
    const u64 = (o: number): number => safe(view.getBigUint64(o, le), o);
    const type = view.getUint16(16, le);
    const machine = view.getUint16(18, le);
    const shoff = u64(40);
    const shentsize = view.getUint16(58, le);
    let shnum = view.getUint16(60, le);
    let shstrndx = view.getUint16(62, le);
    if (shoff === 0) return new ElfFile(bytes, view, le, type, machine, []);
    if (shentsize !== SHDR_SIZE) throw new ElfParseError(`section header size ${shentsize}, expected ${SHDR_SIZE}`, 58);
    if (shoff + SHDR_SIZE > len) throw new ElfParseError(`section headers at ${shoff} past the end (${len})`, 40);
    // Many sections: the real count and string-table index live in section 0.
    if (shnum === 0) shnum = u64(shoff + 32);
    if (shstrndx === SHN_XINDEX) shstrndx = view.getUint32(shoff + 40, le);
    if (shoff + shnum * SHDR_SIZE > len) throw new ElfParseError(`${shnum} section headers at ${shoff} run past the end (${len})`, 60);
    const raw: Omit<ElfSection, 'name'>[] = [];
    const nameOffs: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const h = shoff + i * SHDR_SIZE;
      const s = {
        index: i, type: view.getUint32(h + 4, le), flags: view.getBigUint64(h + 8, le), addr: u64(h + 16),
        offset: u64(h + 24), size: u64(h + 32), link: view.getUint32(h + 40, le), info: view.getUint32(h + 44, le),
        entsize: u64(h + 56),
      };
      if (s.type !== SectionType.NOBITS && s.type !== SectionType.NULL && s.offset + s.size > len) {
        throw new ElfParseError(`section ${i} (${s.offset}+${s.size}) runs past the end (${len})`, h + 24);
      }
      raw.push(s);
      nameOffs.push(view.getUint32(h, le));
    }
    let names: (o: number) => string = () => '';
    if (shstrndx !== 0) {
      const strtab = raw[shstrndx];
      if (!strtab) throw new ElfParseError(`section name table index ${shstrndx} >= ${shnum}`, 62);
      // NOBITS and NULL sections skipped the bounds check above: a name table must have its bytes in the file.
      if (strtab.type === SectionType.NOBITS || strtab.offset + strtab.size > len) {
        throw new ElfParseError(`section name table ${shstrndx} (${strtab.offset}+${strtab.size}) is not inside the file (${len})`, shoff + shstrndx * SHDR_SIZE + 24);
      }
      names = stringReader(bytes, strtab.offset, strtab.size, `section ${shstrndx}`);
    }
    const sections = raw.map((s, i) => ({ ...s, name: names(nameOffs[i]!) }));
    return new ElfFile(bytes, view, le, type, machine, sections);
  }

  /** The first section named `name`. */
  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** Every symbol of .symtab then .dynsym (read once). */
  symbols(): readonly ElfSymbol[] {
    if (this.#symbols) return this.#symbols;
    const out: ElfSymbol[] = [];
    for (const s of this.sections) {
      if (s.type !== SectionType.SYMTAB && s.type !== SectionType.DYNSYM) continue;
      const table = s.type === SectionType.SYMTAB ? '.symtab' : '.dynsym';
      if (s.entsize !== SYM_SIZE) throw new ElfParseError(`${table} entry size ${s.entsize}, expected ${SYM_SIZE}`, s.offset);
      const strtab = this.sections[s.link];
      if (!strtab || strtab.type !== SectionType.STRTAB) throw new ElfParseError(`${table} links to section ${s.link}, not a string table`, s.offset);
      const str = stringReader(this.#bytes, strtab.offset, strtab.size, `section ${s.link}`);
      const le = this.littleEndian;
      for (let o = s.offset; o + SYM_SIZE <= s.offset + s.size; o += SYM_SIZE) {
        const info = this.#view.getUint8(o + 4);
        out.push({
          name: str(this.#view.getUint32(o, le)),
          type: info & 0xf,
          bind: info >> 4,
          shndx: this.#view.getUint16(o + 6, le),
          value: safe(this.#view.getBigUint64(o + 8, le), o + 8),
          size: safe(this.#view.getBigUint64(o + 16, le), o + 16),
          table,
        });
      }
    }
    this.#symbols = out;
    return out;
  }

  /**
   * File offset of function `name` (FUNC or GNU_IFUNC, defined here). A name
   * without '@' also matches versioned names (`getpid@@GLIBC_2.2.5`). When
   * several symbols match with different offsets, GLOBAL beats WEAK beats
   * LOCAL; a tie is ambiguous. Throws ElfSymbolError when absent or ambiguous.
   */
  functionOffset(name: string): FunctionOffset {
    const matches: FunctionOffset[] = [];
    for (const sym of this.symbols()) {
      if (sym.type !== SymbolType.FUNC && sym.type !== SymbolType.GNU_IFUNC) continue;
      if (sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE) continue;
      if (!nameMatches(sym.name, name)) continue;
      const sec = this.sections[sym.shndx];
      if (!sec) throw new ElfParseError(`symbol '${sym.name}' names section ${sym.shndx} of ${this.sections.length}`, 0);
      // REL objects hold section-relative values; their sh_addr is 0, so one formula fits all.
      const offset = sym.value - sec.addr + sec.offset;
      if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.#bytes.byteLength) {
        throw new ElfSymbolError(name, `function '${sym.name}' (value 0x${sym.value.toString(16)} in section ${sym.shndx}) lies outside the file`);
      }
      matches.push({ offset, symbol: sym });
    }
    if (matches.length === 0) {
      const tables = this.sections.some((s) => s.type === SectionType.SYMTAB) ? '.symtab and .dynsym' : '.dynsym (no .symtab: stripped)';
      throw new ElfSymbolError(name, `function '${name}' not found in ${tables}`);
    }
    const rank = (s: ElfSymbol): number => (s.bind === SymbolBind.GLOBAL ? 2 : s.bind === SymbolBind.WEAK ? 1 : 0);
    const best = Math.max(...matches.map((m) => rank(m.symbol)));
    const top = matches.filter((m) => rank(m.symbol) === best);
    const offsets = new Set(top.map((m) => m.offset));
    if (offsets.size > 1) {
      throw new ElfSymbolError(name, `function '${name}' is ambiguous: ${[...offsets].map((o) => `0x${o.toString(16)}`).join(', ')}`);
    }
    return top[0]!;
  }
}

function nameMatches(symName: string, want: string): boolean {
  if (symName === want) return true;
  if (want.includes('@')) return false;
  const at = symName.indexOf('@');
  return at > 0 && symName.slice(0, at) === want;
}

function safe(v: bigint, at: number): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfParseError(`value 0x${v.toString(16)} too large`, at);
  return Number(v);
}

/** NUL-terminated strings of a string table section, bounds-checked. */
function stringReader(bytes: Uint8Array, offset: number, size: number, what: string): (o: number) => string {
  const dec = new TextDecoder();
  return (o: number): string => {
    if (o === 0) return '';
    if (o >= size) throw new ElfParseError(`string offset ${o} outside ${what} (${size} bytes)`, offset);
    const start = offset + o;
    const end = bytes.indexOf(0, start);
    if (end < 0 || end >= offset + size) throw new ElfParseError(`unterminated string in ${what}`, start);
    return dec.decode(bytes.subarray(start, end));
  };
}
