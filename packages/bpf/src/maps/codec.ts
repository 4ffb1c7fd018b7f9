// Key/value codecs: how JS values become the fixed-size bytes a map stores.
// A codec knows its size (and C alignment), so a wrong size is caught before
// any syscall. This file holds the interface and the raw-bytes codec and
// re-exports the families: integers, structs/arrays/strings, network
// addresses and LPM keys, per-CPU values.
import { ArgumentError } from '../errors.js';

/**
 * What a codec's bytes are, in C terms: enough to describe the type in BTF
 * (storage maps need that) and to lay it out inside a struct.
 */
export type Shape =
  | { readonly kind: 'int'; readonly name: string; readonly size: number; readonly signed: boolean; readonly bool?: boolean }
  | { readonly kind: 'bytes'; readonly size: number }
  | { readonly kind: 'cstring'; readonly size: number }
  | { readonly kind: 'array'; readonly elem: Shape; readonly length: number; readonly size: number }
  | {
    readonly kind: 'struct'; readonly name?: string; readonly size: number;
    readonly fields: readonly { readonly name: string; readonly offset: number; readonly shape: Shape }[];
  };

export interface Codec<T> {
  /** Encoded size in bytes. */
  readonly size: number;
  /** C alignment inside a struct; 1 when absent. */
  readonly align?: number;
  /** The C type these bytes are (for BTF); raw bytes when absent. */
  readonly shape?: Shape;
  /**
   * True when encode() writes every one of its `size` bytes (integers):
   * callers may then skip zeroing `out` first. Absent means false.
   */
  readonly fillsAll?: boolean;
  /** Write `value` into `out` (exactly `size` bytes, zeroed unless `fillsAll`). */
  encode(value: T, out: Uint8Array): void;
  /** Read a value; copy what you keep: `bytes` may be a buffer the map reuses. */
  decode(bytes: Uint8Array): T;
}

/** The JS type a codec reads and writes. */
export type CodecValue<C> = C extends Codec<infer T> ? T : never;

/** Raw bytes of a fixed size: the default codec. Rejects other lengths. */
export function bytes(size: number): Codec<Uint8Array> {
  return {
    size,
    align: 1,
    shape: { kind: 'bytes', size },
    fillsAll: true,
    encode(value, out) {
      if (!(value instanceof Uint8Array)) throw new ArgumentError(`expected a Uint8Array of ${size} bytes`);
      if (value.byteLength !== size) throw new ArgumentError(`expected ${size} bytes, got ${value.byteLength}`);
      out.set(value);
    },
    decode: (b) => b.slice(),
  };
}

/** A zero-size key (queue, stack, bloom filter): always null. */
export const none: Codec<null> = {
  size: 0,
  align: 1,
  encode(value) {
    if (value !== null && value !== undefined) throw new ArgumentError(`this map has no key: pass null, got ${String(value)}`);
  },
  decode: () => null,
};

export * from './codec-int.js';
export * from './codec-struct.js';
export * from './codec-net.js';
export * from './codec-percpu.js';
