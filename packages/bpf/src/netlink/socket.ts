// A synchronous netlink socket: send one request, read until its ACK, error
// or end of dump. rtnetlink answers from inside sendmsg/recvmsg, so blocking
// reads are short; SO_RCVTIMEO bounds them anyway so a bug cannot hang Node.
import { native } from '../sys/native.js';
import { ArgumentError, SyscallError } from '../errors.js';
import { FdHandle } from '../fd.js';
import { Errno } from '../sys/errno.js';
import { inNetns, netnsLabel, type NetnsRef } from '../net/netns.js';
import { AF_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK, NETLINK_ROUTE, NlMsgType, NlmF, SOL_NETLINK, rtmName } from './consts.js';
import { decodeMessages, encodeMessage, parseDone, parseError, type NlMessage, type NlRequest } from './message.js';

const SOCK_RAW = 3;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SO_RCVBUF = 8;
const MSG_TRUNC = 0x20;
const RECV_BUFFER = 64 * 1024;
const DUMP_RETRIES = 3;

/**
 * A netlink request the kernel refused. `syscall` is the message type
 * (e.g. "RTM_NEWTFILTER"), `code` the errno name, `extack` the kernel's own
 * explanation when it gave one.
 */
export class NetlinkError extends SyscallError {
  override name = 'NetlinkError';
  readonly extack: string | undefined;
  constructor(op: string, errno: number, what?: string, extack?: string) {
    super(op, errno, [what, extack].filter(Boolean).join(': ') || undefined);
    this.extack = extack;
  }
}

export interface NetlinkSocketOptions {
  /** Netlink family; default NETLINK_ROUTE. */
  protocol?: number;
  /** Open the socket inside this network namespace (name under /run/netns or a path). */
  netns?: NetnsRef;
  /** How long one read may block, in ms (default 5000). */
  timeoutMs?: number;
}

/** What a request is about, for error messages ("add bpf filter on ifindex 3"). */
export type Purpose = string;

/**
 * A netlink socket bound to the namespace it was opened in.
 *
 * @example
 * const nl = NetlinkSocket.open({ netns: 'lk123n0b' });
 * try { nl.request({ type: Rtm.NEWQDISC, flags: NlmF.CREATE | NlmF.EXCL, header, attrs }, 'add clsact'); }
 * finally { nl.close(); }
 */
export class NetlinkSocket {
  readonly handle: FdHandle;
  #seq: number;
  readonly netns: NetnsRef | undefined;
  readonly #buf = new Uint8Array(RECV_BUFFER);

  private constructor(fd: number, netns: NetnsRef | undefined) {
    this.handle = new FdHandle(fd, `netlink socket${netns ? ` in netns ${netnsLabel(netns)}` : ''}`);
    this.netns = netns;
    // Distinct starting points keep stale replies of an earlier socket from matching.
    this.#seq = (Date.now() & 0xffff) << 8;
  }

