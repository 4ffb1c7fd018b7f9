// Local storage: a value attached to a socket (5.2) or a task (5.11), freed with it.
import { MapDecl, type MapTypeName, type Pinning, type Ref, type HelperResult } from './common.js';
import type { TypeDesc } from '../types.js';
import type { SkBuffContext } from '../context/skbuff.js';
import type { SockContext, SockAddrContext } from '../context/sock.js';
import type { SockoptContext } from '../context/sockopt.js';
import { kernelOnly } from '../kernel-only.js';

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

/** BPF_MAP_TYPE_TASK_STORAGE on the current task. Kernel 5.11. */
export class TaskStorage<V> extends MapDecl<never, V> {
  readonly type: MapTypeName = 'TASK_STORAGE';
  constructor(opts: StorageOptions<V> = {}) { super({ ...opts, maxEntries: 0, flags: 1 }); }
  /** bpf_task_storage_get(map, current task, NULL, flags): the value or null. */
  get(_flags?: StorageFlag): Ref<V> | null { return kernelOnly('TaskStorage.get'); }
  /** bpf_task_storage_delete on the current task. */
  delete(): HelperResult { return kernelOnly('TaskStorage.delete'); }
}
