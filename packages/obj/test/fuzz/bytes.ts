// Byte-level helpers and the "interesting values" the mutators write: edges of
// each integer width, lengths of the input off by one, and the field's own
// value nudged.

export function getU32(b: Uint8Array, at: number, le: boolean): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(at, le);
}

export function getU64(b: Uint8Array, at: number, le: boolean): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(at, le);
}

export function setU16(b: Uint8Array, at: number, v: number, le: boolean): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint16(at, v & 0xffff, le);
}

export function setU32(b: Uint8Array, at: number, v: number, le: boolean): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v >>> 0, le);
}

export function setU64(b: Uint8Array, at: number, v: bigint, le: boolean): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(at, BigInt.asUintN(64, v), le);
}

export const U8_VALUES: readonly number[] = [0, 1, 0x7e, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x20, 0x40];
export const U16_VALUES: readonly number[] = [0, 1, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];

/** u32 edge values, plus `len` (the input's length) and `cur` (the field's value) off by one. */
export function u32Values(cur: number, len: number): number[] {
  return [
    0, 1, 2, 3, 4, 7, 8, 16, 24, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
    len, len - 1, len + 1, cur + 1, cur - 1, cur + 4, cur - 4, cur * 2, cur >>> 1, cur | 0x80000000,
  ].map((v) => v >>> 0);
}

/** u64 edge values: the u32 ones, then 2^32, 2^53 +/- 1 (the limit of exact JS numbers), 2^63, 2^64-1. */
export function u64Values(cur: bigint, len: number): bigint[] {
  const c = Number(cur & 0xffffffffn);
  return [
    ...u32Values(c, len).map(BigInt), cur + 1n, cur - 1n, cur + 8n, 1n << 32n, (1n << 32n) + BigInt(len),
    (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, 1n << 63n, (1n << 64n) - 1n, (1n << 64n) - 8n,
  ].map((v) => BigInt.asUintN(64, v));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

export function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}
