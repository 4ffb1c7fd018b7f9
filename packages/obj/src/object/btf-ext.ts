// The .BTF.ext section clang emits next to .BTF: per ELF section, the
// func_info, line_info and CO-RE relocation records of its code. Instruction
// offsets here are in bytes from the start of that ELF section; string fields
// (section name, file name, line text, CO-RE access string) are offsets into
// the .BTF string section.
//
// Layout (libbpf btf.c, kernel btf.h):
//   header: u16 magic 0xeb9f, u8 version 1, u8 flags 0, u32 hdr_len,
//           u32 func_info_off, func_info_len, line_info_off, line_info_len,
//           [u32 core_relo_off, core_relo_len]   (offsets from the header's end)
//   each subsection: u32 record_size, then { u32 sec_name_off, u32 num_info, records[num_info] }*
//
// @example
// const ext = parseBtfExt(sectionBytes, true);
// for (const sec of ext.lineInfo) console.log(sec.nameOff, sec.records.length);
import { ObjectParseError } from './errors.js';

export interface FuncInfoRec { insnOff: number; typeId: number }
export interface LineInfoRec { insnOff: number; fileNameOff: number; lineOff: number; line: number; column: number }
export interface CoreReloRec { insnOff: number; typeId: number; accessStrOff: number; kind: number }

/** The records of one ELF section (named by a .BTF string offset). */
export interface BtfExtSection<R> { nameOff: number; records: R[] }

export interface BtfExt {
  funcInfo: BtfExtSection<FuncInfoRec>[];
  lineInfo: BtfExtSection<LineInfoRec>[];
  coreRelos: BtfExtSection<CoreReloRec>[];
}

const MAGIC = 0xeb9f;
const SEC = '.BTF.ext';

/** Parse a .BTF.ext blob. Throws ObjectParseError with the byte offset of the problem. */
export function parseBtfExt(bytes: Uint8Array): BtfExt {
  const len = bytes.byteLength;
  if (len < 8) throw new ObjectParseError(`${len} bytes is shorter than the header`, SEC, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  let le = true;
  if (view.getUint16(0, true) !== MAGIC) {
    if (view.getUint16(0, false) !== MAGIC) throw new ObjectParseError(`bad magic 0x${view.getUint16(0, true).toString(16)}`, SEC, 0);
    le = false;
  }
  const u32 = (o: number): number => view.getUint32(o, le);
  if (bytes[2] !== 1) throw new ObjectParseError(`unsupported version ${bytes[2]}`, SEC, 2);
  if (bytes[3] !== 0) throw new ObjectParseError(`unsupported flags 0x${bytes[3]!.toString(16)}`, SEC, 3);
  const hdrLen = u32(4);
  if (hdrLen < 24) throw new ObjectParseError(`header length ${hdrLen} is too short for func_info and line_info`, SEC, 4);
  if (hdrLen >= len) throw new ObjectParseError(`header length ${hdrLen} leaves no data in ${len} bytes`, SEC, 4);
  const sub = <R>(at: number, minRec: number, what: string, rec: (o: number, size: number) => R): BtfExtSection<R>[] => {
    if (at + 8 > hdrLen) return [];
    return subsection(view, le, hdrLen, at, u32(at), u32(at + 4), minRec, what, rec);
  };
  return {
    funcInfo: sub(8, 8, 'func_info', (o) => ({ insnOff: u32(o), typeId: u32(o + 4) })),
    lineInfo: sub(16, 16, 'line_info', (o) => {
      const lineCol = u32(o + 12);
      return { insnOff: u32(o), fileNameOff: u32(o + 4), lineOff: u32(o + 8), line: lineCol >>> 10, column: lineCol & 0x3ff };
    }),
    coreRelos: sub(24, 16, 'core_relo', (o) => ({ insnOff: u32(o), typeId: u32(o + 4), accessStrOff: u32(o + 8), kind: u32(o + 12) })),
  };
}

function subsection<R>(view: DataView, le: boolean, hdrLen: number, field: number, off: number, len: number, minRec: number, what: string,
  rec: (o: number, size: number) => R): BtfExtSection<R>[] {
  if (len === 0) return [];
  const start = hdrLen + off;
  const end = start + len;
  // Header problems are reported at the header field that holds the bad offset or length.
  if (off % 4 !== 0) throw new ObjectParseError(`${what} offset ${off} is not 4-byte aligned`, SEC, field);
  if (end > view.byteLength) throw new ObjectParseError(`${what} (${off}+${len}) runs past the end (${view.byteLength})`, SEC, field);
  if (len < 4) throw new ObjectParseError(`${what} has no record size`, SEC, field + 4);
  const size = view.getUint32(start, le);
  if (size < minRec || size % 4 !== 0 || size > len) throw new ObjectParseError(`${what} record size ${size} is invalid (minimum ${minRec}, multiple of 4)`, SEC, start);
  if (len === 4) throw new ObjectParseError(`${what} has no records`, SEC, start);
  const out: BtfExtSection<R>[] = [];
  for (let o = start + 4; o < end;) {
    if (end - o < 8) throw new ObjectParseError(`${what} section header is truncated`, SEC, o);
    const nameOff = view.getUint32(o, le);
    const num = view.getUint32(o + 4, le);
    if (num === 0) throw new ObjectParseError(`${what} section with no records`, SEC, o + 4);
    if (num > (end - o - 8) / size) throw new ObjectParseError(`${what}: ${num} records of ${size} bytes run past the subsection end`, SEC, o + 4);
    o += 8;
    const records: R[] = [];
    for (let i = 0; i < num; i++, o += size) records.push(rec(o, size));
    out.push({ nameOff, records });
  }
  return out;
}
