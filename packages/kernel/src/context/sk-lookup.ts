// struct bpf_sk_lookup (include/uapi/linux/bpf.h): the context of sk_lookup
// programs, run in a network namespace when the kernel looks for the socket an
// incoming TCP SYN or UDP packet goes to. Read-only.
import type { u32, be16, be32 } from '../ints.js';
import type { FixedArray } from '../struct.js';

/** Verdicts of sk_lookup and sk_msg programs (SK_DROP, SK_PASS). */
export enum SkAction {
  DROP = 0,
  PASS = 1,
}

/**
 * Context of `skLookup(fn)`. Returning `SkAction.DROP` refuses the connection
 * (RST / ICMP unreachable). Minimum kernel 5.9.
 * @example export const guard = skLookup((ctx) => ctx.localPort === 7 ? SkAction.DROP : SkAction.PASS);
 */
export interface SkLookupContext {
  /** AF_INET (2) or AF_INET6 (10). */
  readonly family: u32;
  /** IPPROTO_TCP (6) or IPPROTO_UDP (17). */
  readonly protocol: u32;
  readonly remoteIp4: be32;
  readonly remoteIp6: FixedArray<be32, 4>;
  /** Network byte order. */
  readonly remotePort: be16;
  readonly localIp4: be32;
  readonly localIp6: FixedArray<be32, 4>;
  /** Host byte order. */
  readonly localPort: u32;
  readonly ingressIfindex: u32;
}

