// bpf_loop: a loop the verifier checks once instead of per iteration.
import type { u32, i64 } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/** What a bpf.loop body returns: 0 (or nothing) to go on, 1 to stop. */
export type LoopControl = 0 | 1 | void;

/**
 * bpf_loop(n, &body, ctx, 0): calls `body(i)` for i = 0..n-1 (n <= 2^23,
 * a constant above that is LK5006). `body` returns 0 (or nothing) to go on
 * and 1 to stop; it becomes a callback subprogram the verifier checks once.
 * `body` is an inline arrow or a function declared in the file. It may read
 * the enclosing function's `const` locals (integers are copied; stack structs
 * and checked map values are passed by reference, so their fields can be
 * updated); capturing a `let` is LK1002. Or pass a stack struct as `state`:
 * the body's second parameter points to it. Returns the number of iterations
 * run, or a negative errno (-E2BIG). Kernel 5.17.
 * @example
 * const s: Sum = { total: 0n };
 * bpf.loop(100000, (i) => { s.total += u64(i) + 1n; });      // 5000050000n
 * bpf.loop(64, (i, st) => (st.total > 100n ? 1 : 0), s);      // state passed explicitly
 */
export function loop(n: u32 | number, body: (i: u32) => LoopControl): i64;
export function loop<S>(n: u32 | number, body: (i: u32, state: S) => LoopControl, state: S): i64;
export function loop(_n: u32 | number, _body: (i: u32, state: never) => LoopControl, _state?: unknown): i64 { return kernelOnly('bpf.loop'); }
