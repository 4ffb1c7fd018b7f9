// A lenient walk over a BTF blob, independent of BtfReader: where the header
// fields, each type's words (type references, name offsets, other values) and
// the strings are. The mutators use it to aim at fields that matter; it never
// throws, and stops at the first type it cannot size.

import { getU32 } from './bytes.js';

export interface BtfTypeLoc {
  id: number;
  /** Byte offset of the btf_type (name_off, info, size/type). */
  at: number;
  /** Byte offset just past its vlen tail. */
  end: number;
  kind: number;
  vlen: number;
  /** Byte offsets of words that hold a type id. */
  refs: number[];
  /** Byte offsets of words that hold a string offset (including the type's own name). */
  names: number[];
  /** Byte offsets of other words: sizes, bit offsets, element counts, enum values, linkage... */
  values: number[];
}

export interface BtfLayout {
  le: boolean;
  hdrLen: number;
  typeStart: number;
  typeEnd: number;
  strStart: number;
  strEnd: number;
  firstId: number;
  /** Types in id order (those before the first one that could not be sized). */
  types: BtfTypeLoc[];
  /** Offsets (relative to the string section) of up to 512 string starts. */
  strings: number[];
}

// Words after btf_type and per vlen entry, and what each word holds: r(ef), n(ame), v(alue).
const FIXED: Record<number, string> = { 1: 'v', 3: 'rrv', 14: 'v', 17: 'v' };
const ENTRY: Record<number, string> = { 4: 'nrv', 5: 'nrv', 6: 'nv', 13: 'nr', 15: 'rvv', 19: 'nvv' };
/** Kinds whose size_type word is a type id (the others hold a size). */
const ST_REF = new Set([2, 8, 9, 10, 11, 12, 13, 14, 17, 18]);

/** `sample`: for types with more than 64 vlen entries, note only 64 of them (enough to aim mutations). */
export function btfLayout(b: Uint8Array, firstId = 1, sample = true): BtfLayout | undefined {
  if (b.byteLength < 24) return undefined;
  const magicLe = b[0] === 0x9f && b[1] === 0xeb;
  if (!magicLe && !(b[0] === 0xeb && b[1] === 0x9f)) return undefined;
  const le = magicLe;
  const hdrLen = getU32(b, 4, le);
  const typeStart = Math.min(b.byteLength, hdrLen + getU32(b, 8, le));
  const typeEnd = Math.min(b.byteLength, typeStart + getU32(b, 12, le));
  const strStart = Math.min(b.byteLength, hdrLen + getU32(b, 16, le));
  const strEnd = Math.min(b.byteLength, strStart + getU32(b, 20, le));
  const types: BtfTypeLoc[] = [];
  for (let at = typeStart, id = firstId; at + 12 <= typeEnd; id++) {
    const info = getU32(b, at + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    if (kind === 0 || kind > 19) break;
    const fixed = FIXED[kind] ?? '';
    const entry = ENTRY[kind] ?? '';
    const end = at + 12 + 4 * (fixed.length + entry.length * vlen);
    if (end > typeEnd) break;
    const t: BtfTypeLoc = { id, at, end, kind, vlen, refs: [], names: [at], values: [] };
    (ST_REF.has(kind) ? t.refs : t.values).push(at + 8);
    const place = (what: string, off: number): void => {
      (what === 'r' ? t.refs : what === 'n' ? t.names : t.values).push(off);
    };
    let w = at + 12;
    for (const c of fixed) place(c, (w += 4) - 4);
    // Huge vlens (vmlinux's per-CPU DATASEC) only need a sample of their entries.
    const step = sample && vlen > 64 ? Math.ceil(vlen / 64) : 1;
    for (let k = 0; k < vlen; k += step) for (let j = 0; j < entry.length; j++) place(entry[j]!, w + 4 * (k * entry.length + j));
    types.push(t);
    at = end;
  }
  const strings: number[] = [];
  for (let o = strStart; o < strEnd && strings.length < 512; ) {
    strings.push(o - strStart);
    const z = b.indexOf(0, o);
    if (z < 0 || z >= strEnd) break;
    o = z + 1;
  }
  return { le, hdrLen, typeStart, typeEnd, strStart, strEnd, firstId, types, strings };
}

/** Interesting offsets: header fields, type starts (a sample), section edges, some string starts. */
export function btfBoundaries(l: BtfLayout): number[] {
  const out = [0, 4, 8, 12, 16, 20, 24, l.hdrLen, l.typeStart, l.typeEnd, l.strStart, l.strEnd, l.strEnd - 1];
  const step = Math.max(1, Math.floor(l.types.length / 64));
  for (let i = 0; i < l.types.length; i += step) out.push(l.types[i]!.at, l.types[i]!.end);
  for (let i = 0; i < l.strings.length; i += 16) out.push(l.strStart + l.strings[i]!);
  return out;
}
