// BPF_MAP_TYPE_SOCKMAP (4.14+) and SOCKHASH (4.18+): sockets for redirects
// (sk_msg, sk_skb) and sk_lookup. Values are written as socket fds; with the
// 8-byte value used here, reads return each socket's cookie (5.x+).
import type { Codec } from './codec.js';
import { u32 } from './codec-int.js';
import { fdIn64 } from './fd-value.js';
import { MapBase, type FdLike, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapType } from '../sys/consts.js';

export interface SockMapOptions extends Omit<CommonMapOptions, 'btf'> {
  maxEntries: number;
}
export interface SockHashOptions<K> extends SockMapOptions {
  key: Codec<K>;
}

/** Socket maps: set(key, socketFd); get(key) is the socket cookie. */
export class SocketMap<K> extends MapBase<K, FdLike | bigint> {
  /** The cookie of the socket at `key` (same as getsockopt SO_COOKIE), or undefined. */
  override get(key: K): bigint | undefined {
    return super.get(key) as bigint | undefined;
  }
}

/**
 * Sockets by index (4.14+). TCP sockets must be established or listening; UDP
 * and unix sockets work on newer kernels.
 * @example
 * const sm = SockMap.create({ maxEntries: 8 });
 * sm.set(0, socketFd); sm.get(0); // cookie (bigint)
 */
export class SockMap extends SocketMap<number> {
  static create(opts: SockMapOptions): SockMap {
    return createAs((fd, p: MapProps<number, FdLike | bigint>) => new SockMap(fd, p), {
      ...opts, type: MapType.SOCKMAP, keySize: 4, valueSize: 8,
    }, { key: u32, value: fdIn64('socket fd') });
  }
}

/**
 * Sockets by arbitrary key (4.18+), e.g. a 4-tuple.
 * @example const sh = SockHash.create({ key: u64, maxEntries: 1024 });
 */
export class SockHash<K> extends SocketMap<K> {
  static create<K>(opts: SockHashOptions<K>): SockHash<K> {
    return createAs((fd, p: MapProps<K, FdLike | bigint>) => new SockHash(fd, p), {
      ...opts, type: MapType.SOCKHASH, keySize: opts.key.size, valueSize: 8,
    }, { key: opts.key, value: fdIn64('socket fd') });
  }
}
