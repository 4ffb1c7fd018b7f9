// Runtime type descriptors: the values that name a C layout (u32, struct(...),
// array(...)). Userspace reads them to encode keys/values; the compiler reads the
// matching TS types. `T` is a phantom: the TS type a value of this layout has.

declare const phantom: unique symbol;

/** Kinds of layout a descriptor can name. */
export type TypeKind = 'int' | 'bool' | 'struct' | 'array';

/**
 * A C layout with a size and an alignment, carrying the TS type `T` its values have.
 * @example const d: TypeDesc<u32> = u32; d.size === 4
 */
export interface TypeDesc<T> {
  readonly kind: TypeKind;
  /** C spelling used in BTF and diagnostics: `__u32`, `struct flow`, `__u8[16]`. */
  readonly name: string;
  readonly size: number;
  readonly align: number;
  /** Never present at runtime: carries `T` for inference. */
  readonly [phantom]?: T;
}

/** The TS value type a descriptor describes: `Infer<typeof Flow>`. */
export type Infer<D> = D extends TypeDesc<infer T> ? T : never;
