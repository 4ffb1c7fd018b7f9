// sock_ops: a SOCK_OPS program on a cgroup sees TCP events (connect, established,
// retransmit, state change, ...) of every socket created by that cgroup's tasks,
// and can set socket options or put the socket into a sockmap/sockhash.
import { ArgumentError } from '../errors.js';
import { ProgType, enumName } from '../sys/consts.js';
import type { Program } from '../programs/program.js';
import { Link } from './link.js';

/** bpf_sock_ops.op values (BPF_SOCK_OPS_*), for reading and writing programs. */
export const SockOpsOp = {
  VOID: 0, TIMEOUT_INIT: 1, RWND_INIT: 2, TCP_CONNECT_CB: 3, ACTIVE_ESTABLISHED_CB: 4,
  PASSIVE_ESTABLISHED_CB: 5, NEEDS_ECN: 6, BASE_RTT: 7, RTO_CB: 8, RETRANS_CB: 9, STATE_CB: 10,
  TCP_LISTEN_CB: 11, RTT_CB: 12, PARSE_HDR_OPT_CB: 13, HDR_OPT_LEN_CB: 14, WRITE_HDR_OPT_CB: 15,
} as const;

/**
 * Attach a SOCK_OPS program to a cgroup (v2 directory fd) with
 * BPF_LINK_CREATE, attach type CGROUP_SOCK_OPS. Closing the link detaches.
 * Kernel 4.13+ (programs), 5.7+ (cgroup links).
 * @example
 * const cg = fs.openSync('/sys/fs/cgroup/unified/lk123', 'r');
 * const link = attachSockOps(prog, cg); // prog counts BPF_SOCK_OPS_* per connection
 * link.close(); fs.closeSync(cg);
 */
export function attachSockOps(prog: Program, cgroupFd: number, opts: { flags?: number } = {}): Link {
  if (prog.type !== ProgType.SOCK_OPS) {
    throw new ArgumentError(`${prog.handle.description} is ${enumName(ProgType, prog.type)}; attachSockOps needs SOCK_OPS`);
  }
  if (!Number.isInteger(cgroupFd) || cgroupFd < 0) throw new ArgumentError(`cgroup fd must be a non-negative integer, got ${cgroupFd}`);
  return Link.create(prog, cgroupFd, 'CGROUP_SOCK_OPS', { flags: opts.flags ?? 0, what: `sock_ops link of ${prog.handle.description} on cgroup fd ${cgroupFd}` });
}
