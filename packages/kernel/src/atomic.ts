// Atomic read-modify-write on map values and globals (BPF_ATOMIC, kernel 5.12;
// plain add since 4.x via XADD). The target is a Ref (a map value or a global
// holding a u32/u64) or a u32/u64 field of one, written as the field itself:
// `atomicAdd(s.value.txBytes, n)`. The compiler refuses targets that are not in
// map-value memory (LK3010): locals, the stack, packets and the context.
import type { u32, u64 } from './ints.js';
import type { Ref } from './maps/common.js';
import { kernelOnly } from './kernel-only.js';

type Word = u32 | u64;

/**
 * lock *target += delta (BPF_ATOMIC | BPF_ADD).
 * @example atomicAdd(v, 1n); atomicAdd(s.value.txBytes, u64(ctx.len));
 */
export function atomicAdd<T extends Word>(target: Ref<T>, delta: NoInfer<T>): void;
export function atomicAdd<T extends Word>(target: T, delta: NoInfer<T>): void;
export function atomicAdd(_target: unknown, _delta: unknown): void { kernelOnly('atomicAdd'); }

/** Atomic add returning the previous value (BPF_FETCH). Kernel 5.12. @example const seq = atomicFetchAdd(v.value.next, 1); */
export function atomicFetchAdd<T extends Word>(target: Ref<T>, delta: NoInfer<T>): T;
export function atomicFetchAdd<T extends Word>(target: T, delta: NoInfer<T>): T;
export function atomicFetchAdd(_target: unknown, _delta: unknown): never { return kernelOnly('atomicFetchAdd'); }

/** Atomic and (Kernel 5.12). @example atomicAnd(v.value.flags, ~4); */
export function atomicAnd<T extends Word>(target: Ref<T>, mask: NoInfer<T>): void;
export function atomicAnd<T extends Word>(target: T, mask: NoInfer<T>): void;
export function atomicAnd(_target: unknown, _mask: unknown): void { kernelOnly('atomicAnd'); }

/** Atomic or (Kernel 5.12). @example atomicOr(v.value.flags, 4); */
export function atomicOr<T extends Word>(target: Ref<T>, mask: NoInfer<T>): void;
export function atomicOr<T extends Word>(target: T, mask: NoInfer<T>): void;
export function atomicOr(_target: unknown, _mask: unknown): void { kernelOnly('atomicOr'); }

/** Atomic xor (Kernel 5.12). @example atomicXor(v.value.flags, 1); */
export function atomicXor<T extends Word>(target: Ref<T>, mask: NoInfer<T>): void;
export function atomicXor<T extends Word>(target: T, mask: NoInfer<T>): void;
export function atomicXor(_target: unknown, _mask: unknown): void { kernelOnly('atomicXor'); }

/** Atomic exchange, returns the old value (Kernel 5.12). @example const last = atomicXchg(v.value.last, now); */
export function atomicXchg<T extends Word>(target: Ref<T>, value: NoInfer<T>): T;
export function atomicXchg<T extends Word>(target: T, value: NoInfer<T>): T;
export function atomicXchg(_target: unknown, _value: unknown): never { return kernelOnly('atomicXchg'); }

/**
 * Compare-and-exchange: stores `value` if *target === expected; returns the old value (Kernel 5.12).
 * @example if (atomicCmpXchg(v.value.owner, 0, me) === 0) { ... we own it ... }
 */
export function atomicCmpXchg<T extends Word>(target: Ref<T>, expected: NoInfer<T>, value: NoInfer<T>): T;
export function atomicCmpXchg<T extends Word>(target: T, expected: NoInfer<T>, value: NoInfer<T>): T;
export function atomicCmpXchg(_target: unknown, _expected: unknown, _value: unknown): never { return kernelOnly('atomicCmpXchg'); }
