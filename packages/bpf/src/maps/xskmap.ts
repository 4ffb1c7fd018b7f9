// BPF_MAP_TYPE_XSKMAP (4.18+): AF_XDP sockets for bpf_redirect_map() from XDP.
import { u32 } from './codec-int.js';
import { fdIn32 } from './fd-value.js';
import { MapBase, type FdLike, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapType } from '../sys/consts.js';

export interface XskMapOptions extends Omit<CommonMapOptions, 'btf'> {
  /** Usually the number of the device's RX queues (key = queue id). */
  maxEntries: number;
}

/**
 * AF_XDP sockets by RX queue (4.18+). set() takes an AF_XDP socket fd (6.x
 * accepts one before it is bound; frames redirected to it are dropped until
 * it has a UMEM and rings). Other sockets are refused with EOPNOTSUPP, other
 * fds with ENOTSOCK; user space cannot read entries back (EOPNOTSUPP).
 * @example const xsks = XskMap.create({ maxEntries: 4 }); xsks.set(0, xskFd);
 */
export class XskMap extends MapBase<number, FdLike> {
  static create(opts: XskMapOptions): XskMap {
    return createAs((fd, p: MapProps<number, FdLike>) => new XskMap(fd, p), {
      ...opts, type: MapType.XSKMAP, keySize: 4, valueSize: 4,
    }, { key: u32, value: fdIn32('AF_XDP socket fd') });
  }
}
