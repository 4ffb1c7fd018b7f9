// Randomness.
import type { u32 } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/** bpf_get_prandom_u32: a pseudo-random u32 (not for cryptography). Kernel 4.1. */
export function getPrandomU32(): u32 { return kernelOnly('bpf.getPrandomU32'); }
