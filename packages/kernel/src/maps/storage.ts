// Local storage: a value attached to a socket (5.2) or a task (5.11), freed with it.
import { MapDecl, type MapTypeName, type Pinning, type Ref, type HelperResult } from './common.js';
import type { TypeDesc } from '../types.js';
import type { SkBuffContext } from '../context/skbuff.js';
import type { SockContext, SockAddrContext } from '../context/sock.js';
import type { SockoptContext } from '../context/sockopt.js';
import { kernelOnly } from '../kernel-only.js';
import type { KernelRef } from '../core.js';

/** BPF_LOCAL_STORAGE_GET_F_CREATE: create the entry (zeroed or from `init`) when missing. */
export enum StorageFlag {
  NONE = 0,
  CREATE = 1,
}

/** Options of local storage maps (always BPF_F_NO_PREALLOC, maxEntries 0; the loader sets them). */
export interface StorageOptions<V> {
  value?: TypeDesc<V>;
  pinning?: Pinning;
  name?: string;
}

/**
 * A socket in a context that carries one: the ctx of cgroupSock / cgroupSockAddr /
 * cgroupSockopt / cgroupSkb programs (skb->sk, tested for NULL), or sockopt's `ctx.sk`.
 */
export type SocketOwner = SkBuffContext | SockContext | SockAddrContext | SockoptContext | SockoptContext['sk'];

/**
 * BPF_MAP_TYPE_SK_STORAGE: a value per socket, freed with the socket. Kernel 5.2
 * (cgroup sock programs 5.x). Userspace looks values up by socket fd.
 * @example export const perSock = new SkStorage<u64>({ value: u64 }); const v = perSock.get(ctx, StorageFlag.CREATE);
 */
export class SkStorage<V> extends MapDecl<never, V> {
  readonly type: MapTypeName = 'SK_STORAGE';
  constructor(opts: StorageOptions<V> = {}) { super({ ...opts, maxEntries: 0, flags: 1 }); }
  /** bpf_sk_storage_get(map, ctx's socket, init, flags): the value or null. */
  get(_owner: SocketOwner, _flags?: StorageFlag): Ref<V> | null { return kernelOnly('SkStorage.get'); }
  /** bpf_sk_storage_delete. 0 or -ENOENT. */
  delete(_owner: SocketOwner): HelperResult { return kernelOnly('SkStorage.delete'); }
}

/**
 * BPF_MAP_TYPE_TASK_STORAGE: a value per task (thread), freed with it. Kernel 5.11
 * (tracing and LSM programs); on 6.x every program kind has the helpers.
 * Userspace looks values up by a pidfd (pidfd_open) of the thread.
 * @example
 * export const execs = new TaskStorage<u64>({ value: u64 });
 * const v = execs.get(StorageFlag.CREATE); if (v !== null) v.value += 1n;
 */
export class TaskStorage<V> extends MapDecl<never, V> {
  readonly type: MapTypeName = 'TASK_STORAGE';
  constructor(opts: StorageOptions<V> = {}) { super({ ...opts, maxEntries: 0, flags: 1 }); }
  /** bpf_task_storage_get(map, bpf_get_current_task_btf(), NULL, flags): the current task's value or null. */
  get(flags?: StorageFlag): Ref<V> | null;
  /** bpf_task_storage_get(map, task, NULL, flags): `task`'s value (e.g. `core.read(Task, t, 'real_parent')`) or null. */
  get(task: KernelRef<'task_struct'>, flags?: StorageFlag): Ref<V> | null;
  get(_a?: unknown, _b?: unknown): Ref<V> | null { return kernelOnly('TaskStorage.get'); }
  /** bpf_task_storage_delete on the current task (or `task`): 0 or -ENOENT. */
  delete(task?: KernelRef<'task_struct'>): HelperResult;
  delete(_task?: unknown): HelperResult { return kernelOnly('TaskStorage.delete'); }
}
