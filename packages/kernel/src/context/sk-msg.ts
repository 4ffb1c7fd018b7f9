// struct sk_msg_md (include/uapi/linux/bpf.h): the context of sk_msg programs,
// run for every sendmsg() on a socket in the SOCKMAP/SOCKHASH they are attached
// to. Read-only here (the message data itself is not exposed yet).
import type { u32, be32 } from '../ints.js';
import type { FixedArray } from '../struct.js';

/**
 * Context of `skMsg(fn)`; return `SkAction.PASS` or `SkAction.DROP` (the send fails with EACCES).
 * Minimum kernel 4.17.
 * @example export const limit = skMsg((ctx) => ctx.size > 4096 ? SkAction.DROP : SkAction.PASS);
 */
export interface SkMsgContext {
  readonly family: u32;
  readonly remoteIp4: be32;
  readonly localIp4: be32;
  readonly remoteIp6: FixedArray<be32, 4>;
  readonly localIp6: FixedArray<be32, 4>;
  /** The be16 remote port in the upper 16 bits, as in SockOpsContext: `ntohs(be16(ctx.remotePort >> 16))`. */
  readonly remotePort: be32;
  /** Host byte order. */
  readonly localPort: u32;
  /** Bytes of the whole message. */
  readonly size: u32;
}
