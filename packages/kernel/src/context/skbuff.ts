// struct __sk_buff (include/uapi/linux/bpf.h). Which fields a program may WRITE
// depends on the program type (kernel: net/core/filter.c *_is_valid_access);
// each context type below makes exactly those fields writable.
import type { u8, u32, u64, i32, i64, be16, be32 } from '../ints.js';
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
  /** bpf_skb_load_bytes: copy `type` from byte `offset` (works on non-linear data too). null if out of range. */
  loadBytes<T>(type: TypeDesc<T>, offset: u32 | number): T | null;
}

/** Context of `socketFilter(...)`: only cb[] is writable. Minimum kernel 3.19. */
export type SocketFilterContext = SkBuffContext;

/** Context of `tc(...)`/`tcx(...)` (BPF_PROG_TYPE_SCHED_CLS). Minimum kernel 4.1 (tcx 6.6). */
export interface TcContext extends SkBuffContext {
  mark: u32;
  priority: u32;
  tcIndex: u32;
  tcClassid: u32;
  queueMapping: u32;
  tstamp: u64;
  /** bpf_skb_store_bytes: write `value` (laid out as `type`) at `offset`. 0 or -errno. Invalidates header views. */
  storeBytes<T>(type: TypeDesc<T>, offset: u32 | number, value: T, flags?: u64): i64;
  /** bpf_skb_change_head etc. are future work; bpf_skb_pull_data makes `len` bytes linear. */
  pullData(len: u32 | number): i64;
  /** bpf_redirect(ifindex, flags): returns TcAction.REDIRECT on success. */
  redirect(ifindex: u32 | number, flags?: u64): i32;
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
