// Integer codecs: u8..u32/i8..i32 as number, u64/i64 as bigint (exact above
// 2^53), big-endian u16/u32 for ports and addresses in network order, bool.
import { ArgumentError } from '../errors.js';
import type { Codec } from './codec.js';

// Conversions write and read the caller's bytes one by one: a DataView over
// `b.buffer` would move a small (on-heap) typed array's bytes to a new
// off-heap allocation on every call, ~0.5 µs per map get/set, and even a
// fixed DataView scratch costs a copy and a builtin call (bench/README.md).
// 64-bit BigInts go through one fixed 8-byte scratch viewed as BigUint64Array /
// BigInt64Array (an element store or load is cheaper than DataView's
// setBigUint64/getBigUint64); safe-integer numbers and values under 2^32
// skip it.
const scratchBytes = new Uint8Array(new ArrayBuffer(8));
const scratchU64 = new BigUint64Array(scratchBytes.buffer);
const scratchI64 = new BigInt64Array(scratchBytes.buffer);
const TWO32 = 4294967296;
// The scratch arrays are host-endian; map bytes are little-endian here.
const SWAP = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 7;

function short(got: number, size: number): RangeError {
  return new RangeError(`integer codec needs ${size} bytes, got ${got}`);
}

/** Little-endian decoders by size, one function each so every call site stays monomorphic. */
const decodeLe = {
  u1: (b: Uint8Array): number => { if (b.length < 1) throw short(b.length, 1); return b[0]!; },
  i1: (b: Uint8Array): number => { if (b.length < 1) throw short(b.length, 1); return (b[0]! << 24) >> 24; },
  u2: (b: Uint8Array): number => { if (b.length < 2) throw short(b.length, 2); return b[0]! | (b[1]! << 8); },
  i2: (b: Uint8Array): number => { if (b.length < 2) throw short(b.length, 2); return ((b[0]! | (b[1]! << 8)) << 16) >> 16; },
  u4: (b: Uint8Array): number => {
    if (b.length < 4) throw short(b.length, 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  },
  i4: (b: Uint8Array): number => {
    if (b.length < 4) throw short(b.length, 4);
    return b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24);
  },
};

function intCodec(size: 1 | 2 | 4, signed: boolean, bigEndian = false): Codec<number> {
  const min = signed ? -(2 ** (size * 8 - 1)) : 0;
  const max = signed ? 2 ** (size * 8 - 1) - 1 : 2 ** (size * 8) - 1;
  const name = `${signed ? 'i' : 'u'}${size * 8}${bigEndian ? 'be' : ''}`;
  const check = (value: number): void => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new ArgumentError(`${name}: ${String(value)} is not an integer in [${min}, ${max}]`);
    }
  };
  // Byte stores truncate modulo 256 and `>>>` works on the two's complement
  // bits, so one store per byte serves signed and unsigned alike.
  let encode: (value: number, out: Uint8Array) => void;
  let decode: (b: Uint8Array) => number;
  if (bigEndian) {
    encode = (value, out) => {
      check(value);
      if (out.length < size) throw short(out.length, size);
      for (let i = 0; i < size; i++) out[size - 1 - i] = value >>> (8 * i);
    };
    decode = (b) => {
      if (b.length < size) throw short(b.length, size);
      let x = 0;
      for (let i = 0; i < size; i++) x = (x << 8) | b[i]!;
      const bits = 32 - size * 8;
      return signed ? (x << bits) >> bits : x >>> 0;
    };
  } else if (size === 1) {
    encode = (value, out) => { check(value); if (out.length < 1) throw short(out.length, 1); out[0] = value; };
    decode = signed ? decodeLe.i1 : decodeLe.u1;
  } else if (size === 2) {
    encode = (value, out) => {
      check(value);
      if (out.length < 2) throw short(out.length, 2);
      out[0] = value;
      out[1] = value >>> 8;
    };
    decode = signed ? decodeLe.i2 : decodeLe.u2;
  } else {
    encode = (value, out) => {
      check(value);
      if (out.length < 4) throw short(out.length, 4);
      out[0] = value;
      out[1] = value >>> 8;
      out[2] = value >>> 16;
      out[3] = value >>> 24;
    };
    decode = signed ? decodeLe.i4 : decodeLe.u4;
  }
  return {
    size,
    align: size,
    shape: { kind: 'int', name: `${signed ? '' : 'unsigned '}${size === 1 ? 'char' : size === 2 ? 'short' : 'int'}`, size, signed },
    fillsAll: true,
    encode,
    decode,
  };
}

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function bigCodec(signed: boolean): Codec<bigint> {
  const name = signed ? 'i64' : 'u64';
  return {
    size: 8,
    align: 8,
    shape: { kind: 'int', name: signed ? 'long long' : 'unsigned long long', size: 8, signed },
    fillsAll: true,
    encode(value, out) {
      if (out.length < 8) throw short(out.length, 8);
      // A safe integer is accepted too: `m.set(1, 10)` on a u64 map is
      // unambiguous, and written as two words without a BigInt.
      if (typeof value === 'number' && Number.isSafeInteger(value) && (signed || value >= 0)) {
        const lo = value >>> 0; // ToUint32 is exact modulo 2^32, negatives included
        const hi = Math.floor(value / TWO32) >>> 0;
        out[0] = lo; out[1] = lo >>> 8; out[2] = lo >>> 16; out[3] = lo >>> 24;
        out[4] = hi; out[5] = hi >>> 8; out[6] = hi >>> 16; out[7] = hi >>> 24;
        return;
      }
      const v = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
      if (typeof v !== 'bigint') throw new ArgumentError(`${name}: expected a bigint (or safe integer), got ${String(value)}`);
      // Range check by comparison: BigInt.asUintN would allocate on every call.
      if (signed ? v < I64_MIN || v > I64_MAX : v < 0n || v > U64_MAX) {
        throw new ArgumentError(`${name}: ${v} does not fit ${signed ? 'a signed' : 'an unsigned'} 64-bit integer`);
      }
      if (signed) scratchI64[0] = v;
      else scratchU64[0] = v;
      for (let i = 0; i < 8; i++) out[i] = scratchBytes[i ^ SWAP]!;
    },
    decode(b) {
      if (b.length < 8) throw short(b.length, 8);
      const hi = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
      // Values under 2^32 (counters, most map values): one BigInt from a number.
      if (hi === 0) return BigInt((b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0);
      for (let i = 0; i < 8; i++) scratchBytes[i ^ SWAP] = b[i]!;
      return signed ? scratchI64[0]! : scratchU64[0]!;
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
/** Network byte order (ports, addresses as numbers). */
export const u16be = intCodec(2, false, true);
export const u32be = intCodec(4, false, true);

/** C `bool` (_Bool, one byte): false/true. */
export const bool: Codec<boolean> = {
  size: 1,
  align: 1,
  shape: { kind: 'int', name: '_Bool', size: 1, signed: false, bool: true },
  encode(value, out) {
    if (typeof value !== 'boolean') throw new ArgumentError(`bool: expected true or false, got ${String(value)}`);
    out[0] = value ? 1 : 0;
  },
  decode: (b) => b[0] !== 0,
};
