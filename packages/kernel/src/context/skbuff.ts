// struct __sk_buff (include/uapi/linux/bpf.h). Which fields a program may WRITE
// depends on the program type (kernel: net/core/filter.c *_is_valid_access);
// each context type below makes exactly those fields writable.
import type { u8, u16, u32, u64, i32, i64, be16, be32 } from '../ints.js';
import type { FixedArray } from '../struct.js';
import type { TypeDesc } from '../types.js';
import type { PacketAccess } from './packet.js';

/** Read-only view of __sk_buff, common to every skb program type. */
export interface SkBuffContext extends PacketAccess {
  readonly len: u32;
  readonly pktType: u32;
  readonly mark: u32;
  readonly queueMapping: u32;
  /** skb->protocol: an ETH_P_* value in network byte order. */
  readonly protocol: be16;
  readonly vlanPresent: u32;
  readonly vlanTci: u32;
  readonly vlanProto: be16;
  readonly priority: u32;
  readonly ingressIfindex: u32;
  readonly ifindex: u32;
  readonly tcIndex: u32;
  /** Scratch space shared along the skb's path; writable by every skb program. */
  readonly cb: FixedArray<u32, 5>;
  readonly hash: u32;
  readonly tcClassid: u32;
  readonly napiId: u32;
  readonly family: u32;
  readonly remoteIp4: be32;
  readonly localIp4: be32;
  readonly remoteIp6: FixedArray<be32, 4>;
  readonly localIp6: FixedArray<be32, 4>;
  /** Network byte order. */
  readonly remotePort: be32;
  /** Host byte order. */
  readonly localPort: u32;
  readonly tstamp: u64;
  readonly wireLen: u32;
  readonly gsoSegs: u32;
  readonly gsoSize: u32;
  readonly tstampType: u8;
  readonly hwtstamp: u64;
  /**
   * bpf_skb_load_bytes: a copy of `type` (a struct or array layout) taken from byte `offset` of the
   * packet into the stack, also from non-linear (paged) data that `header()` cannot reach; null when
   * the packet is shorter than `offset + sizeof(T)`. The copy is the program's own: writing it does
   * not change the packet, and helpers that move packet data do not invalidate it. Kernel 4.5.
   * @example const ip = ctx.loadBytes(Ipv4Hdr, 14); if (ip === null) return TcAction.OK;
   */
  loadBytes<T>(type: TypeDesc<T>, offset: u32 | number): T | null;
}

/**
 * Context of `socketFilter(...)`: only cb[] is writable, and there is no direct packet access (the
 * kernel gives socket filters no data/data_end): read the packet with `loadBytes`. Minimum kernel 3.19.
 */
export type SocketFilterContext = Omit<SkBuffContext, 'header'>;

