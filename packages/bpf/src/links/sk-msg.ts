// sk_msg: an SK_MSG program attached to a sockmap/sockhash runs on every
// sendmsg()/sendfile() of the sockets in the map, before the data is queued.
// It can pass (SK_PASS), drop (SK_DROP: send fails with EACCES), or redirect
// the data to another socket of a map (bpf_msg_redirect_map/_hash).
import { ProgType } from '../sys/consts.js';
import type { Program } from '../programs/program.js';
import type { Link } from './link.js';
import type { ProgAttachment } from './attach-legacy.js';
import { attachToSockmap, type SockmapAttachOptions, type SockmapTarget } from './sockmap-attach.js';

/** sk_msg / sk_skb verdicts. */
export const SkAction = { DROP: 0, PASS: 1 } as const;

/**
 * Attach an SK_MSG program to a SOCKMAP or SOCKHASH (attach type
 * SK_MSG_VERDICT). By default a bpf_link (kernel 6.10+; closing it detaches);
 * `{ mode: 'prog-attach' }` uses BPF_PROG_ATTACH (4.17+) and close() detaches.
 * A map holds at most one sk_msg program: a second link fails with EBUSY.
 * Attach before inserting sockets: each socket takes the map's programs when added.
 * @example
 * const map = BpfMap.create({ type: 'SOCKMAP', keySize: 4, valueSize: 8, maxEntries: 4 });
 * const link = attachSkMsg(prog, map);
 * map.setBytes(key0, fdAsU64(sock)); // sends on `sock` now run prog
 * link.close();
 */
export function attachSkMsg(prog: Program, map: SockmapTarget, opts?: SockmapAttachOptions<'link'>): Link;
export function attachSkMsg(prog: Program, map: SockmapTarget, opts: SockmapAttachOptions<'prog-attach'>): ProgAttachment;
export function attachSkMsg(prog: Program, map: SockmapTarget, opts: SockmapAttachOptions = {}): Link | ProgAttachment {
  return attachToSockmap(prog, map, 'SK_MSG_VERDICT', ProgType.SK_MSG, opts.mode ?? 'link');
}
