// The IR's small type system: integers with an explicit width and signedness,
// booleans, and pointers that carry the verifier's pointer kind. Values of
// every integer width live in 64-bit registers, normalised: unsigned values are
// zero-extended, signed values sign-extended (so 64-bit compares are exact).

export type Width = 8 | 16 | 32 | 64;

export interface IntTy { readonly kind: 'int'; readonly bits: Width; readonly signed: boolean; readonly name: IntName }
export interface BoolTy { readonly kind: 'bool' }
/** The verifier's pointer kinds (COMPILER-NOTES.md): what arithmetic and derefs are legal. */
/** `ref`: a checked pointer to a struct in any memory (a struct parameter bound by reference). */
/** `sock`: a struct bpf_sock the context points to (sockopt's `ctx.sk`), constant offsets only. */
/** `btf`: a trusted kernel struct pointer (PTR_TO_BTF_ID, a `KernelRef<'task_struct'>`): loads at relocated offsets. */
export type PtrKind = 'ctx' | 'stack' | 'map_value' | 'map_value_or_null' | 'packet' | 'packet_or_null' | 'packet_end' | 'ref' | 'sock' | 'btf';
export interface PtrTy {
  readonly kind: 'ptr';
  readonly ptr: PtrKind;
  /** what a deref reads (map values, header views, stack structs) */
  readonly pointee?: Layout;
  /** For `ref`: the memory it points into (map_value, stack, packet), when known. */
  readonly origin?: PtrKind;
  /** For `btf`: the kernel struct it points to (`task_struct`). */
  readonly btf?: string;
}
/** One member of a C struct: byte offset from the struct start. */
export interface FieldTy { readonly name: string; readonly off: number; readonly ty: Layout }
/** A C struct laid out with natural alignment (the same rules as @lockne/kernel struct()). */
export interface StructTy { readonly kind: 'struct'; readonly name: string; readonly size: number; readonly align: number; readonly fields: readonly FieldTy[] }
/** A fixed array `elem[length]`. */
export interface ArrayTy { readonly kind: 'array'; readonly name: string; readonly elem: Layout; readonly length: number; readonly size: number; readonly align: number }
/** What memory behind a pointer holds. */
export type Layout = IntTy | StructTy | ArrayTy;
export type Ty = IntTy | BoolTy | PtrTy;

export type IntName = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64';

function int(name: IntName, bits: Width, signed: boolean): IntTy {
  return { kind: 'int', bits, signed, name };
}

export const INT: Readonly<Record<IntName, IntTy>> = {
  u8: int('u8', 8, false), u16: int('u16', 16, false), u32: int('u32', 32, false), u64: int('u64', 64, false),
  i8: int('i8', 8, true), i16: int('i16', 16, true), i32: int('i32', 32, true), i64: int('i64', 64, true),
};
export const BOOL: BoolTy = { kind: 'bool' };

export function isIntName(s: string): s is IntName {
  return Object.prototype.hasOwnProperty.call(INT, s);
}

export function ptr(kind: PtrKind, pointee?: Layout): PtrTy {
  return pointee ? { kind: 'ptr', ptr: kind, pointee } : { kind: 'ptr', ptr: kind };
}

/** A trusted pointer to kernel struct `name` (`KernelRef<name>`). */
export function btfPtr(name: string): PtrTy {
  return { kind: 'ptr', ptr: 'btf', btf: name };
}

/** A `ref` (struct bound by reference) into memory of kind `origin`. */
export function refPtr(origin: PtrKind, pointee: Layout): PtrTy {
  return { kind: 'ptr', ptr: 'ref', pointee, origin: nonNull(origin) };
}

/** The memory a pointer type points into: its non-null kind, or a ref's origin. */
export function memoryKind(t: Ty): PtrKind | undefined {
  if (t.kind !== 'ptr') return undefined;
  return t.ptr === 'ref' ? t.origin ?? 'ref' : nonNull(t.ptr);
}

export function sameTy(a: Ty, b: Ty): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'int' && b.kind === 'int') return a.bits === b.bits && a.signed === b.signed;
  if (a.kind === 'ptr' && b.kind === 'ptr' && (a.btf !== undefined || b.btf !== undefined)) return a.ptr === b.ptr && a.btf === b.btf;
  if (a.kind === 'ptr' && b.kind === 'ptr') return a.ptr === b.ptr && (a.pointee === b.pointee || !a.pointee || !b.pointee || layoutSize(a.pointee) === layoutSize(b.pointee) && a.pointee.name === b.pointee.name);
  return true;
}

export function tyName(t: Ty): string {
  if (t.kind === 'int') return t.name;
  if (t.kind === 'bool') return 'bool';
  if (t.btf !== undefined) return `KernelRef<'${t.btf}'>`;
  return `ptr<${t.ptr}${t.pointee ? `, ${t.pointee.name}` : ''}>`;
}

/** Smallest and largest value of an integer type. */
export function intRange(t: IntTy): [bigint, bigint] {
  const b = BigInt(t.bits);
  return t.signed ? [-(1n << (b - 1n)), (1n << (b - 1n)) - 1n] : [0n, (1n << b) - 1n];
}

export function fits(v: bigint, t: IntTy): boolean {
  const [lo, hi] = intRange(t);
  return v >= lo && v <= hi;
}

/** Wrap `v` into `t`'s range (two's complement), as the conversion functions do. */
export function wrap(v: bigint, t: IntTy): bigint {
  return t.signed ? BigInt.asIntN(t.bits, v) : BigInt.asUintN(t.bits, v);
}

/** Size in bytes of a layout. */
export function layoutSize(l: Layout): number {
  return l.kind === 'int' ? l.bits / 8 : l.size;
}

export function layoutAlign(l: Layout): number {
  return l.kind === 'int' ? l.bits / 8 : l.align;
}

/** True for the pointer kinds a null check must narrow before use. */
export function nullable(k: PtrKind): boolean {
  return k === 'map_value_or_null' || k === 'packet_or_null';
}

/** The non-null kind a narrowed pointer has. */
export function nonNull(k: PtrKind): PtrKind {
  return k === 'map_value_or_null' ? 'map_value' : k === 'packet_or_null' ? 'packet' : k;
}
