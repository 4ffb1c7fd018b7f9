// XDP redirect targets: BPF_MAP_TYPE_DEVMAP (4.14), DEVMAP_HASH (5.4), CPUMAP
// (4.15) and XSKMAP (4.18). Userspace fills the slots (ifindexes, CPU queue
// sizes, AF_XDP socket fds); a program picks one with `redirect(key, flags)`,
// bpf_redirect_map, and returns its result.
import { MapDecl, type MapOptions, type MapTypeName } from './common.js';
import type { u32, u64 } from '../ints.js';
import type { TypeDesc } from '../types.js';
import type { XdpAction } from '../context/xdp.js';
import { u32 as u32Desc } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/**
 * Options of the redirect maps: the common ones. `key` is for DevMapHash only (default u32); `value`
 * defaults to u32 (ifindex, queue size, socket fd) or an 8-byte struct (struct bpf_devmap_val /
 * bpf_cpumap_val: target and a program fd).
 */
export type RedirectMapOptions<K, V> = MapOptions<K, V>;

/** BPF_F_BROADCAST / BPF_F_EXCLUDE_INGRESS for DevMap(Hash).redirect (5.13). */
export enum RedirectFlag {
  BROADCAST = 8,
  EXCLUDE_INGRESS = 16,
}

abstract class RedirectMap<K, V> extends MapDecl<K, V> {
  constructor(opts: RedirectMapOptions<K, V>) { super({ ...opts, key: opts.key ?? (u32Desc as unknown as TypeDesc<K>), value: opts.value ?? (u32Desc as unknown as TypeDesc<V>) }); }
  /**
   * bpf_redirect_map(map, key, flags): XdpAction.REDIRECT when slot `key` is
   * filled, else the action in the low two bits of `flags` (e.g. XdpAction.PASS).
   * Return it from the program.
   */
  redirect(_key: K | number, _flags?: XdpAction | RedirectFlag | u64 | number): XdpAction { return kernelOnly(`${this.type} redirect`); }
}

/**
 * BPF_MAP_TYPE_DEVMAP: slot → network device (ifindex); XDP_REDIRECT sends the frame out of it. Kernel 4.14.
 * @example export const ports = new DevMap({ maxEntries: 8 }); xdp((ctx) => ports.redirect(0, XdpAction.PASS));
 */
export class DevMap<V = u32> extends RedirectMap<u32, V> {
  readonly type: Extract<MapTypeName, 'DEVMAP'> = 'DEVMAP';
  constructor(opts: RedirectMapOptions<u32, V>) { super(opts); }
}

/** BPF_MAP_TYPE_DEVMAP_HASH: like DevMap, keyed by any u32 (e.g. the ifindex itself). Kernel 5.4. */
export class DevMapHash<K = u32, V = u32> extends RedirectMap<K, V> {
  readonly type: Extract<MapTypeName, 'DEVMAP_HASH'> = 'DEVMAP_HASH';
  constructor(opts: RedirectMapOptions<K, V>) { super(opts); }
}

/** BPF_MAP_TYPE_CPUMAP: slot = CPU, value = its queue size; the frame continues on that CPU. Kernel 4.15. */
export class CpuMap<V = u32> extends RedirectMap<u32, V> {
  readonly type: Extract<MapTypeName, 'CPUMAP'> = 'CPUMAP';
  constructor(opts: RedirectMapOptions<u32, V>) { super(opts); }
}

/** BPF_MAP_TYPE_XSKMAP: slot = rx queue, value = an AF_XDP socket fd. Kernel 4.18. */
export class XskMap extends RedirectMap<u32, u32> {
  readonly type: Extract<MapTypeName, 'XSKMAP'> = 'XSKMAP';
  constructor(opts: Omit<RedirectMapOptions<u32, u32>, 'key' | 'value'>) { super(opts); }
}
