// Programs attached to one socket by setsockopt: a socket filter (SO_ATTACH_BPF)
// trims or drops each packet the socket receives; a reuseport program
// (SO_ATTACH_REUSEPORT_EBPF) picks which socket of a SO_REUSEPORT group gets it.
// Neither makes a bpf_link: the socket holds the program until detach or close.
import { native } from '../sys/native.js';
import { ProgType, enumName } from '../sys/consts.js';
import { ArgumentError, SyscallError } from '../errors.js';
import type { Program } from '../programs/program.js';
import type { Attachment } from './link.js';

const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27; // == SO_DETACH_FILTER
const SO_ATTACH_REUSEPORT_EBPF = 52;
const SO_DETACH_REUSEPORT_BPF = 68;

type Kind = 'filter' | 'reuseport';

const OPTS: Record<Kind, { attach: number; detach: number; attachName: string; detachName: string }> = {
  filter: { attach: SO_ATTACH_BPF, detach: SO_DETACH_BPF, attachName: 'SO_ATTACH_BPF', detachName: 'SO_DETACH_BPF' },
  reuseport: {
    attach: SO_ATTACH_REUSEPORT_EBPF, detach: SO_DETACH_REUSEPORT_BPF,
    attachName: 'SO_ATTACH_REUSEPORT_EBPF', detachName: 'SO_DETACH_REUSEPORT_BPF',
  },
};

function int32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

/**
 * A program attached to a socket by setsockopt. close() detaches it; the
 * kernel also drops it when the socket closes, so close the attachment first
 * (a closed socket's fd number may already belong to something else).
 */
export class SocketAttachment implements Attachment {
  readonly socketFd: number;
  readonly kind: Kind;
  readonly program: string;
  #attached = true;

  constructor(socketFd: number, kind: Kind, program: string) {
    this.socketFd = socketFd;
    this.kind = kind;
    this.program = program;
  }

  get attached(): boolean {
    return this.#attached;
  }

  /** Detach (SO_DETACH_BPF / SO_DETACH_REUSEPORT_BPF). Idempotent. */
  close(): void {
    if (!this.#attached) return;
    this.#attached = false;
    const o = OPTS[this.kind];
    const r = native.setsockopt(this.socketFd, SOL_SOCKET, o.detach, int32(0));
    if (r < 0) throw new SyscallError(`setsockopt(${o.detachName})`, -r, `socket fd ${this.socketFd}, ${this.program}`);
  }
}

function attach(prog: Program, socketFd: number, kind: Kind, allowed: number[]): SocketAttachment {
  if (!Number.isInteger(socketFd) || socketFd < 0) throw new ArgumentError(`socket fd must be a non-negative integer, got ${socketFd}`);
  if (!allowed.includes(prog.type)) {
    throw new ArgumentError(`${prog.handle.description} is ${enumName(ProgType, prog.type)}; ${kind === 'filter' ? 'a socket filter' : 'a reuseport program'} needs ${allowed.map((t) => enumName(ProgType, t)).join(' or ')}`);
  }
  const o = OPTS[kind];
  const r = native.setsockopt(socketFd, SOL_SOCKET, o.attach, int32(prog.fd));
  if (r < 0) throw new SyscallError(`setsockopt(${o.attachName})`, -r, `socket fd ${socketFd}, ${prog.handle.description}`);
  return new SocketAttachment(socketFd, kind, prog.handle.description);
}

/**
 * Attach a SOCKET_FILTER program to a socket (SO_ATTACH_BPF). For each packet
 * the socket would receive, the program returns how many bytes to keep: 0
 * drops it, skb->len (or more) keeps all of it. Attaching again replaces the
 * previous filter. Kernel 3.19+.
 * @example
 * const prog = Program.load({ type: 'SOCKET_FILTER', instructions: assemble('r0 = 0; exit') });
 * const f = attachSocketFilter(prog, udpFd); // the socket now receives nothing
 * f.close();                                 // and everything again
 */
export function attachSocketFilter(prog: Program, socketFd: number): SocketAttachment {
  return attach(prog, socketFd, 'filter', [ProgType.SOCKET_FILTER]);
}

/**
 * Attach a reuseport selector to the SO_REUSEPORT group `socketFd` belongs to
 * (SO_ATTACH_REUSEPORT_EBPF). A SOCKET_FILTER program returns the index (bind
 * order) of the socket that gets the packet; an index past the group's end
 * falls back to the hash. SK_REUSEPORT programs (5.0+) may also be used.
 * Kernel 4.6+.
 * @example
 * const sel = attachReuseportProgram(Program.load({ type: 'SOCKET_FILTER', instructions: assemble('r0 = 1; exit') }), sockA);
 * // every datagram now goes to the second socket bound to the port
 */
export function attachReuseportProgram(prog: Program, socketFd: number): SocketAttachment {
  return attach(prog, socketFd, 'reuseport', [ProgType.SOCKET_FILTER, ProgType.SK_REUSEPORT]);
}
