// Integer codecs: u8..u32/i8..i32 as number, u64/i64 as bigint (exact above
// 2^53), big-endian u16/u32 for ports and addresses in network order, bool.
import { ArgumentError } from '../errors.js';
import type { Codec } from './codec.js';

// Conversions go through one fixed 8-byte buffer: a DataView over `b.buffer`
// would move a small (on-heap) typed array's bytes to a new off-heap
// allocation on every call, ~0.5 µs per map get/set (bench/README.md).
const scratchBytes = new Uint8Array(new ArrayBuffer(8));
const scratch = new DataView(scratchBytes.buffer);

/** The first `size` bytes of `b`, readable through `scratch`. */
function scratchIn(b: Uint8Array, size: number): DataView {
  if (b.byteLength < size) throw new RangeError(`integer codec needs ${size} bytes, got ${b.byteLength}`);
  for (let i = 0; i < size; i++) scratchBytes[i] = b[i]!;
  return scratch;
}

/** Copy what was written into `scratch` to the first `size` bytes of `out`. */
function scratchOut(out: Uint8Array, size: number): void {
  if (out.byteLength < size) throw new RangeError(`integer codec needs ${size} bytes, got ${out.byteLength}`);
  for (let i = 0; i < size; i++) out[i] = scratchBytes[i]!;
}

function intCodec(size: 1 | 2 | 4, signed: boolean, bigEndian = false): Codec<number> {
  const min = signed ? -(2 ** (size * 8 - 1)) : 0;
  const max = signed ? 2 ** (size * 8 - 1) - 1 : 2 ** (size * 8) - 1;
  const name = `${signed ? 'i' : 'u'}${size * 8}${bigEndian ? 'be' : ''}`;
  const le = !bigEndian;
  return {
    size,
    align: size,
    shape: { kind: 'int', name: `${signed ? '' : 'unsigned '}${size === 1 ? 'char' : size === 2 ? 'short' : 'int'}`, size, signed },
    encode(value, out) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw new ArgumentError(`${name}: ${String(value)} is not an integer in [${min}, ${max}]`);
      }
      const v = scratch;
      if (size === 1) v.setUint8(0, value & 0xff);
      else if (size === 2) v.setUint16(0, value & 0xffff, le);
      else v.setUint32(0, value >>> 0, le);
      scratchOut(out, size);
    },
    decode(b) {
      const v = scratchIn(b, size);
      if (size === 1) return signed ? v.getInt8(0) : v.getUint8(0);
      if (size === 2) return signed ? v.getInt16(0, le) : v.getUint16(0, le);
      return signed ? v.getInt32(0, le) : v.getUint32(0, le);
    },
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
    encode(value, out) {
      // A safe integer is accepted too: `m.set(1, 10)` on a u64 map is unambiguous.
      const v = typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
      if (typeof v !== 'bigint') throw new ArgumentError(`${name}: expected a bigint (or safe integer), got ${String(value)}`);
      // Range check by comparison: BigInt.asUintN would allocate on every call.
      if (signed ? v < I64_MIN || v > I64_MAX : v < 0n || v > U64_MAX) {
        throw new ArgumentError(`${name}: ${v} does not fit ${signed ? 'a signed' : 'an unsigned'} 64-bit integer`);
      }
      const d = scratch;
      if (signed) d.setBigInt64(0, v, true);
      else d.setBigUint64(0, v, true);
      scratchOut(out, 8);
    },
    decode(b) {
      const d = scratchIn(b, 8);
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
