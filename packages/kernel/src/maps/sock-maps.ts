// Socket maps: BPF_MAP_TYPE_SOCKMAP (4.14) and SOCKHASH (4.18). Userspace (or
// a sockops program, `update`) inserts established TCP / UDP sockets; sk_msg
// programs attached to the map redirect a message to another socket of it.
import { MapDecl, type MapOptions, type MapTypeName, type HelperResult, type UpdateFlag } from './common.js';
import type { u32, u64 } from '../ints.js';
import type { TypeDesc } from '../types.js';
import type { SkMsgContext } from '../context/sk-msg.js';
import type { SockOpsContext } from '../context/sockops.js';
import type { SkAction } from '../context/sk-lookup.js';
import { u32 as u32Desc } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/** BPF_F_INGRESS: deliver to the target socket's receive queue instead of sending on it. */
export enum SockRedirectFlag {
  EGRESS = 0,
  INGRESS = 1,
}

/** Options of sockmap / sockhash: values are always socket fds (u32); `key` is SockHash's only (default u32). */
export type SockMapOptions<K> = Pick<MapOptions<K, u32>, 'maxEntries' | 'key' | 'pinning' | 'name'>;

abstract class SocketMap<K> extends MapDecl<K, u32> {
  constructor(opts: SockMapOptions<K>) {
    super({ maxEntries: opts.maxEntries, key: opts.key ?? (u32Desc as unknown as TypeDesc<K>), value: u32Desc, pinning: opts.pinning ?? 'none', ...(opts.name === undefined ? {} : { name: opts.name }) });
  }
  /** bpf_msg_redirect_map / _hash(msg, map, key, flags): SkAction.PASS when the socket exists (the message goes there), else DROP. sk_msg programs. */
  redirect(_ctx: SkMsgContext, _key: K | number, _flags?: SockRedirectFlag | u64): SkAction { return kernelOnly(`${this.type} redirect`); }
  /** bpf_sock_map_update / bpf_sock_hash_update(ops, map, &key, flags): add the sockops socket. 0 or -errno. */
  update(_ctx: SockOpsContext, _key: K | number, _flags?: UpdateFlag | u64): HelperResult { return kernelOnly(`${this.type} update`); }
}

/**
 * BPF_MAP_TYPE_SOCKMAP: u32 slot → socket. Kernel 4.14.
 * @example
 * export const socks = new SockMap({ maxEntries: 8 });
 * skMsg((ctx) => socks.redirect(ctx, 0, SockRedirectFlag.INGRESS));
 */
export class SockMap extends SocketMap<u32> {
  readonly type: Extract<MapTypeName, 'SOCKMAP'> = 'SOCKMAP';
  constructor(opts: Omit<SockMapOptions<u32>, 'key'>) { super(opts); }
}

/** BPF_MAP_TYPE_SOCKHASH: key (e.g. a 4-tuple struct) → socket. Kernel 4.18. */
export class SockHash<K = u32> extends SocketMap<K> {
  readonly type: Extract<MapTypeName, 'SOCKHASH'> = 'SOCKHASH';
  constructor(opts: SockMapOptions<K>) { super(opts); }
}
