// A small C-struct layout description, so every kernel struct we pass is
// declared once as data (attrs.ts) and checked against the uapi header by a
// test, instead of DataView offsets scattered through the code.
import type { Bytes, NestedPointerPatch, PointerPatch } from './native.js';

export type Scalar = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | 's64';
/** A field: scalar, user pointer (u64 holding an address), or fixed byte array. */
export type FieldType = Scalar | 'ptr' | { bytes: number };

export interface Field {
  readonly offset: number;
  readonly type: FieldType;
  /** C expression for offsetof() in the uapi check, when it differs from the field name. */
  readonly c?: string;
  /** The field is newer than Debian 12's uapi header: the offset check cannot see it. */
  readonly newerThanHeader?: boolean;
}

export type Fields = Readonly<Record<string, Field>>;

export interface Struct<F extends Fields> {
  readonly name: string;
  /** The C type for offsetof(), e.g. "union bpf_attr" or "struct bpf_prog_info". */
  readonly cType: string;
  readonly fields: F;
  /** Bytes up to the end of the last field (libbpf's offsetofend for the attr). */
  readonly size: number;
}

export function fieldSize(t: FieldType): number {
  if (typeof t === 'object') return t.bytes;
  switch (t) {
    case 'u8': return 1;
    case 'u16': return 2;
    case 'u32': case 's32': return 4;
    case 'u64': case 's64': case 'ptr': return 8;
  }
}

export function struct<F extends Fields>(name: string, cType: string, fields: F, size?: number): Struct<F> {
  let end = 0;
  for (const f of Object.values(fields)) end = Math.max(end, f.offset + fieldSize(f.type));
  return { name, cType, fields, size: size ?? end };
}

/** Value accepted for each field type when encoding. */
export type FieldValue = number | bigint | Bytes | string | null | undefined;
export type Values<F extends Fields> = { [K in keyof F]?: FieldValue };

export interface Encoded {
  readonly bytes: Uint8Array;
  readonly pointers: PointerPatch[];
  /** Pointers inside structs the attr points at (see nest()). */
  readonly nested?: NestedPointerPatch[];
}

/**
 * Pointer fields of a struct that is itself passed by pointer (an info struct
 * with an out-array): their addresses are written into `inner.bytes` by the
 * same native call, so the memory is pinned for exactly that call.
 */
export function nest(outer: Encoded, inner: Encoded): Encoded {
  const nested = [...(outer.nested ?? []), ...inner.pointers.map(([off, t]) => [inner.bytes, off, t] as const)];
  return { bytes: outer.bytes, pointers: outer.pointers, nested };
}

/**
 * Lay out `values` as the struct. Pointer fields take the memory to point at
 * (the native call writes its address); byte-array fields take bytes or a
 * string (NUL-padded, truncated to fit with a NUL kept).
 */
export function encode<F extends Fields>(s: Struct<F>, values: Values<F>, size = s.size): Encoded {
  const bytes = new Uint8Array(size);
  const pointers: PointerPatch[] = [];
  // for-in + hasOwn rather than Object.entries, and no DataView over `bytes`:
  // this runs once per map lookup, and touching `bytes.buffer` would move a
  // small attr out of the JS heap (a malloc per call; see bench/README.md).
  for (const key in values) {
    if (!Object.hasOwn(values, key)) continue;
    const raw: FieldValue = values[key];
    const f = s.fields[key];
    if (!f) throw new TypeError(`${s.name}: no field '${key}'`);
    if (raw === undefined) continue;
    const t = f.type;
    if (t === 'ptr') {
      if (raw !== null && (typeof raw !== 'object')) throw new TypeError(`${s.name}.${key}: pointer field needs bytes or null`);
      pointers.push([f.offset, raw as Bytes | null]);
      continue;
    }
    if (typeof t === 'object') {
      const src = typeof raw === 'string' ? new TextEncoder().encode(raw) : asU8(raw as Bytes);
      bytes.set(src.subarray(0, typeof raw === 'string' ? t.bytes - 1 : t.bytes), f.offset);
      continue;
    }
    if (raw === null || typeof raw === 'object' || typeof raw === 'string') {
      throw new TypeError(`${s.name}.${key}: ${t} field needs a number or bigint`);
    }
    putScalar(bytes, f.offset, t, raw);
  }
  return { bytes, pointers };
}