/** Context of `tc(...)`/`tcx(...)` (BPF_PROG_TYPE_SCHED_CLS). Minimum kernel 4.1 (tcx 6.6). */
export interface TcContext extends SkBuffContext {
  mark: u32;
  priority: u32;
  tcIndex: u32;
  tcClassid: u32;
  queueMapping: u32;
  tstamp: u64;
  /**
   * bpf_skb_store_bytes: write `value` laid out as `type` at byte `offset` of the packet. Integers are
   * written in the machine's (little-endian) order, as a header field holds them: give network-order
   * values (`htonl(x)`, or a be32 read from a header). `flags`: StoreFlag.RECOMPUTE_CSUM (1) updates
   * skb->csum for CHECKSUM_COMPLETE packets, StoreFlag.INVALIDATE_HASH (2) clears skb->hash.
   * 0 or -errno. Invalidates header views (LK3002). Kernel 4.1.
   * @example ctx.storeBytes(u32, 30, htonl(0x0a000003)); // IPv4 daddr = 10.0.0.3
   */
  storeBytes<T>(type: TypeDesc<T>, offset: u32 | number, value: T, flags?: u64 | number): i64;
  /** bpf_skb_pull_data: make the first `len` bytes linear (0: all), so `header()` reaches them. 0 or -errno. Invalidates header views. Kernel 4.9. */
  pullData(len: u32 | number): i64;
  /** bpf_redirect(ifindex, flags): flags RedirectFlag.INGRESS (1) delivers to the device's ingress. Returns TcAction.REDIRECT on success (return it), TcAction.SHOT on bad flags. Kernel 4.4. */
  redirect(ifindex: u32 | number, flags?: u64 | number): i32;
  /**
   * bpf_l3_csum_replace: fix the 16-bit checksum at byte `offset` (IPv4: 14 + 10) after a field of
   * `size` bytes (2 or 4) changed from `from` to `to` (both as read from the packet, network order).
   * `size` 0: `to` is a checksum difference (bpf_csum_diff) and `from` is ignored. 0 or -errno.
   * Invalidates header views. Kernel 4.1.
   * @example ctx.l3CsumReplace(14 + 10, oldDaddr, newDaddr, 4);
   */
  l3CsumReplace(offset: u32 | number, from: CsumValue, to: CsumValue, size: 0 | 2 | 4): i64;
  /**
   * bpf_l4_csum_replace: like l3CsumReplace for a TCP/UDP checksum at `offset`; `flags` holds the field
   * size (2 or 4) in its low 4 bits, plus CsumFlag.PSEUDO_HDR (16) when the field is part of the
   * pseudo header (addresses), CsumFlag.MARK_MANGLED_0 (32) for UDP (a zero checksum means none).
   * 0 or -errno. Invalidates header views. Kernel 4.1.
   * @example ctx.l4CsumReplace(14 + 20 + 16, oldDaddr, newDaddr, CsumFlag.PSEUDO_HDR | 4); // TCP
   */
  l4CsumReplace(offset: u32 | number, from: CsumValue, to: CsumValue, flags: u64 | number): i64;
  /**
   * bpf_skb_adjust_room: grow (`lenDiff` > 0) or shrink the room after the fixed IPv4/IPv6 header
   * (AdjRoomMode.NET: at 14 + 20 for IPv4) or between the L2 and L3 headers (AdjRoomMode.MAC, 5.2);
   * `flags` from AdjRoomFlag. New bytes are not initialised. 0 or -errno (NET needs an IPv4/IPv6
   * skb->protocol). Invalidates header views. Kernel 4.13.
   * @example ctx.adjustRoom(8, AdjRoomMode.NET); // 8 bytes between the IPv4 header and TCP
   */
  adjustRoom(lenDiff: i32 | number, mode: AdjRoomMode, flags?: u64 | number): i64;
}

/** A checksum input of l3/l4CsumReplace: the old or new field value as read from the packet. */
export type CsumValue = u16 | u32 | be16 | be32 | u64 | number;

/** Flags of `TcContext.storeBytes` (BPF_F_*). */
export enum StoreFlag {
  RECOMPUTE_CSUM = 1,
  INVALIDATE_HASH = 2,
}

/** Flags of `TcContext.l4CsumReplace` (BPF_F_*), or-ed with the field size (2 or 4). */
export enum CsumFlag {
  PSEUDO_HDR = 16,
  MARK_MANGLED_0 = 32,
  MARK_ENFORCE = 64,
  /** The pseudo header is IPv6's (newer kernels; older ones refuse the flag with -EINVAL). */
  IPV6 = 128,
}

/** Where `TcContext.adjustRoom` adds or removes bytes (BPF_ADJ_ROOM_*). */
export enum AdjRoomMode {
  /** Between the L3 and L4 headers, after the fixed-size IPv4/IPv6 header (kernel 4.13). */
  NET = 0,
  /** Between the L2 and L3 headers (kernel 5.2). */
  MAC = 1,
}

/** Flags of `TcContext.adjustRoom` (BPF_F_ADJ_ROOM_*). */
export enum AdjRoomFlag {
  FIXED_GSO = 1,
  ENCAP_L3_IPV4 = 2,
  ENCAP_L3_IPV6 = 4,
  ENCAP_L4_GRE = 8,
  ENCAP_L4_UDP = 16,
  NO_CSUM_RESET = 32,
  ENCAP_L2_ETH = 64,
}

/** Context of `cgroupSkb(...)`: mark, priority and tstamp are writable. Minimum kernel 4.10. */
export interface CgroupSkbContext extends SkBuffContext {
  mark: u32;
  priority: u32;
  tstamp: u64;
}

/** Verdict of a tc program (TC_ACT_*). */
export enum TcAction {
  UNSPEC = -1,
  OK = 0,
  RECLASSIFY = 1,
  SHOT = 2,
  PIPE = 3,
  STOLEN = 4,
  QUEUED = 5,
  REPEAT = 6,
  REDIRECT = 7,
}

/** Verdict of cgroup skb/sock/sock_addr programs: 1 allows, 0 rejects (EPERM). */
export enum CgroupVerdict {
  REJECT = 0,
  ALLOW = 1,
}
