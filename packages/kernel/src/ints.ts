// Fixed-width integers. Each width is a distinct type: number & an OPTIONAL brand.
// Why optional: a plain `number` (a literal or the result of `a + b`) is
// assignable to any width, so literals and compound assignment stay ergonomic,
// while two different brands never mix (u8 -> u32 is a tsc error). 64-bit widths
// are bigint-based, so tsc itself rejects mixing them with narrower widths.
// Width mismatches inside arithmetic are caught by @lockne/compiler (LK2001).
import type { TypeDesc } from './types.js';

declare const width: unique symbol;

export type u8 = number & { readonly [width]?: 'u8' };
export type u16 = number & { readonly [width]?: 'u16' };
export type u32 = number & { readonly [width]?: 'u32' };
export type i8 = number & { readonly [width]?: 'i8' };
export type i16 = number & { readonly [width]?: 'i16' };
export type i32 = number & { readonly [width]?: 'i32' };
export type u64 = bigint & { readonly [width]?: 'u64' };
export type i64 = bigint & { readonly [width]?: 'i64' };
/** Network byte order (big-endian) 16/32-bit values, as found in packet headers. Convert with ntohs/ntohl. */
export type be16 = number & { readonly [width]?: 'be16' };
export type be32 = number & { readonly [width]?: 'be32' };
/** A C `bool` (1 byte); in expressions a plain TS boolean. */
export type bool = boolean;

/** Any value a conversion function accepts: every integer width, bool, and literals. */
export type IntLike = number | bigint | boolean;

/** Layout descriptor of an integer width. */
export interface IntDesc<T> extends TypeDesc<T> {
  readonly kind: 'int' | 'bool';
  readonly signed: boolean;
  /** true for be16/be32: stored big-endian. */
  readonly bigEndian: boolean;
}

/** An integer width: callable as a conversion, and a layout descriptor. */
export type IntType<T> = ((x: IntLike) => T) & IntDesc<T>;

function toBigInt(fn: string, x: IntLike): bigint {
  if (typeof x === 'bigint') return x;
  if (typeof x === 'boolean') return x ? 1n : 0n;
  if (!Number.isInteger(x)) throw new RangeError(`${fn}(${x}): not an integer`);
  return BigInt(x);
}

// A function's own `name` is read-only for assignment but configurable, so the
// layout fields are defined rather than assigned.
function describe<F extends (x: IntLike) => unknown, T>(fn: F, d: Omit<IntDesc<T>, never>): F & IntDesc<T> {
  for (const [k, v] of Object.entries(d)) Object.defineProperty(fn, k, { value: v, enumerable: true });
  return fn as F & IntDesc<T>;
}

function intType<T>(name: string, cName: string, bits: number, signed: boolean, big: boolean, bigEndian = false): IntType<T> {
  const conv = (x: IntLike): T => {
    const b = toBigInt(name, x);
    const r = signed ? BigInt.asIntN(bits, b) : BigInt.asUintN(bits, b);
    return (big ? r : Number(r)) as T;
  };
  return describe(conv, { kind: 'int', name: cName, size: bits / 8, align: bits / 8, signed, bigEndian });
}

/**
 * Conversions. `u32(x)` keeps the low 32 bits of x (two's complement wraparound);
 * signed targets sign-extend from their width; widening an unsigned value
 * zero-extends, widening a signed value sign-extends. The compiler emits the
 * matching mov/and/shift pair (or nothing when the width already fits).
 * In Node they compute the same result, so userspace code can share them.
 * @example const key = u32(ctx.ingressIfindex); const wide = u64(key);
 */
export const u8: IntType<u8> = intType('u8', '__u8', 8, false, false);
export const u16: IntType<u16> = intType('u16', '__u16', 16, false, false);
export const u32: IntType<u32> = intType('u32', '__u32', 32, false, false);
export const u64: IntType<u64> = intType('u64', '__u64', 64, false, true);
export const i8: IntType<i8> = intType('i8', '__s8', 8, true, false);
export const i16: IntType<i16> = intType('i16', '__s16', 16, true, false);
export const i32: IntType<i32> = intType('i32', '__s32', 32, true, false);
export const i64: IntType<i64> = intType('i64', '__s64', 64, true, true);
/** be16(x)/be32(x) reinterpret bits (no byte swap); use htons/htonl to convert. */
export const be16: IntType<be16> = intType('be16', '__be16', 16, false, false, true);
export const be32: IntType<be32> = intType('be32', '__be32', 32, false, false, true);

/** Layout descriptor of `bool` (1 byte, 0 or 1). `bool(x)` is x !== 0. */
export const bool: ((x: IntLike) => bool) & IntDesc<bool> = describe(
  (x: IntLike): bool => toBigInt('bool', x) !== 0n,
  { kind: 'bool', name: '_Bool', size: 1, align: 1, signed: false, bigEndian: false },
);

function swap(bytes: number, x: number): number {
  let r = 0;
  for (let i = 0; i < bytes; i++) r = r * 256 + Math.floor(x / 256 ** i) % 256;
  return r;
}

/** Host (little-endian on every supported arch) to network order. Compiles to BPF_END. */
export function htons(x: u16 | number): be16 { return swap(2, u16(x)) as be16; }
export function htonl(x: u32 | number): be32 { return swap(4, u32(x)) as be32; }
/** Network to host order. Compiles to BPF_END. */
export function ntohs(x: be16): u16 { return swap(2, u16(x)) as u16; }
export function ntohl(x: be32): u32 { return swap(4, u32(x)) as u32; }
