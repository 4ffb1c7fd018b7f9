// Codecs from BTF types: how a map key/value or a global variable described in
// an object's BTF reads and writes as a JS value. Integers by size and
// signedness (64-bit as bigint), _Bool as boolean, char arrays as strings,
// other arrays as JS arrays, structs and unions as objects with the members
// at their BTF offsets (bit-fields included; anonymous members flattened),
// enums as numbers (names accepted when writing), pointers as bigint.
//
// @example
// const c = btfCodec(reader, valueTypeId); // struct { u64 count; char comm[16]; }
// c.decode(bytes); // { count: 3n, comm: 'bash' }
import type { BtfReader, BtfType } from '@lockne/obj';
import { bool, bytes, i16, i32, i64, i8, u16, u32, u64, u8, type Codec } from '../maps/codec.js';
import { cstring, array } from '../maps/codec-struct.js';
import { CodecError } from '../maps/codec-error.js';

/** Byte size of type `id` (0 for void, functions and forward declarations). */
export function btfSizeOf(btf: BtfReader, id: number, depth = 0): number {
  if (id === 0 || depth > 64) return 0;
  const t = btf.type(id);
  switch (t.kind) {
    case 'INT': case 'ENUM': case 'ENUM64': case 'STRUCT': case 'UNION': case 'FLOAT': case 'DATASEC':
      return t.size;
    case 'PTR':
      return 8;
    case 'ARRAY':
      return t.nelems * btfSizeOf(btf, t.elemType, depth + 1);
    case 'TYPEDEF': case 'CONST': case 'VOLATILE': case 'RESTRICT': case 'TYPE_TAG': case 'VAR':
      return btfSizeOf(btf, t.type, depth + 1);
    default:
      return 0;
  }
}

/** Codecs built from one BTF, cached by type id. */
export class BtfCodecs {
  readonly btf: BtfReader;
  readonly #cache = new Map<number, Codec<unknown>>();

  constructor(btf: BtfReader) {
    this.btf = btf;
  }

  /** The codec of type `id`; its size equals btfSizeOf(id). */
  codec(id: number): Codec<unknown> {
    let c = this.#cache.get(id);
    if (!c) {
      c = this.#build(id);
      this.#cache.set(id, c);
    }
    return c;
  }

  #build(id: number): Codec<unknown> {
    const btf = this.btf;
    const real = btf.skipModifiers(id);
    if (real === 0) return bytes(0) as Codec<unknown>;
    const t = btf.type(real);
    switch (t.kind) {
      case 'INT':
        return intCodec(t.size, t.signed, t.bool);
      case 'PTR':
        return u64 as Codec<unknown>;
      case 'ENUM':
      case 'ENUM64':
        return enumCodec(t);
      case 'FLOAT':
        return floatCodec(t.size);
      case 'ARRAY': {
        const elemSize = btfSizeOf(btf, t.elemType);
        if (t.nelems === 0 || elemSize === 0) return bytes(0) as Codec<unknown>;
        if (isChar(btf, t.elemType)) return cstring(t.nelems) as Codec<unknown>;
        return array(this.codec(t.elemType), t.nelems) as Codec<unknown>;
      }
      case 'STRUCT':
      case 'UNION':
        return this.#composite(t.kind === 'UNION', t.size, this.#fields(real, 0));
      default:
        return bytes(btfSizeOf(btf, real)) as Codec<unknown>;
    }
  }

  /** Named fields of a struct/union at absolute bit offsets, anonymous members flattened. */
  #fields(id: number, baseBits: number): Field[] {
    const t = this.btf.type(id);
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return [];
    const out: Field[] = [];
    for (const m of t.members) {
      const bit = baseBits + m.bitOffset;
      if (m.name === '') {
        const inner = this.btf.skipModifiers(m.type);
        const k = inner === 0 ? '' : this.btf.kind(inner);
        if (k === 'STRUCT' || k === 'UNION') out.push(...this.#fields(inner, bit));
        continue;
      }
      if (m.bitfieldSize > 0) {
        const base = this.btf.type(this.btf.skipModifiers(m.type));
        const signed = (base.kind === 'INT' || base.kind === 'ENUM' || base.kind === 'ENUM64') && base.signed;
        out.push({ name: m.name, bit, bits: m.bitfieldSize, signed });
      } else {
        if (bit % 8 !== 0) throw new CodecError(`member '${m.name}' starts at bit ${bit}, not on a byte`);
        out.push({ name: m.name, bit, codec: this.codec(m.type) });
      }
    }
    return out;
  }

  #composite(union: boolean, size: number, fields: Field[]): Codec<unknown> {
    const names = new Set(fields.map((f) => f.name));
    return {
      size,
      align: 1,
      encode(value, out) {
        if (typeof value !== 'object' || value === null) throw new CodecError(`${union ? 'union' : 'struct'}: expected an object, got ${String(value)}`);
        const obj = value as Record<string, unknown>;
        for (const k of Object.keys(obj)) {
          if (!names.has(k)) throw new CodecError(`unknown field (the ${union ? 'union' : 'struct'} has ${[...names].join(', ')})`, k);
        }
        for (const f of fields) {
          if (!(f.name in obj)) {
            if (union) continue;
            throw new CodecError('missing', f.name);
          }
          try {
            if (f.codec) f.codec.encode(obj[f.name], out.subarray(f.bit / 8, f.bit / 8 + f.codec.size));
            else writeBits(out, f, obj[f.name]);
          } catch (e) {
            throw CodecError.wrap(e, f.name);
          }
        }
      },
      decode(b) {
        const obj: Record<string, unknown> = {};
        for (const f of fields) {
          obj[f.name] = f.codec ? f.codec.decode(b.subarray(f.bit / 8, f.bit / 8 + f.codec.size)) : readBits(b, f);
        }
        return obj;
      },
    };
  }
}

