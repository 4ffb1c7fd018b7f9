// Current-task helpers (tracing, cgroup and socket programs).
import type { u8, u32, u64, i64 } from '../ints.js';
import type { FixedArray } from '../struct.js';
import { kernelOnly } from '../kernel-only.js';
import type { KernelRef } from '../core.js';

/** bpf_get_current_pid_tgid: tgid (the userspace "pid") << 32 | pid (thread id). Kernel 4.2. */
export function getCurrentPidTgid(): u64 { return kernelOnly('bpf.getCurrentPidTgid'); }
/** bpf_get_current_uid_gid: gid << 32 | uid. Kernel 4.2. */
export function getCurrentUidGid(): u64 { return kernelOnly('bpf.getCurrentUidGid'); }
/** bpf_get_current_comm: fill `into` (16 bytes, e.g. a struct field `array(u8, 16)`) with the task name. 0 or -errno. Kernel 4.2. */
export function getCurrentComm(_into: FixedArray<u8, 16>): i64 { return kernelOnly('bpf.getCurrentComm'); }
/** bpf_get_current_cgroup_id: cgroup v2 id of the current task. Kernel 4.18. */
export function getCurrentCgroupId(): u64 { return kernelOnly('bpf.getCurrentCgroupId'); }
/**
 * bpf_get_current_ancestor_cgroup_id: cgroup v2 id of the current task's ancestor at
 * `level` (0 is the root cgroup, the task's own cgroup is at its depth); 0 when `level`
 * is deeper than the task's cgroup. Kernel 5.6.
 * @example const top = bpf.getCurrentAncestorCgroupId(1); // the first-level cgroup the task is under
 */
export function getCurrentAncestorCgroupId(_level: u32 | number): u64 { return kernelOnly('bpf.getCurrentAncestorCgroupId'); }
/**
 * bpf_get_current_task: the kernel address of the current `struct task_struct`, a
 * `u64` to read through with `core.read` (tracing programs). GPL-only. Kernel 4.8.
 * @example const tgid = core.read(Task, bpf.getCurrentTask(), 'tgid');
 */
export function getCurrentTask(): u64 { return kernelOnly('bpf.getCurrentTask'); }
/**
 * bpf_get_current_task_btf: a trusted pointer to the current `struct task_struct`
 * (PTR_TO_BTF_ID). Read it with `core.read(Task, t, 'tgid')`: a plain load, no
 * probe_read; pointer fields (`real_parent`) read as `KernelRef`s again. Also the
 * task `TaskStorage.get(t)` takes. GPL-only. Kernel 5.11 (tracing programs); on 6.x
 * (this project's 6.18) every program kind has it.
 * @example
 * const t = bpf.getCurrentTaskBtf();
 * const tgid = core.read(Task, t, 'tgid');
 */
export function getCurrentTaskBtf(): KernelRef<'task_struct'> { return kernelOnly('bpf.getCurrentTaskBtf'); }
/** bpf_get_smp_processor_id. Kernel 4.1. */
export function getSmpProcessorId(): u32 { return kernelOnly('bpf.getSmpProcessorId'); }
