// .BTF.ext (struct btf_ext_header + func_info / line_info / core_relo
// subsections, each a record size then per-ELF-section blocks of records): a
// lenient layout and in-place mutations of its header, record sizes, block
// headers (section name offset, record count) and record fields.
import type { Rand } from './rand.js';
import type { Mutation } from './generic.js';
import { getU32, hex, setU32, u32Values } from './bytes.js';

export interface ExtBlock {
  /** Byte offset of sec_name_off; num_info follows. */
  at: number;
  num: number;
  /** Byte offsets of its records (a sample of at most 32). */
  records: number[];
}

export interface ExtSub {
  kind: 'func' | 'line' | 'core';
  /** Byte offset of the header's *_off field (the *_len field follows). */
  field: number;
  start: number;
  end: number;
  recSize: number;
  blocks: ExtBlock[];
}

export interface ExtLayout {
  le: boolean;
  hdrLen: number;
  subs: ExtSub[];
}

const SUBS = [['func', 8], ['line', 16], ['core', 24]] as const;

export function extLayout(b: Uint8Array): ExtLayout | undefined {
  if (b.byteLength < 8) return undefined;
  const le = b[0] === 0x9f && b[1] === 0xeb;
  if (!le && !(b[0] === 0xeb && b[1] === 0x9f)) return undefined;
  const hdrLen = getU32(b, 4, le);
  const subs: ExtSub[] = [];
  for (const [kind, field] of SUBS) {
    if (field + 8 > Math.min(hdrLen, b.byteLength)) break;
    const start = hdrLen + getU32(b, field, le);
    const end = Math.min(b.byteLength, start + getU32(b, field + 4, le));
    if (start + 4 > end) continue;
    const recSize = getU32(b, start, le);
    const blocks: ExtBlock[] = [];
    for (let at = start + 4; at + 8 <= end && blocks.length < 64; ) {
      const num = getU32(b, at + 4, le);
      const records: number[] = [];
      for (let k = 0; k < num && records.length < 32 && recSize >= 4; k++) {
        const o = at + 8 + k * recSize;
        if (o + recSize > end) break;
        records.push(o);
      }
      blocks.push({ at, num, records });
      if (recSize === 0 || num > 0xffff) break;
      at += 8 + num * recSize;
    }
    subs.push({ kind, field, start, end, recSize, blocks });
  }
  return { le, hdrLen, subs };
}

export function extBoundaries(l: ExtLayout): number[] {
  const out = [0, 4, 8, 16, 24, 32, l.hdrLen];
  for (const s of l.subs) {
    out.push(s.start, s.start + 4, s.end);
    for (const k of s.blocks) out.push(k.at, k.at + 8, ...k.records.slice(0, 4));
  }
  return out;
}

/** Record fields: [name, byte offset in the record, what it holds]. */
const FIELDS: Record<ExtSub['kind'], readonly (readonly [string, number, 'insn' | 'type' | 'str' | 'value'])[]> = {
  func: [['insn_off', 0, 'insn'], ['type_id', 4, 'type']],
  line: [['insn_off', 0, 'insn'], ['file_name_off', 4, 'str'], ['line_off', 8, 'str'], ['line_col', 12, 'value']],
  core: [['insn_off', 0, 'insn'], ['type_id', 4, 'type'], ['access_str_off', 8, 'str'], ['kind', 12, 'value']],
};

/** An in-place mutation of a .BTF.ext blob (undefined when there is nothing to aim at). */
export function extInPlace(b: Uint8Array, l: ExtLayout, r: Rand): Mutation | undefined {
  const le = l.le;
  const len = b.byteLength;
  switch (r.weighted<number>([[0, 2], [1, 1], [2, 2], [3, 5]])) {
    case 0: { // header: hdr_len, *_off, *_len
      const at = r.pick([4, 8, 12, 16, 20, 24, 28].filter((o) => o + 4 <= len));
      const v = r.pick(u32Values(getU32(b, at, le), len));
      setU32(b, at, v, le);
      return { bytes: b, op: `btf.ext header@${at}=${hex(v)}` };
    }
    case 1: { // a record size
      if (l.subs.length === 0) return undefined;
      const s = r.pick(l.subs);
      const v = r.pick([0, 1, 3, 4, s.recSize - 1, s.recSize + 1, s.recSize + 4, s.recSize * 2, 0xffffffff, 0x80000000]);
      setU32(b, s.start, v, le);
      return { bytes: b, op: `btf.ext ${s.kind} rec_size ${s.recSize} -> ${v >>> 0}` };
    }
    case 2: { // a block header: sec_name_off or num_info
      const s = l.subs.length ? r.pick(l.subs) : undefined;
      if (!s || s.blocks.length === 0) return undefined;
      const k = r.pick(s.blocks);
      if (r.chance(0.5)) {
        const v = r.pick([0, 1, 0xffff, 0xffffffff, 0x7fffffff, r.u32() & 0xfff]);
        setU32(b, k.at, v, le);
        return { bytes: b, op: `btf.ext ${s.kind} block@${hex(k.at)} sec_name_off=${v >>> 0}` };
      }
      const v = r.pick([0, k.num + 1, Math.max(0, k.num - 1), k.num * 2, 0xffff, 0xffffffff, 0x10000000]);
      setU32(b, k.at + 4, v, le);
      return { bytes: b, op: `btf.ext ${s.kind} block@${hex(k.at)} num_info ${k.num} -> ${v >>> 0}` };
    }
    default: { // a record field
      const s = l.subs.length ? r.pick(l.subs) : undefined;
      const k = s && s.blocks.length ? r.pick(s.blocks) : undefined;
      if (!s || !k || k.records.length === 0) return undefined;
      const rec = r.pick(k.records);
      const [name, off, what] = r.pick(FIELDS[s.kind]);
      if (off + 4 > s.recSize) return undefined;
      const cur = getU32(b, rec + off, le);
      const v = what === 'insn' ? r.pick([cur + 1, cur + 4, cur + 8, cur + 8 * 4096, 0, 0xfffffff8, 0xffffffff])
        : what === 'type' ? r.pick([0, cur + 1, cur + 1000, 0xffffffff, 0x7fffffff])
          : what === 'str' ? r.pick([0, cur + 1, 0xffffffff, 0x100000, cur - 1])
            : s.kind === 'core' ? r.pick([r.int(0, 15), 255, 0xffffffff, 13]) : r.pick(u32Values(cur, len));
      setU32(b, rec + off, v, le);
      return { bytes: b, op: `btf.ext ${s.kind} record@${hex(rec)} ${name} ${cur} -> ${v >>> 0}` };
    }
  }
}
