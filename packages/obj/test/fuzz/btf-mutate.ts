// BTF-aware mutations: header fields, type references (to itself, into
// cycles, past the last id), vlen, kind and kind_flag, name offsets, other
// type words, the string section, and whole types dropped, duplicated or cut
// off. In-place ones keep the length (they are also used on the .BTF section
// inside an ELF object); the others rebuild the blob.
import type { Rand } from './rand.js';
import type { Mutation } from './generic.js';
import type { BtfLayout, BtfTypeLoc } from './btf-layout.js';
import { concat, getU32, hex, setU32, u32Values } from './bytes.js';

const HEADER_FIELDS: readonly (readonly [string, number])[] = [
  ['hdr_len', 4], ['type_off', 8], ['type_len', 12], ['str_off', 16], ['str_len', 20],
];
/** Kinds that are a single reference: good links for a cycle. */
const LINK_KINDS = new Set([2, 8, 9, 10, 11, 18, 3, 4, 5]);

function typeWith(r: Rand, l: BtfLayout, f: (t: BtfTypeLoc) => boolean): BtfTypeLoc | undefined {
  for (let tries = 0; tries < 16 && l.types.length > 0; tries++) {
    const t = r.pick(l.types);
    if (f(t)) return t;
  }
  return undefined;
}

function lastId(l: BtfLayout): number {
  return l.firstId + l.types.length - 1;
}

/** A mutation that keeps the blob's length. `undefined` when the layout offers nothing to aim at. */
export function btfInPlace(b: Uint8Array, l: BtfLayout, r: Rand): Mutation | undefined {
  const le = l.le;
  const len = b.byteLength;
  switch (r.weighted<number>([[0, 2], [1, 0.5], [2, 4], [3, 2], [4, 2], [5, 2], [6, 2], [7, 2], [8, 1.5]])) {
    case 0: { // header length/offset fields
      const [field, at] = r.pick(HEADER_FIELDS);
      const others = HEADER_FIELDS.map(([, o]) => getU32(b, o, le));
      const v = r.pick([...u32Values(getU32(b, at, le), len), ...others, len - l.hdrLen, l.typeEnd - l.hdrLen, l.strEnd - l.hdrLen].map((x) => x >>> 0));
      setU32(b, at, v, le);
      return { bytes: b, op: `btf header ${field}=${hex(v)}` };
    }
    case 1: { // magic, version, flags
      const what = r.int(0, 2);
      if (what === 0) {
        [b[0], b[1]] = [b[1]!, b[0]!];
        return { bytes: b, op: 'btf magic byte-swapped' };
      }
      const v = r.pick([0, 2, 0x80, 0xff]);
      b[what + 1] = v;
      return { bytes: b, op: `btf ${what === 1 ? 'version' : 'flags'}=${v}` };
    }
    case 2: { // a type reference
      const t = typeWith(r, l, (x) => x.refs.length > 0);
      if (!t) return undefined;
      const at = r.pick(t.refs);
      const last = lastId(l);
      const [label, v] = r.weighted<readonly [string, number]>([
        [['self', t.id], 4], [['void', 0], 1], [['last', last], 1], [['last+1', last + 1], 3], [['first-1', l.firstId - 1], 1],
        [['0xffffffff', 0xffffffff], 1], [['0x80000000', 0x80000000], 1], [['random', r.int(0, last)], 2],
      ]);
      setU32(b, at, v, le);
      return { bytes: b, op: `btf type ${t.id} ref@${hex(at)}=${label} (${v >>> 0})` };
    }
    case 3: { // a cycle of 2..4 types through their first reference
      const n = r.int(2, 4);
      const ring: BtfTypeLoc[] = [];
      for (let k = 0; k < n; k++) {
        const t = typeWith(r, l, (x) => LINK_KINDS.has(x.kind) && x.refs.length > 0);
        if (t) ring.push(t);
      }
      if (ring.length === 0) return undefined;
      ring.forEach((t, k) => setU32(b, t.refs[0]!, ring[(k + 1) % ring.length]!.id, le));
      return { bytes: b, op: `btf cycle ${ring.map((t) => t.id).join(' -> ')} -> ${ring[0]!.id}` };
    }
    case 4: { // vlen
      const t = typeWith(r, l, () => true);
      if (!t) return undefined;
      const v = r.pick([0xffff, t.vlen + 1, Math.max(0, t.vlen - 1), 0, 0x8000, r.int(0, 0xffff)]);
      const info = getU32(b, t.at + 4, le);
      setU32(b, t.at + 4, (info & 0xffff0000) | v, le);
      return { bytes: b, op: `btf type ${t.id} vlen ${t.vlen} -> ${v}` };
    }
    case 5: { // kind, kind_flag, unused info bits
      const t = typeWith(r, l, () => true);
      if (!t) return undefined;
      const info = getU32(b, t.at + 4, le);
      const what = r.int(0, 2);
      if (what === 0) {
        const k = r.chance(0.8) ? r.int(0, 20) : r.int(21, 31);
        setU32(b, t.at + 4, (info & ~(0x1f << 24)) | (k << 24), le);
        return { bytes: b, op: `btf type ${t.id} kind ${t.kind} -> ${k}` };
      }
      if (what === 1) {
        setU32(b, t.at + 4, info ^ 0x80000000, le);
        return { bytes: b, op: `btf type ${t.id} kind_flag toggled` };
      }
      setU32(b, t.at + 4, info | (r.int(1, 0xff) << 16), le);
      return { bytes: b, op: `btf type ${t.id} unused info bits set` };
    }
    case 6: { // a name offset
      const t = typeWith(r, l, (x) => x.names.length > 0);
      if (!t) return undefined;
      const at = r.pick(t.names);
      const strLen = l.strEnd - l.strStart;
      const mid = l.strings.length ? r.pick(l.strings) + 1 : 1;
      const v = r.pick([strLen - 1, strLen, strLen + 1, 0xffffffff, mid, r.int(0, strLen + 8), 0]);
      setU32(b, at, v, le);
      return { bytes: b, op: `btf type ${t.id} name@${hex(at)}=${v >>> 0} (strings ${strLen})` };
    }
    case 7: { // another word: size, offset, nelems, encoding, value, linkage
      const t = typeWith(r, l, (x) => x.values.length > 0);
      if (!t) return undefined;
      const at = r.pick(t.values);
      const v = r.pick(u32Values(getU32(b, at, le), len));
      setU32(b, at, v, le);
      return { bytes: b, op: `btf type ${t.id} value@${hex(at)}=${hex(v)}` };
    }
    default: { // the string section
      if (l.strEnd <= l.strStart) return undefined;
      const what = r.int(0, 2);
      if (what === 0) {
        b[l.strEnd - 1] = 0x41;
        return { bytes: b, op: 'btf last string unterminated' };
      }
      if (what === 1) {
        b[l.strStart] = 0x41;
        return { bytes: b, op: 'btf first string not empty' };
      }
      const at = r.int(l.strStart, l.strEnd - 1);
      const v = r.pick([0, 0xff, 0xc3, 0x80]);
      b[at] = v;
      return { bytes: b, op: `btf string byte ${hex(at)}=${hex(v)}` };
    }
  }
}

