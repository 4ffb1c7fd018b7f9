// sk_skb: SK_SKB programs attached to a sockmap/sockhash run on data the
// sockets in the map *receive*. 'verdict' (SK_SKB_VERDICT, 5.13+) sees each
// skb; 'stream-parser' (SK_SKB_STREAM_PARSER) returns the length of the next
// message and 'stream-verdict' (SK_SKB_STREAM_VERDICT) judges each message
// (4.14+). A verdict can pass, drop, or redirect with bpf_sk_redirect_map/_hash
// (to another socket's egress, or with BPF_F_INGRESS to its receive queue).
import { ProgType, type AttachTypeName } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';
import type { Program } from '../programs/program.js';
import type { Link } from './link.js';
import type { ProgAttachment } from './attach-legacy.js';
import { attachToSockmap, type SockmapAttachOptions, type SockmapTarget } from './sockmap-attach.js';

export type SkSkbKind = 'verdict' | 'stream-verdict' | 'stream-parser';

const ATTACH: Record<SkSkbKind, AttachTypeName> = {
  verdict: 'SK_SKB_VERDICT',
  'stream-verdict': 'SK_SKB_STREAM_VERDICT',
  'stream-parser': 'SK_SKB_STREAM_PARSER',
};

/** flags of bpf_sk_redirect_map / bpf_msg_redirect_map: deliver to the target's receive queue. */
export const BPF_F_INGRESS = 1;

/**
 * Attach an SK_SKB program to a SOCKMAP or SOCKHASH. By default a bpf_link
 * (kernel 6.10+); `{ mode: 'prog-attach' }` uses BPF_PROG_ATTACH. A map takes
 * either 'verdict' or 'stream-verdict', not both (EBUSY). Attach before
 * inserting sockets: each socket takes the map's programs when added.
 * @example
 * const parser = attachSkSkb(lenProg, map, 'stream-parser');
 * const verdict = attachSkSkb(redirectProg, map, 'stream-verdict');
 * verdict.close(); parser.close();
 */
export function attachSkSkb(prog: Program, map: SockmapTarget, kind: SkSkbKind, opts?: SockmapAttachOptions<'link'>): Link;
export function attachSkSkb(prog: Program, map: SockmapTarget, kind: SkSkbKind, opts: SockmapAttachOptions<'prog-attach'>): ProgAttachment;
export function attachSkSkb(prog: Program, map: SockmapTarget, kind: SkSkbKind, opts: SockmapAttachOptions = {}): Link | ProgAttachment {
  const attachType = ATTACH[kind];
  if (!attachType) throw new ArgumentError(`sk_skb kind must be ${Object.keys(ATTACH).join(', ')}; got '${String(kind)}'`);
  return attachToSockmap(prog, map, attachType, ProgType.SK_SKB, opts.mode ?? 'link');
}
