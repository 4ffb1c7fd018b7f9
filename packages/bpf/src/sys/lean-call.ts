// The bpf(2) fast path for commands whose attr has at most two pointer
// fields aimed at small memory: every map element operation, pins, id
// lookups. A hash lookup costs ~1 µs in the kernel here; the generic path
// (native.bpf) used to cost as much again on our side (bench/README.md):
// - N-API reads of an array of [offset, view] pairs, and of each view;
// - V8 keeps typed arrays of ≤ 64 bytes inside the JS heap, and handing one
//   to native code first moves its bytes to a new off-heap allocation. A map
//   key, an 8-byte value and the 32-byte attr are all that small.
// So the attr and its (small) pointed-to memory are staged in ONE fixed
// off-heap area: copied in before the call and back after it, which keeps
// in, out and in/out fields behaving exactly as if the caller's own memory
// had been passed, and native.bpf2 takes just that area and six integers.
// One shared area is safe: JavaScript issues one call at a time and bpf(2)
// keeps no user pointer after it returns.
import { native, type PointerPatch } from './native.js';

/** Room for every bpf_attr variant (the union is < 256 bytes). */
export const ATTR_MAX = 256;
/** Bytes per staged pointer target (V8's on-heap typed array limit). */
export const SLOT = 64;
/** Where the two staged targets live in the area. */
export const SLOT_A = ATTR_MAX;
export const SLOT_B = ATTR_MAX + SLOT;

/** The shared area: attr at 0, targets at SLOT_A and SLOT_B. */
export const area = new Uint8Array(new ArrayBuffer(ATTR_MAX + 2 * SLOT));

type Target = PointerPatch[1];

/** Can bpfLean take this attr (≤ 2 small Uint8Array or null targets)? */
export function leanFits(attr: Uint8Array, pointers: readonly PointerPatch[]): boolean {
  if (attr.byteLength > ATTR_MAX || pointers.length > 2) return false;
  for (const [, t] of pointers) if (t !== null && !(t instanceof Uint8Array && t.byteLength <= SLOT)) return false;
  return true;
}

function stageIn(t: Target, at: number): void {
  if (t === null) return;
  const src = t as Uint8Array;
  for (let i = 0; i < src.length; i++) area[at + i] = src[i]!;
}

function stageOut(t: Target, at: number): void {
  if (t === null) return;
  const dst = t as Uint8Array;
  for (let i = 0; i < dst.length; i++) dst[i] = area[at + i]!;
}

/**
 * bpf(cmd) for an attr that leanFits(). Same contract as native.bpf:
 * returns ret or -errno, and `attr` holds what the kernel wrote back.
 */
export function bpfLean(cmd: number, attr: Uint8Array, pointers: readonly PointerPatch[]): number {
  const n = attr.byteLength;
  area.set(attr);
  const a = pointers.length > 0 ? pointers[0]! : null;
  const b = pointers.length > 1 ? pointers[1]! : null;
  if (a) stageIn(a[1], SLOT_A);
  if (b) stageIn(b[1], SLOT_B);
  const ret = native.bpf2(cmd, area, n,
    a ? a[0] : -1, a && a[1] ? SLOT_A : -1,
    b ? b[0] : -1, b && b[1] ? SLOT_B : -1);
  attr.set(area.subarray(0, n));
  if (a) stageOut(a[1], SLOT_A);
  if (b) stageOut(b[1], SLOT_B);
  return ret;
}