  static open(opts: NetlinkSocketOptions = {}): NetlinkSocket {
    const where = opts.netns ? ` in netns ${netnsLabel(opts.netns)}` : '';
    // Only socket() needs the namespace: the socket keeps it for its lifetime.
    const fd = inNetns(opts.netns, () => native.socket(AF_NETLINK, SOCK_RAW, opts.protocol ?? NETLINK_ROUTE));
    if (fd < 0) throw new SyscallError('socket', -fd, `AF_NETLINK${where}`);
    try {
      const sa = new Uint8Array(12);
      new DataView(sa.buffer).setUint16(0, AF_NETLINK, true);
      check(native.bind(fd, sa), 'bind', `netlink socket${where}`);
      check(native.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, int32(1)), 'setsockopt', 'NETLINK_EXT_ACK');
      check(native.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, int32(1)), 'setsockopt', 'NETLINK_CAP_ACK');
      check(native.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int32(RECV_BUFFER * 4)), 'setsockopt', 'SO_RCVBUF');
      const ms = opts.timeoutMs ?? 5000;
      const tv = new DataView(new ArrayBuffer(16));
      tv.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true);
      tv.setBigInt64(8, BigInt((ms % 1000) * 1000), true);
      check(native.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, new Uint8Array(tv.buffer)), 'setsockopt', 'SO_RCVTIMEO');
    } catch (e) {
      native.close(fd);
      throw e;
    }
    return new NetlinkSocket(fd, opts.netns);
  }

  get fd(): number {
    return this.handle.fd;
  }

  get closed(): boolean {
    return this.handle.closed;
  }

  /**
   * Send a request with NLM_F_REQUEST|NLM_F_ACK and wait for its ACK. Returns
   * the replies that came before the ACK (e.g. the object, with NLM_F_ECHO).
   * A refusal throws NetlinkError naming the message type, errno and `purpose`.
   */
  request(req: Omit<NlRequest, 'seq' | 'pid'>, purpose: Purpose): NlMessage[] {
    const seq = this.#send({ ...req, flags: req.flags | NlmF.REQUEST | NlmF.ACK });
    const replies: NlMessage[] = [];
    for (;;) {
      for (const m of this.#recv(req.type, purpose)) {
        if (m.seq !== seq) continue;
        if (m.type === NlMsgType.ERROR) {
          const e = parseError(m);
          if (e.errno !== 0) throw new NetlinkError(rtmName(req.type), e.errno, purpose, e.message);
          return replies;
        }
        if (m.type !== NlMsgType.NOOP) replies.push(m);
      }
    }
  }

  /**
   * Send a dump request (NLM_F_REQUEST|NLM_F_DUMP) and collect every message
   * up to NLMSG_DONE. A dump the kernel marks inconsistent (NLM_F_DUMP_INTR,
   * the table changed meanwhile) is retried a few times.
   */
  dump(req: Omit<NlRequest, 'seq' | 'pid'>, purpose: Purpose): NlMessage[] {
    for (let attempt = 0; ; attempt++) {
      const seq = this.#send({ ...req, flags: req.flags | NlmF.REQUEST | NlmF.DUMP });
      const out: NlMessage[] = [];
      let interrupted = false;
      let done = false;
      while (!done) {
        for (const m of this.#recv(req.type, purpose)) {
          if (m.seq !== seq) continue;
          if (m.flags & NlmF.DUMP_INTR) interrupted = true;
          if (m.type === NlMsgType.ERROR) {
            const e = parseError(m);
            if (e.errno !== 0) throw new NetlinkError(rtmName(req.type), e.errno, purpose, e.message);
            done = true;
          } else if (m.type === NlMsgType.DONE) {
            const e = parseDone(m);
            if (e.errno !== 0) throw new NetlinkError(rtmName(req.type), e.errno, purpose, e.message);
            done = true;
          } else if (m.type !== NlMsgType.NOOP) {
            out.push(m);
          }
        }
      }
      if (!interrupted) return out;
      if (attempt >= DUMP_RETRIES) {
        throw new NetlinkError(rtmName(req.type), Errno.EAGAIN, purpose, `dump kept changing (NLM_F_DUMP_INTR) after ${DUMP_RETRIES + 1} tries`);
      }
    }
  }

  close(): void {
    this.handle.close();
  }

  #send(req: NlRequest): number {
    if (!Number.isInteger(req.type) || req.type < 0 || req.type > 0xffff) throw new ArgumentError(`netlink message type ${req.type}`);
    const seq = (this.#seq = (this.#seq + 1) >>> 0);
    const msg = encodeMessage({ ...req, seq });
    const kernel = new Uint8Array(12);
    new DataView(kernel.buffer).setUint16(0, AF_NETLINK, true);
    let r: number;
    do r = native.sendto(this.fd, msg, 0, kernel); while (r === -Errno.EINTR);
    if (r < 0) throw new SyscallError('sendto', -r, `netlink ${rtmName(req.type)}`);
    return seq;
  }

  #recv(type: number, purpose: Purpose): NlMessage[] {
    let n: number;
    do n = native.recv(this.fd, this.#buf, MSG_TRUNC); while (n === -Errno.EINTR);
    if (n === -Errno.EAGAIN) throw new NetlinkError(rtmName(type), Errno.EAGAIN, purpose, 'no reply from the kernel before the socket timeout');
    if (n < 0) throw new SyscallError('recv', -n, `netlink reply to ${rtmName(type)}`);
    if (n > this.#buf.byteLength) {
      throw new NetlinkError(rtmName(type), Errno.ENOSPC, purpose, `reply of ${n} bytes exceeds the ${this.#buf.byteLength}-byte buffer`);
    }
    // Copy: the buffer is reused by the next read.
    return decodeMessages(this.#buf.slice(0, n));
  }
}

function int32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

function check(ret: number, call: string, what: string): void {
  if (ret < 0) throw new SyscallError(call, -ret, what);
}

/**
 * Open a socket (in `netns` if given), run `fn` (synchronously), close the socket.
 * @example const ifs = withNetlink({ netns: 'lk1n0b' }, (nl) => listInterfaces(nl));
 */
export function withNetlink<T>(opts: NetlinkSocketOptions, fn: (nl: NetlinkSocket) => T): T {
  const nl = NetlinkSocket.open(opts);
  try {
    return fn(nl);
  } finally {
    nl.close();
  }
}
