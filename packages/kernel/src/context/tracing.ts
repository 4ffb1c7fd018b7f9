// Contexts of tracing programs: kprobe (struct pt_regs), raw tracepoints
// (struct bpf_raw_tracepoint_args) and tracepoints (the event's format struct).
import type { u8, u32, u64, i32, i64 } from '../ints.js';
import type { TypeDesc } from '../types.js';
import type { FixedArray } from '../struct.js';

/** Index of a function argument in registers (x86-64/arm64 pass the first six in registers). */
export type ArgIndex = 0 | 1 | 2 | 3 | 4 | 5;

/** Context of kprobe/uprobe programs (struct pt_regs). Minimum kernel 4.1. */
export interface KprobeContext {
  /** PT_REGS_PARMn: the n-th argument of the probed function, as a raw 64-bit value. */
  arg(n: ArgIndex): u64;
  /** PT_REGS_RC: the return value (meaningful in kretprobe/uretprobe). */
  readonly ret: u64;
}

/** Context of raw tracepoint programs (args[] of the TP_PROTO). Minimum kernel 4.17. */
export interface RawTracepointContext {
  arg(n: ArgIndex): u64;
}

/**
 * Context of tracepoint programs: the event record whose layout is given by
 * /sys/kernel/tracing/events/CAT/NAME/format. Describe it with struct() and read it with args().
 * Minimum kernel 4.7.
 * @example const Exec = struct('exec_args', { common: u64, filenameLoc: u32, pid: i32, oldPid: i32 });
 *          tracepoint('sched', 'sched_process_exec', (ctx) => { const a = ctx.args(Exec); ... return 0; })
 */
export interface TracepointContext {
  args<T>(layout: TypeDesc<T>): Readonly<T>;
  /**
   * Copy a `__data_loc char[]` field (the format file's `__data_loc char[] filename`: a u32
   * whose low 16 bits are the string's offset in the record) into `into`, NUL-terminated:
   * bpf_probe_read_kernel_str(&into, N, (void *)ctx + (loc & 0xffff)). Returns the bytes
   * copied including the NUL, or a negative errno. GPL-only helper (LK4008). Kernel 5.5.
   * @example const buf = scratch.lookup(0); if (buf !== null) ctx.dataLocString(ctx.args(Exec).filenameLoc, buf.value.bytes);
   */
  dataLocString(loc: u32, into: FixedArray<u8, number>): i64;
}

/** Return type of tracing programs (the kernel ignores it except for perf filtering). */
export type TracingResult = i32 | number;

/**
 * Context of BTF-typed tracing programs (tp_btf, fentry, fexit, lsm): the
 * target's arguments as 64-bit values (a pointer argument is its address);
 * fexit also sees the return value at the index after the last argument.
 */
export interface BtfArgsContext {
  arg(n: ArgIndex): u64;
}
