// Reading memory the verifier cannot type (kernel/user pointers from tracing args).
import type { u8, u64, i64 } from '../ints.js';
import type { TypeDesc } from '../types.js';
import type { FixedArray } from '../struct.js';
import { kernelOnly } from '../kernel-only.js';

/** bpf_probe_read_kernel: copy a `type` from kernel address `ptr` into `into.value`. 0 or -errno. Kernel 5.5. */
export function probeReadKernel<T>(_into: { value: T }, _type: TypeDesc<T>, _ptr: u64): i64 { return kernelOnly('bpf.probeReadKernel'); }
/** bpf_probe_read_user: same for a user address. Kernel 5.5. */
export function probeReadUser<T>(_into: { value: T }, _type: TypeDesc<T>, _ptr: u64): i64 { return kernelOnly('bpf.probeReadUser'); }
/**
 * bpf_probe_read_kernel_str: copy the NUL-terminated string at kernel address `ptr` into
 * `into` (a byte array in a map value or stack struct; truncated and always NUL-terminated).
 * Returns the bytes copied including the NUL, or a negative errno. GPL-only. Kernel 5.5.
 * @example const n = bpf.probeReadKernelStr(v.value.name, ctx.arg(0));
 */
export function probeReadKernelStr(_into: FixedArray<u8, number>, _ptr: u64): i64 { return kernelOnly('bpf.probeReadKernelStr'); }
/** bpf_probe_read_user_str: the same for a user-space address. GPL-only. Kernel 5.5. */
export function probeReadUserStr(_into: FixedArray<u8, number>, _ptr: u64): i64 { return kernelOnly('bpf.probeReadUserStr'); }
