// Composite codecs: C structs (natural alignment and padding, or packed),
// fixed-length arrays and NUL-terminated strings. Errors name the field.
import type { Codec, Shape } from './codec.js';
import { CodecError } from './codec-error.js';

export { CodecError } from './codec-error.js';

/** Field codecs of a struct, in declaration (memory) order. */
export type StructFields = Readonly<Record<string, Codec<unknown>>>;
/** The JS object a struct codec reads and writes. */
export type StructValue<F extends StructFields> = { [K in keyof F]: F[K] extends Codec<infer T> ? T : never };

export interface StructCodec<T> extends Codec<T> {
  /** Byte offset of every field. */
  readonly offsets: Readonly<Record<keyof T & string, number>>;
}

export interface StructOptions {
  /** `__attribute__((packed))`: no padding, alignment 1. */
  packed?: boolean;
  /** C name (used when the struct is described in BTF). */
  name?: string;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * A C struct laid out like the compiler does: each field at its natural
 * alignment, the size rounded up to the largest alignment (unless packed).
 * @example
 * const flow = struct({ saddr: u32be, sport: u16be, proto: u8, bytes: u64 });
 * flow.size; // 16  (u64 at offset 8)
 * flow.offsets.bytes; // 8
 */
export function struct<F extends StructFields>(fields: F, opts: StructOptions = {}): StructCodec<StructValue<F>> {
  type V = StructValue<F>;
  const entries = Object.entries(fields);
  const offsets: Record<string, number> = {};
  let off = 0;
  let align = 1;
  for (const [name, c] of entries) {
    const a = opts.packed ? 1 : (c.align ?? 1);
    off = alignUp(off, a);
    offsets[name] = off;
    off += c.size;
    align = Math.max(align, a);
  }
  const size = alignUp(off, align);
  const shape: Shape = {
    kind: 'struct', name: opts.name, size,
    fields: entries.map(([name, c]) => ({ name, offset: offsets[name]!, shape: c.shape ?? { kind: 'bytes', size: c.size } })),
  };
  const known = new Set(Object.keys(fields));
  return {
    size,
    align,
    shape,
    offsets: offsets as Record<keyof V & string, number>,
    encode(value, out) {
      if (typeof value !== 'object' || value === null) throw new CodecError(`struct: expected an object, got ${String(value)}`);
      const obj = value as Record<string, unknown>;
      for (const k of Object.keys(obj)) {
        if (!known.has(k)) throw new CodecError(`unknown field (the struct has ${[...known].join(', ')})`, k);
      }
      for (const [name, c] of entries) {
        if (!(name in obj)) throw new CodecError('missing', name);
        const at = offsets[name]!;
        try {
          c.encode(obj[name], out.subarray(at, at + c.size));
        } catch (e) {
          throw CodecError.wrap(e, name);
        }
      }
    },
    decode(b) {
      const obj: Record<string, unknown> = {};
      for (const [name, c] of entries) {
        const at = offsets[name]!;
        obj[name] = c.decode(b.subarray(at, at + c.size));
      }
      return obj as V;
    },
  };
}

/**
 * A fixed-length C array `T[length]`; JS side is an array of exactly `length`.
 * @example array(u32, 4).encode([1, 2, 3, 4], out)
 */
export function array<T>(elem: Codec<T>, length: number): Codec<T[]> {
  if (!Number.isInteger(length) || length < 1) throw new CodecError(`array: length ${length} is not a positive integer`);
  return {
    size: elem.size * length,
    align: elem.align ?? 1,
    shape: { kind: 'array', elem: elem.shape ?? { kind: 'bytes', size: elem.size }, length, size: elem.size * length },
    encode(value, out) {
      if (!Array.isArray(value)) throw new CodecError(`array(${length}): expected an array, got ${String(value)}`);
      if (value.length !== length) throw new CodecError(`array(${length}): expected ${length} elements, got ${value.length}`);
      value.forEach((v, i) => {
        try {
          elem.encode(v, out.subarray(i * elem.size, (i + 1) * elem.size));
        } catch (e) {
          throw CodecError.wrap(e, `[${i}]`);
        }
      });
    },
    decode(b) {
      const out: T[] = [];
      for (let i = 0; i < length; i++) out.push(elem.decode(b.subarray(i * elem.size, (i + 1) * elem.size)));
      return out;
    },
  };
}

/**
 * `char name[size]` holding a NUL-terminated UTF-8 string (at most size-1 bytes).
 * @example struct({ pid: u32, comm: cstring(16) })
 */
export function cstring(size: number): Codec<string> {
  if (!Number.isInteger(size) || size < 1) throw new CodecError(`cstring: size ${size} is not a positive integer`);
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  return {
    size,
    align: 1,
    shape: { kind: 'cstring', size },
    encode(value, out) {
      if (typeof value !== 'string') throw new CodecError(`cstring(${size}): expected a string, got ${String(value)}`);
      const b = enc.encode(value);
      if (b.byteLength > size - 1) {
        throw new CodecError(`cstring(${size}): '${value}' is ${b.byteLength} bytes, at most ${size - 1} fit with the NUL`);
      }
      if (b.includes(0)) throw new CodecError(`cstring(${size}): '${value}' contains a NUL character`);
      out.set(b);
    },
    decode(b) {
      const end = b.indexOf(0);
      return dec.decode(end < 0 ? b : b.subarray(0, end));
    },
  };
}
