// struct bpf_sock_ops (include/uapi/linux/bpf.h): the context of sock_ops
// programs, run at TCP events of the sockets of a cgroup (connect, established,
// RTO, state changes...). `reply`, `replylong` and `skTxhash` are writable
// (kernel: sock_ops_is_valid_access); the rest is read-only.
import type { u32, u64, be32 } from '../ints.js';
import type { FixedArray } from '../struct.js';

/** `ctx.op`: why the program runs (BPF_SOCK_OPS_*). */
export enum SockOp {
  VOID = 0,
  TIMEOUT_INIT = 1,
  RWND_INIT = 2,
  TCP_CONNECT = 3,
  ACTIVE_ESTABLISHED = 4,
  PASSIVE_ESTABLISHED = 5,
  NEEDS_ECN = 6,
  BASE_RTT = 7,
  RTO = 8,
  RETRANS = 9,
  STATE = 10,
  TCP_LISTEN = 11,
  RTT = 12,
}

/**
 * Context of `sockOps(fn)`. Minimum kernel 4.13.
 * @example
 * export const seen = sockOps((ctx) => { if (ctx.op === SockOp.ACTIVE_ESTABLISHED) log.info`to port ${ctx.remotePort}`; return 1; });
 */
export interface SockOpsContext {
  readonly op: u32;
  /** Arguments of some ops (a union with `reply`). */
  readonly args: FixedArray<u32, 4>;
  /** The op's answer (TIMEOUT_INIT, RWND_INIT, NEEDS_ECN, BASE_RTT). */
  reply: u32;
  replylong: FixedArray<u32, 4>;
  readonly family: u32;
  readonly remoteIp4: be32;
  readonly localIp4: be32;
  readonly remoteIp6: FixedArray<be32, 4>;
  readonly localIp6: FixedArray<be32, 4>;
  /**
   * The be16 remote port in the UPPER 16 bits (the kernel's historic layout on little-endian
   * hosts): `ntohs(be16(ctx.remotePort >> 16))` is the port.
   */
  readonly remotePort: be32;
  /** Host byte order. */
  readonly localPort: u32;
  /** 1 when the TCP fields below are valid. */
  readonly isFullsock: u32;
  readonly sndCwnd: u32;
  readonly srttUs: u32;
  readonly bpfSockOpsCbFlags: u32;
  readonly state: u32;
  readonly rttMin: u32;
  readonly sndSsthresh: u32;
  readonly rcvNxt: u32;
  readonly sndNxt: u32;
  readonly sndUna: u32;
  readonly mssCache: u32;
  readonly ecnFlags: u32;
  readonly rateDelivered: u32;
  readonly rateIntervalUs: u32;
  readonly packetsOut: u32;
  readonly retransOut: u32;
  readonly totalRetrans: u32;
  readonly segsIn: u32;
  readonly dataSegsIn: u32;
  readonly segsOut: u32;
  readonly dataSegsOut: u32;
  readonly lostOut: u32;
  readonly sackedOut: u32;
  skTxhash: u32;
  readonly bytesReceived: u64;
  readonly bytesAcked: u64;
}