/** The blob with its type section replaced by `types` (header rewritten: types then strings). */
function rebuild(b: Uint8Array, l: BtfLayout, types: Uint8Array): Uint8Array {
  const hdr = b.slice(0, Math.min(l.hdrLen, b.byteLength, 256));
  const strs = b.subarray(l.strStart, l.strEnd);
  const out = concat(hdr, types, strs);
  if (out.byteLength >= 24) {
    setU32(out, 8, 0, l.le);
    setU32(out, 12, types.byteLength, l.le);
    setU32(out, 16, types.byteLength, l.le);
    setU32(out, 20, strs.byteLength, l.le);
  }
  return out;
}

/** A mutation that changes the type section's shape: types cut off, dropped or duplicated. */
export function btfReshape(b: Uint8Array, l: BtfLayout, r: Rand): Mutation | undefined {
  if (l.types.length === 0 || l.hdrLen > 256) return undefined;
  const n = l.types.length;
  const span = (i: number, j: number): Uint8Array => (i >= j ? new Uint8Array(0) : b.subarray(l.types[i]!.at, l.types[j - 1]!.end));
  switch (r.int(0, 3)) {
    case 0: { // keep the first k types: later references dangle
      const k = r.int(0, n - 1);
      return { bytes: rebuild(b, l, span(0, k).slice()), op: `btf keep first ${k} of ${n} types` };
    }
    case 1: { // drop type i: later ids shift down by one
      const i = r.below(n);
      return { bytes: rebuild(b, l, concat(span(0, i), span(i + 1, n))), op: `btf drop type ${l.types[i]!.id}` };
    }
    case 2: { // duplicate type i
      const i = r.below(n);
      return { bytes: rebuild(b, l, concat(span(0, i + 1), span(i, n))), op: `btf duplicate type ${l.types[i]!.id}` };
    }
    default: { // cut in the middle of a type (a truncated vlen tail)
      const t = l.types[r.below(n)]!;
      const cut = t.at + 4 * r.int(1, Math.max(1, (t.end - t.at) / 4 - 1));
      return { bytes: rebuild(b, l, b.slice(l.typeStart, cut)), op: `btf type section cut at ${hex(cut)} inside type ${t.id}` };
    }
  }
}
