// The bpf(2) fast path for commands with at most two pointer fields (map
// element operations, pins, get-next-id...). A hash lookup costs ~1 µs in the
// kernel here; two things on our side used to cost as much again (measured in
// bench/, see bench/README.md):
// - walking an array of [offset, view] pairs through N-API: native.bpf2 takes
//   the (at most two) pointers as plain arguments instead;
// - V8 keeps typed arrays of ≤ 64 bytes inside the JS heap, and handing one to
//   native code first moves its bytes to a new off-heap allocation. A map key,
//   an 8-byte value and the 32-byte attr are all that small, so they are
//   staged through fixed off-heap buffers: copied in before the call and back
//   after it, which keeps in, out and in/out fields behaving exactly as if the
//   caller's own memory had been passed. Larger memory is passed directly.
// The staging buffers are shared: safe because JavaScript runs one call at a
// time and bpf(2) never keeps a user pointer after it returns.
import { native, type PointerPatch } from './native.js';

/** V8's typed_array_max_size_in_heap: larger arrays already live off-heap. */
const SMALL = 64;
/** Every bpf_attr variant fits (the union is < 256 bytes). */
const ATTR_MAX = 256;

/** views[n] is an n-byte view of one fixed off-heap buffer. */
function stage(max: number): Uint8Array[] {
  const buf = new ArrayBuffer(max);
  return Array.from({ length: max + 1 }, (_, n) => new Uint8Array(buf, 0, n));
}

const attrStage = stage(ATTR_MAX);
const stageA = stage(SMALL);
const stageB = stage(SMALL);

type Target = PointerPatch[1];

function small(t: Target): t is Uint8Array {
  return t instanceof Uint8Array && t.byteLength <= SMALL;
}

/** dst.set(src) for equal lengths; a plain loop beats the builtin for a few bytes. */
function copy(dst: Uint8Array, src: Uint8Array): void {
  const n = src.byteLength;
  if (n > 16) {
    dst.set(src);
    return;
  }
  for (let i = 0; i < n; i++) dst[i] = src[i]!;
}

/**
 * native.bpf2 with small Uint8Array targets staged. `stageAttr` false: the
 * caller's attr already lives off-heap (a fixed buffer it reuses).
 */
export function bpfStaged(cmd: number, attr: Uint8Array, stageAttr: boolean, offA: number, tA: Target, offB: number, tB: Target): number {
  const sA = offA >= 0 && small(tA) ? stageA[tA.byteLength]! : null;
  const sB = offB >= 0 && small(tB) ? stageB[tB.byteLength]! : null;
  const sAttr = stageAttr && attr.byteLength <= ATTR_MAX ? attrStage[attr.byteLength]! : null;
  if (sA) copy(sA, tA as Uint8Array);
  if (sB) copy(sB, tB as Uint8Array);
  if (sAttr) copy(sAttr, attr);
  const ret = native.bpf2(cmd, sAttr ?? attr, offA, sA ?? tA, offB, sB ?? tB);
  if (sAttr) copy(attr, sAttr);
  if (sA) copy(tA as Uint8Array, sA);
  if (sB) copy(tB as Uint8Array, sB);
  return ret;
}

/**
 * bpf(cmd) with `pointers.length <= 2` and no nested pointers. Same contract
 * as native.bpf: returns ret or -errno, and `attr` holds what the kernel wrote
 * back (including the patched addresses, as native.bpf leaves them).
 */
export function bpfLean(cmd: number, attr: Uint8Array, pointers: readonly PointerPatch[]): number {
  const n = pointers.length;
  return bpfStaged(cmd, attr, true,
    n > 0 ? pointers[0]![0] : -1, n > 0 ? pointers[0]![1] : null,
    n > 1 ? pointers[1]![0] : -1, n > 1 ? pointers[1]![1] : null);
}
