// Clock helpers.
import type { u64 } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/** bpf_ktime_get_ns: CLOCK_MONOTONIC in ns (stops during suspend). Kernel 4.1. */
export function ktimeGetNs(): u64 { return kernelOnly('bpf.ktimeGetNs'); }
/** bpf_ktime_get_boot_ns: CLOCK_BOOTTIME in ns (counts suspend). Kernel 5.8. */
export function ktimeGetBootNs(): u64 { return kernelOnly('bpf.ktimeGetBootNs'); }
/** bpf_ktime_get_coarse_ns: CLOCK_MONOTONIC_COARSE, cheaper, tick resolution. Kernel 5.11. */
export function ktimeGetCoarseNs(): u64 { return kernelOnly('bpf.ktimeGetCoarseNs'); }
/** bpf_jiffies64. Kernel 5.5. */
export function jiffies64(): u64 { return kernelOnly('bpf.jiffies64'); }
