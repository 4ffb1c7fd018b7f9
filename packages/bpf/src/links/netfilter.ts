// netfilter: a NETFILTER program hooked into netfilter like an nftables chain:
// per address family, hook and priority, in one network namespace. It returns
// NF_DROP (0) or NF_ACCEPT (1).
import { read, readU32 } from '../sys/layout.js';
import { LinkInfo } from '../sys/attrs.js';
import { ProgType, enumName } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';
import type { Program } from '../programs/program.js';
import { Link, type LinkInfoResult } from './link.js';
import { currentNetnsInode, withNetns, type NetnsTarget } from './netns.js';

/** Protocol families (NFPROTO_*) the BPF netfilter link accepts. */
export const NfProto = { IPV4: 2, IPV6: 10 } as const;
export type NfProtoName = keyof typeof NfProto;

/** enum nf_inet_hooks. */
export const NfInetHook = { PRE_ROUTING: 0, LOCAL_IN: 1, FORWARD: 2, LOCAL_OUT: 3, POST_ROUTING: 4 } as const;
export type NfInetHookName = keyof typeof NfInetHook;

/** Netfilter verdicts a program returns. */
export const NfVerdict = { DROP: 0, ACCEPT: 1 } as const;

/** link_create.netfilter.flags: defragment IPv4/IPv6 before the program runs (6.6+). */
export const BPF_F_NETFILTER_IP_DEFRAG = 1;

export interface NetfilterOptions {
  family: NfProtoName | number;
  hook: NfInetHookName | number;
  /** Like nftables priorities: lower runs first. INT32_MIN and INT32_MAX are reserved. */
  priority: number;
  /** Set BPF_F_NETFILTER_IP_DEFRAG. */
  defrag?: boolean;
  /** The namespace to hook; default the calling thread's. */
  netns?: NetnsTarget;
}

function pick<T extends Record<string, number>>(table: T, v: keyof T | number, what: string): number {
  if (typeof v === 'number') return v;
  const n = table[v];
  if (n === undefined) throw new ArgumentError(`unknown netfilter ${what} '${String(v)}' (known: ${Object.keys(table).join(', ')})`);
  return n;
}

/**
 * Hook a NETFILTER program (loaded with expectedAttachType 'NETFILTER') into
 * netfilter with BPF_LINK_CREATE, attach type NETFILTER. The kernel hooks the
 * netns of the calling thread, so `netns` switches into it for the call.
 * Closing the link unhooks. Kernel 6.4+.
 * @example
 * const drop = Program.load({ type: 'NETFILTER', expectedAttachType: 'NETFILTER', instructions: assemble('r0 = 0; exit') });
 * const link = attachNetfilter(drop, { family: 'IPV4', hook: 'LOCAL_OUT', priority: -100, netns: ns });
 * // every IPv4 packet sent from `ns` is dropped until link.close()
 */
export function attachNetfilter(prog: Program, opts: NetfilterOptions): Link {
  if (prog.type !== ProgType.NETFILTER) {
    throw new ArgumentError(`${prog.handle.description} is ${enumName(ProgType, prog.type)}; attachNetfilter needs NETFILTER`);
  }
  const pf = pick(NfProto, opts.family, 'family');
  const hook = pick(NfInetHook, opts.hook, 'hook');
  if (!Number.isInteger(opts.priority) || opts.priority <= -0x80000000 || opts.priority >= 0x7fffffff) {
    throw new ArgumentError(`netfilter priority must be an integer strictly between INT32_MIN and INT32_MAX, got ${opts.priority}`);
  }
  const create = (): Link => Link.create(prog, 0, 'NETFILTER', {
    extra: {
      netfilter_pf: pf, netfilter_hooknum: hook, netfilter_priority: opts.priority,
      netfilter_flags: opts.defrag ? BPF_F_NETFILTER_IP_DEFRAG : 0,
    },
    what: `netfilter link of ${prog.handle.description} (pf ${pf} hook ${hook} priority ${opts.priority} netns ${currentNetnsInode()})`,
  });
  return opts.netns === undefined ? create() : withNetns(opts.netns, create);
}

export interface NetfilterLinkInfo extends LinkInfoResult {
  pf: number;
  hooknum: number;
  priority: number;
  flags: number;
}

/** Decode the netfilter part of a link's info (link type NETFILTER). */
export function netfilterLinkInfo(link: Link): NetfilterLinkInfo {
  const base = link.info();
  if (base.typeName !== 'NETFILTER') throw new ArgumentError(`${link.handle.description} is a ${base.typeName} link, not NETFILTER`);
  return {
    ...base,
    pf: readU32(LinkInfo, base.raw, 'netfilter_pf'),
    hooknum: readU32(LinkInfo, base.raw, 'netfilter_hooknum'),
    priority: Number(read(LinkInfo, base.raw, 'netfilter_priority')),
    flags: readU32(LinkInfo, base.raw, 'netfilter_flags'),
  };
}
