// Format-blind mutations: bit flips, interesting bytes and words, arithmetic,
// truncation at an interesting boundary, splices with another input, and
// inserted, deleted, duplicated or filled ranges. Every mutation returns the
// (possibly new) bytes and a short description for the reproducer.
import type { Rand } from './rand.js';
import { U16_VALUES, U8_VALUES, concat, getU32, getU64, hex, setU16, setU32, setU64, u32Values, u64Values } from './bytes.js';

export interface Mutation {
  bytes: Uint8Array;
  op: string;
}

/** Another input to splice with, and its boundaries. */
export interface Donor {
  name: string;
  bytes: Uint8Array;
  boundaries: readonly number[];
}

export interface GenericContext {
  le: boolean;
  /** Interesting offsets of this input: header end, table starts, section starts and ends... */
  boundaries: readonly number[];
  donor?: () => Donor;
}

/** Inputs never grow past this, so repeated inserts cannot blow up a case. */
const MAX_GROWTH = 4096;

function offset(r: Rand, b: Uint8Array, align: number): number {
  const n = Math.max(1, Math.floor((b.byteLength - align) / align) + 1);
  return Math.min(b.byteLength - align, r.below(n) * align);
}

/** A boundary, nudged by a few bytes now and then. */
export function nearBoundary(r: Rand, boundaries: readonly number[], len: number): number {
  const base = boundaries.length > 0 && r.chance(0.85) ? r.pick(boundaries) : r.int(0, len);
  const at = r.chance(0.6) ? base : base + r.int(-4, 4);
  return Math.max(0, Math.min(len, at));
}

export function genericMutation(b: Uint8Array, r: Rand, ctx: GenericContext): Mutation {
  const len = b.byteLength;
  if (len === 0) return { bytes: new Uint8Array(r.int(1, 64)).map(() => r.int(0, 255)), op: 'replace empty input by random bytes' };
  switch (r.weighted<number>([[0, 4], [1, 3], [2, 3], [3, 2], [4, 2], [5, 3], [6, 2], [7, 1], [8, 1], [9, 1], [10, 1]])) {
    case 0: { // bit flips
      const n = r.weighted([[1, 6], [2, 2], [r.int(3, 16), 1]]);
      const at: number[] = [];
      for (let i = 0; i < n; i++) {
        const k = r.below(len);
        b[k]! ^= 1 << r.below(8);
        at.push(k);
      }
      return { bytes: b, op: `flip ${n} bit(s) at ${at.slice(0, 4).map(hex).join(',')}` };
    }
    case 1: { // an interesting byte
      const k = r.chance(0.5) ? Math.min(len - 1, nearBoundary(r, ctx.boundaries, len - 1)) : r.below(len);
      const v = r.chance(0.8) ? r.pick(U8_VALUES) : r.int(0, 255);
      b[k] = v;
      return { bytes: b, op: `byte ${hex(k)}=${hex(v)}` };
    }
    case 2: { // an interesting word
      const width = r.weighted([[2, 1], [4, 4], [8, 2]]);
      if (len < width) return { bytes: b, op: 'input too short for a word' };
      const k = r.chance(0.8) ? offset(r, b, width) : r.int(0, len - width);
      const le = r.chance(0.9) ? ctx.le : !ctx.le;
      if (width === 2) {
        const v = r.pick(U16_VALUES);
        setU16(b, k, v, le);
        return { bytes: b, op: `u16 ${hex(k)}=${hex(v)}` };
      }
      if (width === 4) {
        const v = r.pick(u32Values(getU32(b, k, le), len));
        setU32(b, k, v, le);
        return { bytes: b, op: `u32 ${hex(k)}=${hex(v)}` };
      }
      const v = r.pick(u64Values(getU64(b, k, le), len));
      setU64(b, k, v, le);
      return { bytes: b, op: `u64 ${hex(k)}=${hex(v)}` };
    }
    case 3: { // arithmetic on a word
      if (len < 4) return { bytes: b, op: 'input too short for a word' };
      const k = offset(r, b, 4);
      const d = r.int(-35, 35) || 1;
      setU32(b, k, getU32(b, k, ctx.le) + d, ctx.le);
      return { bytes: b, op: `u32 ${hex(k)} += ${d}` };
    }
    case 4: { // truncation at a boundary
      const at = nearBoundary(r, ctx.boundaries, len);
      return { bytes: b.slice(0, at), op: `truncate to ${at} of ${len}` };
    }
    case 5: { // splice with another input (or with itself)
      const d = ctx.donor?.() ?? { name: 'self', bytes: b.slice(), boundaries: ctx.boundaries };
      const x = nearBoundary(r, ctx.boundaries, len);
      const y = nearBoundary(r, d.boundaries, d.bytes.byteLength);
      return { bytes: concat(b.subarray(0, x), d.bytes.subarray(y)), op: `splice [0,${x}) + ${d.name}[${y},)` };
    }
    case 6: { // insert bytes
      const at = nearBoundary(r, ctx.boundaries, len);
      const n = r.weighted([[r.int(1, 8), 3], [r.pick([4, 8, 12, 16, 24, 64]), 3], [r.int(1, MAX_GROWTH), 1]]);
      const fill = r.chance(0.5) ? 0 : r.chance(0.5) ? 0xff : -1;
      const ins = new Uint8Array(n).map(() => (fill >= 0 ? fill : r.int(0, 255)));
      return { bytes: concat(b.subarray(0, at), ins, b.subarray(at)), op: `insert ${n} bytes (${fill < 0 ? 'random' : hex(fill)}) at ${hex(at)}` };
    }
    case 7: { // delete a range
      const at = nearBoundary(r, ctx.boundaries, len);
      const n = Math.min(len - at, r.chance(0.7) ? r.pick([1, 4, 8, 12, 16, 24, 64]) : r.int(1, len));
      return { bytes: concat(b.subarray(0, at), b.subarray(at + n)), op: `delete ${n} bytes at ${hex(at)}` };
    }
    case 8: { // copy a range over another (duplicated structures)
      const from = nearBoundary(r, ctx.boundaries, len);
      const to = nearBoundary(r, ctx.boundaries, len);
      const n = Math.min(len - from, len - to, r.pick([4, 8, 16, 24, 64, 256]));
      b.copyWithin(to, from, from + n);
      return { bytes: b, op: `copy ${n} bytes ${hex(from)} -> ${hex(to)}` };
    }
    case 9: { // fill a range
      const at = nearBoundary(r, ctx.boundaries, len);
      const n = Math.min(len - at, r.pick([4, 8, 16, 64, 256]));
      const v = r.pick([0, 0xff, 0x41]);
      b.fill(v, at, at + n);
      return { bytes: b, op: `fill ${n} bytes at ${hex(at)} with ${hex(v)}` };
    }
    default: { // a run of random bytes
      const at = r.below(len);
      const n = Math.min(len - at, r.int(1, 32));
      for (let i = 0; i < n; i++) b[at + i] = r.int(0, 255);
      return { bytes: b, op: `randomise ${n} bytes at ${hex(at)}` };
    }
  }
}
