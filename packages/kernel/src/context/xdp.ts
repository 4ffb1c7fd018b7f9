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
  /** bpf_xdp_adjust_head: grow (negative delta) or shrink the packet front. 0 or -errno. Invalidates header views. */
  adjustHead(delta: i32 | number): i64;
  /** bpf_xdp_adjust_tail: grow or shrink the packet end. 0 or -errno. Invalidates header views. */
  adjustTail(delta: i32 | number): i64;
  /** bpf_xdp_adjust_meta: move data_meta. 0 or -errno. */
  adjustMeta(delta: i32 | number): i64;
}
