// bpf_loop: a loop the verifier checks once instead of per iteration.
import type { u32, i64 } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/**
 * bpf_loop(n, callback, ctx, 0): calls `body(i)` for i = 0..n-1 (n <= 2^23);
 * `body` returns 0 to continue, 1 to break. `body` must be a function
 * declared at module level or an arrow that only reads (never assigns)
 * captured locals; the compiler passes a pointer to a stack copy of them.
 * Returns the number of iterations run, or -E2BIG. Kernel 5.17.
 * @example bpf.loop(64, (i) => { total.value += u64(i); return 0; });
 */
export function loop(_n: u32 | number, _body: (i: u32) => 0 | 1): i64 { return kernelOnly('bpf.loop'); }