/** writeScalar's little-endian bytes, written straight into `bytes` (no DataView). */
export function putScalar(bytes: Uint8Array, offset: number, t: Scalar, v: number | bigint): void {
  switch (t) {
    case 'u8': bytes[offset] = Number(v); return;
    case 'u16': {
      const x = Number(v);
      bytes[offset] = x;
      bytes[offset + 1] = x >>> 8;
      return;
    }
    case 'u32': case 's32': put32(bytes, offset, Number(v) >>> 0); return;
    case 'u64': case 's64': {
      if (typeof v === 'number' && Number.isSafeInteger(v)) {
        // Two's complement halves of a safe integer, without a BigInt.
        put32(bytes, offset, v >>> 0);
        put32(bytes, offset + 4, Math.floor(v / 0x100000000) >>> 0);
        return;
      }
      const b = BigInt.asUintN(64, BigInt(v));
      put32(bytes, offset, Number(b & 0xffffffffn));
      put32(bytes, offset + 4, Number(b >> 32n));
      return;
    }
  }
}

function put32(bytes: Uint8Array, offset: number, x: number): void {
  bytes[offset] = x;
  bytes[offset + 1] = x >>> 8;
  bytes[offset + 2] = x >>> 16;
  bytes[offset + 3] = x >>> 24;
}

export function writeScalar(view: DataView, offset: number, t: Scalar, v: number | bigint): void {
  switch (t) {
    case 'u8': view.setUint8(offset, Number(v)); break;
    case 'u16': view.setUint16(offset, Number(v), true); break;
    case 'u32': view.setUint32(offset, Number(v) >>> 0, true); break;
    case 's32': view.setInt32(offset, Number(v), true); break;
    case 'u64': view.setBigUint64(offset, BigInt.asUintN(64, BigInt(v)), true); break;
    case 's64': view.setBigInt64(offset, BigInt.asIntN(64, BigInt(v)), true); break;
  }
}

/** Read one scalar field: u64/s64 come back as bigint, others as number. */
export function read<F extends Fields>(s: Struct<F>, bytes: Uint8Array, key: keyof F & string): number | bigint {
  const f = s.fields[key];
  if (!f) throw new TypeError(`${s.name}: no field '${key}'`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (f.offset + fieldSize(f.type) > bytes.byteLength) return 0;
  switch (f.type) {
    case 'u8': return view.getUint8(f.offset);
    case 'u16': return view.getUint16(f.offset, true);
    case 'u32': return view.getUint32(f.offset, true);
    case 's32': return view.getInt32(f.offset, true);
    case 'u64': case 'ptr': return view.getBigUint64(f.offset, true);
    case 's64': return view.getBigInt64(f.offset, true);
    default: throw new TypeError(`${s.name}.${key}: use readBytes for byte arrays`);
  }
}

export function readU32<F extends Fields>(s: Struct<F>, bytes: Uint8Array, key: keyof F & string): number {
  return Number(read(s, bytes, key));
}

export function readBytes<F extends Fields>(s: Struct<F>, bytes: Uint8Array, key: keyof F & string): Uint8Array {
  const f = s.fields[key];
  if (!f || typeof f.type !== 'object') throw new TypeError(`${s.name}.${key} is not a byte array`);
  return bytes.subarray(f.offset, f.offset + f.type.bytes);
}

/** A NUL-terminated string field. */
export function readString<F extends Fields>(s: Struct<F>, bytes: Uint8Array, key: keyof F & string): string {
  const b = readBytes(s, bytes, key);
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}

export function asU8(b: Bytes): Uint8Array {
  if (b instanceof Uint8Array) return b;
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return new Uint8Array(b);
}
