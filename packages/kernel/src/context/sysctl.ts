// struct bpf_sysctl (include/uapi/linux/bpf.h): the context of cgroup sysctl
// programs, which run on every read and write of a /proc/sys file by a process
// of the cgroup. `write` is read-only; `file_pos` may be rewritten (kernel:
// sysctl_is_valid_access). The name and values are read through helpers.
import type { u8, u32, i64 } from '../ints.js';
import type { FixedArray } from '../struct.js';

/** Flags of `ctx.getName(into, flags)` (BPF_F_SYSCTL_*). */
export enum SysctlName {
  /** The full name below /proc/sys: `net/ipv4/ip_forward`. */
  FULL = 0,
  /** BPF_F_SYSCTL_BASE_NAME: only the last component, `ip_forward`. */
  BASE = 1,
}

/**
 * Context of `cgroupSysctl(fn)`. Minimum kernel 5.2.
 *
 * The string helpers copy into a fixed byte array in a map value or stack struct
 * (`&into, sizeof(into)`), always NUL-terminated, and return the length copied
 * without the NUL, or -E2BIG (-7) when the text did not fit (the truncated,
 * NUL-terminated prefix is still there).
 * @example
 * const name: SysctlBuf = { bytes: [0, 0, 0, 0, 0, 0, 0, 0] as FixedArray<u8, 8> };
 * ctx.getName(name.bytes);                       // "net/ipv" (truncated: -E2BIG)
 * if (ctx.write === 1 && name.bytes[0] === 0x6e) return CgroupVerdict.REJECT;
 */
export interface SysctlContext {
  /** 0: the sysctl is being read, 1: written. */
  readonly write: u32;
  /** Position in the sysctl file of this read or write (writable: moves it). */
  filePos: u32;
  /** bpf_sysctl_get_name(ctx, &into, sizeof(into), flags). Kernel 5.2. */
  getName(into: FixedArray<u8, number>, flags?: SysctlName): i64;
  /** bpf_sysctl_get_current_value: the value as the file reads now (text). */
  getCurrentValue(into: FixedArray<u8, number>): i64;
  /** bpf_sysctl_get_new_value: the text being written; -EINVAL (-22) on a read. */
  getNewValue(into: FixedArray<u8, number>): i64;
}
