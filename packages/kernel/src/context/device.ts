// struct bpf_cgroup_dev_ctx (include/uapi/linux/bpf.h): the context of cgroup
// device programs (the cgroup v2 device controller), which run when a process
// of the cgroup opens a device node or creates one with mknod. Read-only.
import type { u32 } from '../ints.js';

/** Device type: the low 16 bits of `accessType` (BPF_DEVCG_DEV_*). */
export enum DeviceType {
  BLOCK = 1,
  CHAR = 2,
}

/** Requested access: the high 16 bits of `accessType` (BPF_DEVCG_ACC_*), a bit set. */
export enum DeviceAccess {
  MKNOD = 1,
  READ = 2,
  WRITE = 4,
}

/**
 * Context of `cgroupDevice(fn)`. Minimum kernel 4.15.
 * @example
 * export const devices = cgroupDevice((ctx) => {
 *   const access = ctx.accessType >> 16;                     // DeviceAccess bits
 *   if ((ctx.accessType & 0xffff) === DeviceType.CHAR && ctx.major === 1 && ctx.minor === 1) return CgroupVerdict.REJECT; // /dev/mem
 *   return (access & DeviceAccess.MKNOD) !== 0 ? CgroupVerdict.REJECT : CgroupVerdict.ALLOW;
 * });
 */
export interface DeviceContext {
  /** `(DeviceAccess << 16) | DeviceType`. */
  readonly accessType: u32;
  readonly major: u32;
  readonly minor: u32;
}
