// XDP: attach an XDP program to an interface, by bpf_link (minimum kernel
// 5.9) or by rtnetlink IFLA_XDP (4.8+), and read back what is attached.
// Modes: 'generic' (XDP_FLAGS_SKB_MODE, works on any device, after the skb
// is built), 'driver' (XDP_FLAGS_DRV_MODE, native in the driver; veth has
// it), or undefined (the kernel picks driver when it can).
//
// @example
// const link = attachXdp(prog, 'veth0', { mode: 'generic' });
// queryXdp('veth0').genericProgId === prog.info().id; // true
// link.close();
import { FdHandle } from '../fd.js';
import { readU32 } from '../sys/layout.js';
import { LinkInfo } from '../sys/attrs.js';
import { AttachType, LinkType, XdpFlags } from '../sys/consts.js';
import { Errno } from '../sys/errno.js';
import { ArgumentError, SyscallError } from '../errors.js';
import { resolveIfindex, inNetns, netnsLabel, type NetnsRef } from '../net/netns.js';
import { programInfoByFd, type Program } from '../programs/program.js';
import { NetlinkError, withNetlink } from '../netlink/socket.js';
import { getInterface, setXdp, type XdpState } from '../netlink/link.js';
import { Link, type Attachment } from './link.js';
import { progFdById } from './attach-legacy.js';

export type XdpMode = 'generic' | 'driver';

/** XDP verdicts a program returns. */
export const XdpAction = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;

export interface XdpOptions {
  mode?: XdpMode;
  /** Network namespace the interface lives in (name under /run/netns or a path). */
  netns?: NetnsRef;
}

export function xdpModeFlags(mode: XdpMode | undefined): number {
  if (mode === undefined) return 0;
  if (mode === 'generic') return XdpFlags.SKB_MODE;
  if (mode === 'driver') return XdpFlags.DRV_MODE;
  throw new ArgumentError(`XDP mode '${String(mode)}': use 'generic' or 'driver'`);
}

function describe(iface: string | number, netns?: NetnsRef): string {
  return `XDP on ${typeof iface === 'number' ? `ifindex ${iface}` : `'${iface}'`}${netns ? ` in netns ${netnsLabel(netns)}` : ''}`;
}

/**
 * Attach by bpf_link (BPF_LINK_CREATE, attach type XDP). The kernel refuses
 * (EBUSY) when another program holds the same mode's slot.
 */
export function attachXdp(prog: Program, iface: string | number, opts: XdpOptions = {}): Link {
  const flags = xdpModeFlags(opts.mode);
  const ifindex = resolveIfindex(iface, opts.netns);
  return inNetns(opts.netns, () => Link.create(prog, ifindex, AttachType.XDP, {
    flags,
    what: `${describe(iface, opts.netns)}${opts.mode ? ` (${opts.mode})` : ''} link of ${prog.handle.description}`,
  }));
}

export interface XdpNetlinkOptions extends XdpOptions {
  /** Replace a program already in the slot (default: fail with EBUSY, XDP_FLAGS_UPDATE_IF_NOEXIST). */
  replace?: boolean;
}

/**
 * An XDP program set with RTM_SETLINK. close() clears the slot only if this
 * program is still the one in it (XDP_FLAGS_REPLACE + IFLA_XDP_EXPECTED_FD).
 */
export class XdpAttachment implements Attachment {
  readonly ifindex: number;
  readonly mode: XdpMode | undefined;
  readonly progId: number;
  readonly netns: NetnsRef | undefined;
  readonly #prog: FdHandle;
  #closed = false;

  constructor(ifindex: number, mode: XdpMode | undefined, prog: FdHandle, progId: number, netns: NetnsRef | undefined) {
    this.ifindex = ifindex;
    this.mode = mode;
    this.#prog = prog;
    this.progId = progId;
    this.netns = netns;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Detach. Idempotent. Nothing is left to undo, and close() succeeds quietly,
   * when the interface or its namespace is gone, or when another program has
   * replaced this one (EEXIST from the expected-fd check).
   */
  close(): void {
    if (this.#closed) return;
    try {
      withNetlink({ netns: this.netns }, (nl) => setXdp(nl, this.ifindex, -1, xdpModeFlags(this.mode) | XdpFlags.REPLACE, this.#prog.fd));
    } catch (e) {
      const gone = (e instanceof NetlinkError && (e.errno === Errno.ENODEV || e.errno === Errno.EEXIST))
        || (e instanceof SyscallError && e.syscall === 'open' && e.errno === Errno.ENOENT);
      if (!gone) throw e;
    } finally {
      this.#closed = true;
      this.#prog.close();
    }
  }
}

/** Attach by rtnetlink (RTM_SETLINK, IFLA_XDP_FD + IFLA_XDP_FLAGS). */
export function attachXdpNetlink(prog: Program, iface: string | number, opts: XdpNetlinkOptions = {}): XdpAttachment {
  const mode = xdpModeFlags(opts.mode);
  const flags = mode | (opts.replace ? 0 : XdpFlags.UPDATE_IF_NOEXIST);
  const progId = programInfoByFd(prog.fd).id;
  const ref = progFdById(progId);
  try {
    const ifindex = withNetlink({ netns: opts.netns }, (nl) => {
      const index = typeof iface === 'number' ? resolveIfindex(iface) : getInterface(nl, iface).index;
      setXdp(nl, index, prog.fd, flags);
      return index;
    });
    return new XdpAttachment(ifindex, opts.mode, ref, progId, opts.netns);
  } catch (e) {
    ref.close();
    throw e;
  }
}

/** What XDP programs an interface has, from RTM_GETLINK's IFLA_XDP. */
export function queryXdp(iface: string | number, opts: { netns?: NetnsRef } = {}): XdpState {
  return withNetlink({ netns: opts.netns }, (nl) => getInterface(nl, iface).xdp);
}

/** XDP-specific link info: the interface index. */
export function xdpLinkInfo(link: Link): { ifindex: number } {
  const info = link.info();
  if (info.type !== LinkType.XDP) throw new ArgumentError(`link ${info.id} is a ${info.typeName} link, not XDP`);
  return { ifindex: readU32(LinkInfo, info.raw, 'xdp_ifindex') };
}
