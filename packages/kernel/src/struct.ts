// C-layout structs and fixed arrays, declared once and used by both sides:
// the compiler emits BTF + loads/stores from the TS type, userspace encodes and
// decodes with the runtime layout (offsets follow the C ABI: natural alignment).
import type { TypeDesc, Infer } from './types.js';

/** A fixed-length C array `T[N]`. Index with a constant or a bounds-checked variable. */
export interface FixedArray<T, N extends number = number> {
  readonly length: N;
  [index: number]: T;
}

/** One laid-out struct member. */
export interface FieldLayout {
  readonly name: string;
  readonly offset: number;
  readonly type: TypeDesc<unknown>;
}

/** Layout descriptor of a struct. */
export interface StructDesc<T> extends TypeDesc<T> {
  readonly kind: 'struct';
  readonly fields: readonly FieldLayout[];
}

/** Layout descriptor of a fixed array. */
export interface ArrayDesc<T> extends TypeDesc<T> {
  readonly kind: 'array';
  readonly element: TypeDesc<unknown>;
  readonly length: number;
}

type Fields = Record<string, TypeDesc<unknown>>;
/** The TS value type of a struct built from `fields`. */
export type StructValue<F extends Fields> = { -readonly [K in keyof F]: Infer<F[K]> };

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Declare a C struct. Field order is declaration order; offsets follow natural
 * alignment exactly as a C compiler lays them out (no packing). The type of a
 * value is `Infer<typeof X>`; declare both under one name:
 * @example
 * export const Flow = struct('flow', { saddr: be32, daddr: be32, sport: be16, dport: be16, proto: u8 });
 * export type Flow = Infer<typeof Flow>;   // sizeof 16, proto at offset 12
 */
export function struct<F extends Fields>(name: string, fields: F): StructDesc<StructValue<F>> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TypeError(`struct(${JSON.stringify(name)}): not a C identifier`);
  const out: FieldLayout[] = [];
  let off = 0;
  let maxAlign = 1;
  for (const [fname, type] of Object.entries(fields)) {
    if (type === undefined || typeof type.size !== 'number') throw new TypeError(`struct ${name}: field ${fname} has no layout`);
    off = align(off, type.align);
    out.push({ name: fname, offset: off, type });
    off += type.size;
    maxAlign = Math.max(maxAlign, type.align);
  }
  if (out.length === 0) throw new TypeError(`struct ${name}: no fields`);
  return { kind: 'struct', name: `struct ${name}`, size: align(off, maxAlign), align: maxAlign, fields: out };
}

/**
 * Declare a fixed array `element[length]`.
 * @example const Comm = array(u8, 16); type Comm = Infer<typeof Comm>;
 */
export function array<T, N extends number>(element: TypeDesc<T>, length: N): ArrayDesc<FixedArray<T, N>> {
  if (!Number.isInteger(length) || length <= 0) throw new RangeError(`array(${element.name}, ${length}): length must be a positive integer`);
  return { kind: 'array', name: `${element.name}[${length}]`, size: element.size * length, align: element.align, element, length };
}
