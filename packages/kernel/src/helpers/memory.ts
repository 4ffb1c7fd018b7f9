// Reading memory the verifier cannot type (kernel/user pointers from tracing args).
import type { u64, i64 } from '../ints.js';
import type { TypeDesc } from '../types.js';
import { kernelOnly } from '../kernel-only.js';

/** bpf_probe_read_kernel: copy a `type` from kernel address `ptr` into `into.value`. 0 or -errno. Kernel 5.5. */
export function probeReadKernel<T>(_into: { value: T }, _type: TypeDesc<T>, _ptr: u64): i64 { return kernelOnly('bpf.probeReadKernel'); }
/** bpf_probe_read_user: same for a user address. Kernel 5.5. */
export function probeReadUser<T>(_into: { value: T }, _type: TypeDesc<T>, _ptr: u64): i64 { return kernelOnly('bpf.probeReadUser'); }
