// A lenient ELF64 section table walk, independent of ElfFile: where each
// section header and its data are, and the names. Used to aim mutations at
// header fields, symbols, relocations and the .BTF/.BTF.ext sections.
import { getU32, getU64 } from './bytes.js';

export interface ElfSec {
  index: number;
  /** Byte offset of the section header. */
  hdr: number;
  name: string;
  type: number;
  flags: bigint;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface ElfLayout {
  le: boolean;
  shoff: number;
  shnum: number;
  shstrndx: number;
  sections: ElfSec[];
}

export const SHT = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, NOBITS: 8, REL: 9, DYNSYM: 11 } as const;
export const SHF_EXECINSTR = 4n;

export function elfLayout(b: Uint8Array): ElfLayout | undefined {
  if (b.byteLength < 64 || b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46 || b[4] !== 2) return undefined;
  const le = b[5] !== 2;
  const shoff = Number(getU64(b, 40, le));
  const shnum = new DataView(b.buffer, b.byteOffset).getUint16(60, le);
  const shstrndx = new DataView(b.buffer, b.byteOffset).getUint16(62, le);
  const sections: ElfSec[] = [];
  for (let i = 0; i < shnum && shoff + (i + 1) * 64 <= b.byteLength; i++) {
    const h = shoff + i * 64;
    sections.push({
      index: i, hdr: h, name: '', type: getU32(b, h + 4, le), flags: getU64(b, h + 8, le),
      offset: Number(getU64(b, h + 24, le)), size: Number(getU64(b, h + 32, le)), link: getU32(b, h + 40, le),
      entsize: Number(getU64(b, h + 56, le)),
    });
  }
  const strtab = sections[shstrndx];
  if (strtab && strtab.offset + strtab.size <= b.byteLength) {
    const dec = new TextDecoder();
    for (const s of sections) {
      const at = strtab.offset + getU32(b, s.hdr, le);
      const end = b.indexOf(0, at);
      if (at < strtab.offset + strtab.size && end >= 0) s.name = dec.decode(b.subarray(at, end));
    }
  }
  return { le, shoff, shnum, shstrndx, sections };
}

/** Section data lies inside the file (not NOBITS). */
export function hasData(b: Uint8Array, s: ElfSec): boolean {
  return s.type !== SHT.NOBITS && s.type !== SHT.NULL && s.size > 0 && s.offset + s.size <= b.byteLength;
}

export function elfBoundaries(b: Uint8Array, l: ElfLayout): number[] {
  const out = [0, 16, 24, 40, 48, 58, 60, 62, 64, l.shoff];
  for (const s of l.sections) {
    out.push(s.hdr, s.hdr + 24, s.hdr + 32);
    if (!hasData(b, s)) continue;
    out.push(s.offset, s.offset + s.size);
    if (s.type === SHT.SYMTAB || s.type === SHT.REL) {
      const ent = s.type === SHT.SYMTAB ? 24 : 16;
      for (let o = s.offset; o < s.offset + s.size && o < s.offset + 32 * ent; o += ent) out.push(o);
    }
  }
  return out;
}
