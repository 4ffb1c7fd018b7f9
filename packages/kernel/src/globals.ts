// Global variables in .rodata / .data / .bss. Userspace sets them (by name)
// before load; rodata is frozen at load so the verifier treats it as constant
// and prunes dead branches (feature flags cost nothing).
import type { TypeDesc } from './types.js';
import type { Ref } from './maps/common.js';

/** Which ELF section a global lives in. */
export type GlobalSection = '.rodata' | '.data' | '.bss';

/** A global variable descriptor. In the kernel, read/write `.value`. */
export interface GlobalDecl<T> extends Ref<T> {
  readonly section: GlobalSection;
  readonly type: TypeDesc<T>;
  /** Initial value for .rodata/.data; null for .bss (zeroed). */
  readonly initial: T | null;
}

/** A read-only global: assigning `.value` is a tsc error. */
export interface ReadonlyGlobal<T> extends GlobalDecl<T> {
  readonly value: T;
}

function global<T>(section: GlobalSection, type: TypeDesc<T>, initial: T | null): GlobalDecl<T> {
  if (type === null || typeof type !== 'object' && typeof type !== 'function') throw new TypeError(`global in ${section}: a type descriptor is required`);
  // In Node `.value` holds the initial value so userspace can read the default.
  return { section, type, initial, value: initial as T };
}

/**
 * A constant set by userspace before load (Kernel 5.2; frozen map).
 * @example export const targetPort = rodata(u16, 53); ... if (ntohs(udp.dest) === targetPort.value) ...
 */
export function rodata<T>(type: TypeDesc<T>, initial: T): ReadonlyGlobal<T> {
  return global('.rodata', type, initial) as ReadonlyGlobal<T>;
}

/** A mutable global with an initial value (Kernel 5.2). */
export function data<T>(type: TypeDesc<T>, initial: T): GlobalDecl<T> {
  return global('.data', type, initial);
}

/** A mutable zero-initialised global (Kernel 5.2). */
export function bss<T>(type: TypeDesc<T>): GlobalDecl<T> {
  return global('.bss', type, null);
}

/** License of the object (section `license`); GPL-only helpers need a GPL-compatible one. */
export interface LicenseDecl {
  readonly license: string;
}

/** @example export const LICENSE = license('GPL'); */
export function license(name: string): LicenseDecl {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('license(name): a non-empty string is required');
  return Object.freeze({ license: name });
}
