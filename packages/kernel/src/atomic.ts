// Atomic read-modify-write on map values and globals (BPF_ATOMIC, kernel 5.12;
// plain add since 4.x via XADD). `target` is a Ref: a map value or a global.
import type { u32, u64 } from './ints.js';
import type { Ref } from './maps/common.js';
import { kernelOnly } from './kernel-only.js';

type Word = u32 | u64;

/** lock *target += delta (BPF_ATOMIC | BPF_ADD). @example atomicAdd(v, 1n) */
export function atomicAdd<T extends Word>(_target: Ref<T>, _delta: T): void { kernelOnly('atomicAdd'); }
/** Atomic add returning the previous value (BPF_FETCH). Kernel 5.12. */
export function atomicFetchAdd<T extends Word>(_target: Ref<T>, _delta: T): T { return kernelOnly('atomicFetchAdd'); }
/** Atomic and/or/xor (Kernel 5.12). */
export function atomicAnd<T extends Word>(_target: Ref<T>, _mask: T): void { kernelOnly('atomicAnd'); }
export function atomicOr<T extends Word>(_target: Ref<T>, _mask: T): void { kernelOnly('atomicOr'); }
export function atomicXor<T extends Word>(_target: Ref<T>, _mask: T): void { kernelOnly('atomicXor'); }
/** Atomic exchange, returns the old value (Kernel 5.12). */
export function atomicXchg<T extends Word>(_target: Ref<T>, _value: T): T { return kernelOnly('atomicXchg'); }
/** Compare-and-exchange: stores `value` if *target === expected; returns the old value (Kernel 5.12). */
export function atomicCmpXchg<T extends Word>(_target: Ref<T>, _expected: T, _value: T): T { return kernelOnly('atomicCmpXchg'); }
