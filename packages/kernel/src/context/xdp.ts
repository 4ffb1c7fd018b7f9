// struct xdp_md (include/uapi/linux/bpf.h). XDP: Linux 4.8+, egressIfindex 5.9+.
import type { u32, i32, i64 } from '../ints.js';
import type { PacketAccess } from './packet.js';

/** Verdict of an XDP program (enum xdp_action). */
export enum XdpAction {
  ABORTED = 0,
  DROP = 1,
  PASS = 2,
  TX = 3,
  REDIRECT = 4,
}

/**
 * The context of an `xdp(...)` program. All fields are read-only.
 * @example xdp((ctx: XdpContext): XdpAction => ctx.ingressIfindex === 1 ? XdpAction.DROP : XdpAction.PASS)
 */
export interface XdpContext extends PacketAccess {
  /** xdp_md.ingress_ifindex */
  readonly ingressIfindex: u32;
  /** xdp_md.rx_queue_index */
  readonly rxQueueIndex: u32;
  /** xdp_md.egress_ifindex (devmap programs only; 5.9+) */
  readonly egressIfindex: u32;
  /**
   * bpf_xdp_adjust_head: move the packet start by `delta` bytes: positive strips bytes from the front
   * (14 drops an Ethernet header), negative prepends headroom (uninitialised). 0 or -errno.
   * Invalidates header views (LK3002): take them again after the call. Kernel 4.10.
   * @example if (ctx.adjustHead(14) !== 0n) return XdpAction.ABORTED;
   */
  adjustHead(delta: i32 | number): i64;
  /** bpf_xdp_adjust_tail: move the packet end by `delta` bytes (negative trims, positive grows into tailroom, 5.8). 0 or -errno. Invalidates header views. Kernel 4.18. */
  adjustTail(delta: i32 | number): i64;
  /** bpf_xdp_adjust_meta: move data_meta by `delta` (negative reserves metadata room before the packet). 0 or -errno. Invalidates header views. Kernel 4.15. */
  adjustMeta(delta: i32 | number): i64;
}
