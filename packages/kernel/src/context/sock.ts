// struct bpf_sock and struct bpf_sock_addr (include/uapi/linux/bpf.h).
import type { u32, i32, be16, be32 } from '../ints.js';
import type { FixedArray } from '../struct.js';

/**
 * Context of `cgroupSock(...)` (struct bpf_sock). Minimum kernel 4.10.
 * boundDevIf, mark and priority are writable in sock_create/sock_release.
 */
export interface SockContext {
  boundDevIf: u32;
  readonly family: u32;
  readonly type: u32;
  readonly protocol: u32;
  mark: u32;
  priority: u32;
  readonly srcIp4: be32;
  readonly srcIp6: FixedArray<be32, 4>;
  /** Host byte order. */
  readonly srcPort: u32;
  readonly dstPort: be16;
  readonly dstIp4: be32;
  readonly dstIp6: FixedArray<be32, 4>;
  readonly state: u32;
  readonly rxQueueMapping: i32;
}

/**
 * Context of `cgroupSockAddr(...)` (struct bpf_sock_addr). Minimum kernel 4.17.
 * The user* and msgSrc* fields are writable: rewriting them redirects the call.
 * @example cgroupSockAddr('connect4', (ctx) => { if (ctx.userPort === htons(80)) ctx.userPort = htons(8080); return CgroupVerdict.ALLOW; })
 */
export interface SockAddrContext {
  readonly userFamily: u32;
  userIp4: be32;
  userIp6: FixedArray<be32, 4>;
  /** Port in network byte order (in a 32-bit field). */
  userPort: be16;
  readonly family: u32;
  readonly type: u32;
  readonly protocol: u32;
  msgSrcIp4: be32;
  msgSrcIp6: FixedArray<be32, 4>;
}
