// Per-attachment cgroup storage: BPF_MAP_TYPE_CGROUP_STORAGE (4.19) and
// PERCPU_CGROUP_STORAGE (5.0). The kernel makes one value per (cgroup, attach
// type) when a program using the map is attached; the program gets the value
// of the cgroup it runs for with `get()` (bpf_get_local_storage, never NULL).
// Userspace reads it with a { cgroupInodeId, attachType } key (@lockne/bpf CgroupStorage).
import { MapDecl, type MapTypeName, type Ref } from './common.js';
import type { StorageOptions } from './storage.js';
import { kernelOnly } from '../kernel-only.js';

/** Options of cgroup storage maps: the same as the other local storages' (no key, maxEntries 0). */
export type CgroupStorageOptions<V> = StorageOptions<V>;

abstract class AttachStorage<V> extends MapDecl<never, V> {
  /** maxEntries is 0: the kernel sizes the map by attachments. */
  constructor(opts: CgroupStorageOptions<V>) { super({ ...opts, maxEntries: 0 }); }
  /** bpf_get_local_storage(map, 0): the value of this cgroup and attach type (not null). */
  get(): Ref<V> { return kernelOnly(`${this.type} get`); }
}

/**
 * BPF_MAP_TYPE_CGROUP_STORAGE. Kernel 4.19; cgroup programs (skb, sock, sock_addr, sockopt, sysctl, device).
 * @example
 * export const bytes = new CgroupStorage<u64>({ value: u64 });
 * cgroupSkb('egress', (ctx) => { atomicAdd(bytes.get(), u64(ctx.len)); return CgroupVerdict.ALLOW; });
 */
export class CgroupStorage<V> extends AttachStorage<V> {
  readonly type: Extract<MapTypeName, 'CGROUP_STORAGE'> = 'CGROUP_STORAGE';
  constructor(opts: CgroupStorageOptions<V> = {}) { super(opts); }
}

/** BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE: the same, one value per CPU (no atomics needed). Kernel 5.0. */
export class PerCpuCgroupStorage<V> extends AttachStorage<V> {
  readonly type: Extract<MapTypeName, 'PERCPU_CGROUP_STORAGE'> = 'PERCPU_CGROUP_STORAGE';
  constructor(opts: CgroupStorageOptions<V> = {}) { super(opts); }
}