interface Field {
  name: string;
  /** Bit offset from the start of the outermost composite. */
  bit: number;
  codec?: Codec<unknown>;
  /** Bit-field width. */
  bits?: number;
  signed?: boolean;
}

function isChar(btf: BtfReader, id: number): boolean {
  const real = btf.skipModifiers(id);
  if (real === 0) return false;
  const t = btf.type(real);
  return t.kind === 'INT' && t.size === 1 && !t.bool && (t.char || t.name === 'char');
}

function intCodec(size: number, signed: boolean, isBool: boolean): Codec<unknown> {
  if (isBool && size === 1) return bool as Codec<unknown>;
  switch (size) {
    case 1: return (signed ? i8 : u8) as Codec<unknown>;
    case 2: return (signed ? i16 : u16) as Codec<unknown>;
    case 4: return (signed ? i32 : u32) as Codec<unknown>;
    case 8: return (signed ? i64 : u64) as Codec<unknown>;
    default: return bytes(size) as Codec<unknown>;
  }
}

function floatCodec(size: number): Codec<unknown> {
  if (size !== 4 && size !== 8) return bytes(size) as Codec<unknown>;
  return {
    size,
    align: size,
    encode(value, out) {
      if (typeof value !== 'number') throw new CodecError(`float${size * 8}: expected a number, got ${String(value)}`);
      const v = new DataView(out.buffer, out.byteOffset, size);
      if (size === 4) v.setFloat32(0, value, true);
      else v.setFloat64(0, value, true);
    },
    decode(b) {
      const v = new DataView(b.buffer, b.byteOffset, size);
      return size === 4 ? v.getFloat32(0, true) : v.getFloat64(0, true);
    },
  };
}

/** An enum: the number (bigint for 8 bytes); writing also takes an enumerator's name. */
function enumCodec(t: Extract<BtfType, { kind: 'ENUM' | 'ENUM64' }>): Codec<unknown> {
  const base = intCodec(t.size, t.signed, false);
  const byName = new Map<string, number | bigint>();
  for (const v of t.values) byName.set(v.name, v.value);
  const wide = t.size === 8;
  return {
    size: t.size,
    align: t.size,
    encode(value, out) {
      let v: unknown = value;
      if (typeof value === 'string') {
        if (!byName.has(value)) throw new CodecError(`enum ${t.name || '(anonymous)'}: no enumerator '${value}' (has ${[...byName.keys()].join(', ')})`);
        v = byName.get(value);
      }
      if (wide && typeof v === 'number') v = BigInt(v);
      if (!wide && typeof v === 'bigint') v = Number(v);
      base.encode(v, out);
    },
    decode: (b) => base.decode(b),
  };
}

function readBits(b: Uint8Array, f: Field): number | bigint {
  const bits = f.bits!;
  let v = 0n;
  const first = Math.floor(f.bit / 8);
  const last = Math.floor((f.bit + bits - 1) / 8);
  for (let i = last; i >= first; i--) v = (v << 8n) | BigInt(b[i] ?? 0);
  v = (v >> BigInt(f.bit - first * 8)) & ((1n << BigInt(bits)) - 1n);
  if (f.signed && (v >> BigInt(bits - 1)) & 1n) v -= 1n << BigInt(bits);
  return bits > 32 ? v : Number(v);
}

function writeBits(out: Uint8Array, f: Field, value: unknown): void {
  const bits = f.bits!;
  const v = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : typeof value === 'boolean' ? BigInt(value ? 1 : 0) : undefined;
  if (v === undefined) throw new CodecError(`bit-field of ${bits} bits: expected an integer, got ${String(value)}`);
  const min = f.signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = f.signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (v < min || v > max) throw new CodecError(`bit-field of ${bits} bits: ${v} is outside [${min}, ${max}]`);
  const mask = (1n << BigInt(bits)) - 1n;
  const first = Math.floor(f.bit / 8);
  const last = Math.floor((f.bit + bits - 1) / 8);
  const shift = BigInt(f.bit - first * 8);
  let word = 0n;
  for (let i = last; i >= first; i--) word = (word << 8n) | BigInt(out[i] ?? 0);
  word = (word & ~(mask << shift)) | ((v & mask) << shift);
  for (let i = first; i <= last; i++) {
    out[i] = Number(word & 0xffn);
    word >>= 8n;
  }
}
