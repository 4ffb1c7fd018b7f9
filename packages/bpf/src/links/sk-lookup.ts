// sk_lookup: an SK_LOOKUP program attached to a network namespace runs when a
// TCP SYN or UDP packet looks for its socket, before the normal lookup. With
// bpf_sk_assign it can hand the packet to any listening/bound socket, e.g.
// one socket serving a whole port range, or port A served by a listener on B.
import { ProgType, enumName } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';
import type { Program } from '../programs/program.js';
import { Link } from './link.js';
import { netnsInode, type NetnsTarget } from './netns.js';

/**
 * Attach an SK_LOOKUP program to a netns fd (BPF_LINK_CREATE, attach type
 * SK_LOOKUP). Several programs may be attached; they run in order until one
 * assigns a socket. Closing the link detaches. Kernel 5.9+.
 * Decode the link's info with netnsLinkInfo().
 * @example
 * const ns = openNetns('lk1234');
 * const link = attachSkLookup(prog, ns); // prog: bpf_sk_assign(ctx, sockmap[0])
 * link.close(); ns.close();
 */
export function attachSkLookup(prog: Program, netns: NetnsTarget): Link {
  if (prog.type !== ProgType.SK_LOOKUP) {
    throw new ArgumentError(`${prog.handle.description} is ${enumName(ProgType, prog.type)}; attachSkLookup needs SK_LOOKUP`);
  }
  const fd = typeof netns === 'number' ? netns : netns.fd;
  return Link.create(prog, fd, 'SK_LOOKUP', { what: `sk_lookup link of ${prog.handle.description} on netns ${netnsInode(fd)}` });
}
