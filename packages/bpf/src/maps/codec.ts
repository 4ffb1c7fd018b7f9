// Key/value codecs: how JS values become the fixed-size bytes a map stores.
// A codec knows its size, so a wrong size is caught before any syscall.
import { ArgumentError } from '../errors.js';

export interface Codec<T> {
  /** Encoded size in bytes. */
  readonly size: number;
  /** Write `value` into `out` (exactly `size` bytes, zeroed). */
  encode(value: T, out: Uint8Array): void;
  decode(bytes: Uint8Array): T;
}

/** Raw bytes of a fixed size: the default codec. Rejects other lengths. */
export function bytes(size: number): Codec<Uint8Array> {
  return {
    size,
    encode(value, out) {
      if (!(value instanceof Uint8Array)) throw new ArgumentError(`expected a Uint8Array of ${size} bytes`);
      if (value.byteLength !== size) throw new ArgumentError(`expected ${size} bytes, got ${value.byteLength}`);
      out.set(value);
    },
    decode: (b) => b.slice(),
  };
}

function intCodec(size: 1 | 2 | 4, signed: boolean): Codec<number> {
  const min = signed ? -(2 ** (size * 8 - 1)) : 0;
  const max = signed ? 2 ** (size * 8 - 1) - 1 : 2 ** (size * 8) - 1;
  const name = `${signed ? 'i' : 'u'}${size * 8}`;
  return {
    size,
    encode(value, out) {
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new ArgumentError(`${name}: ${String(value)} is not an integer in [${min}, ${max}]`);
      }
      const v = new DataView(out.buffer, out.byteOffset, size);
      if (size === 1) v.setUint8(0, value & 0xff);
      else if (size === 2) v.setUint16(0, value & 0xffff, true);
      else v.setUint32(0, value >>> 0, true);
    },
    decode(b) {
      const v = new DataView(b.buffer, b.byteOffset, size);
      if (size === 1) return signed ? v.getInt8(0) : v.getUint8(0);
      if (size === 2) return signed ? v.getInt16(0, true) : v.getUint16(0, true);
      return signed ? v.getInt32(0, true) : v.getUint32(0, true);
    },
  };
}

function bigCodec(signed: boolean): Codec<bigint> {
  const name = signed ? 'i64' : 'u64';
  return {
    size: 8,
    encode(value, out) {
      const v = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
      if (typeof v !== 'bigint') throw new ArgumentError(`${name}: expected a bigint (or safe integer), got ${String(value)}`);
      if (signed ? BigInt.asIntN(64, v) !== v : BigInt.asUintN(64, v) !== v) {
        throw new ArgumentError(`${name}: ${v} does not fit 64 bits`);
      }
      const d = new DataView(out.buffer, out.byteOffset, 8);
      if (signed) d.setBigInt64(0, v, true);
      else d.setBigUint64(0, v, true);
    },
    decode(b) {
      const d = new DataView(b.buffer, b.byteOffset, 8);
      return signed ? d.getBigInt64(0, true) : d.getBigUint64(0, true);
    },
  };
}

export const u8 = intCodec(1, false);
export const u16 = intCodec(2, false);
export const u32 = intCodec(4, false);
export const i8 = intCodec(1, true);
export const i16 = intCodec(2, true);
export const i32 = intCodec(4, true);
/** 64-bit values are bigint: exact above 2^53. */
export const u64 = bigCodec(false);
export const i64 = bigCodec(true);
