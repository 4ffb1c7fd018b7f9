// BPF_MAP_TYPE_REUSEPORT_SOCKARRAY (4.19+): sockets of one SO_REUSEPORT group
// for bpf_sk_select_reuseport() in SK_REUSEPORT programs. Socket fds in,
// socket cookies out (8-byte values).
import { u32 } from './codec-int.js';
import { fdIn64 } from './fd-value.js';
import { createAs, type CommonMapOptions } from './common.js';
import { SocketMap } from './sockmap.js';
import type { FdLike, MapProps } from './map.js';
import { MapType } from '../sys/consts.js';

export interface ReuseportSockArrayOptions extends Omit<CommonMapOptions, 'btf'> {
  maxEntries: number;
}

/**
 * Sockets by index for SO_REUSEPORT selection (4.19+). A socket must have
 * SO_REUSEPORT set and be bound (UDP) or listening (TCP); all sockets in the
 * array must belong to one reuseport group.
 * @example
 * const group = ReuseportSockArray.create({ maxEntries: 4 });
 * group.set(0, udpFd); group.get(0); // the socket's cookie
 */
export class ReuseportSockArray extends SocketMap<number> {
  static create(opts: ReuseportSockArrayOptions): ReuseportSockArray {
    return createAs((fd, p: MapProps<number, FdLike | bigint>) => new ReuseportSockArray(fd, p), {
      ...opts, type: MapType.REUSEPORT_SOCKARRAY, keySize: 4, valueSize: 8,
    }, { key: u32, value: fdIn64('socket fd') });
  }
}
