// struct bpf_sockopt (include/uapi/linux/bpf.h): the context of cgroup
// getsockopt/setsockopt programs. Which fields are writable depends on the
// hook (kernel: cg_sockopt_is_valid_access): setsockopt may rewrite level,
// optname and optlen; getsockopt may rewrite optlen and retval.
import type { i32 } from '../ints.js';
import type { SockContext } from './sock.js';

/**
 * Fields common to both sockopt hooks. Minimum kernel 5.3.
 *
 * Options longer than a page: the program sees only the first PAGE_SIZE bytes
 * of optval, and `optlen` still says the full length. Set `ctx.optlen = 0` to
 * make the kernel use the caller's own buffer unchanged (newer kernels also do
 * that when the program leaves such an optlen alone; 5.x kernels then fail the
 * call with EFAULT).
 */
export interface SockoptContext {
  /** The socket (struct bpf_sock, read-only): `ctx.sk.mark`, `ctx.sk.family`, ... */
  readonly sk: Readonly<SockContext>;
  /** SOL_SOCKET (1), IPPROTO_IP (0), IPPROTO_TCP (6), ... */
  readonly level: i32;
  /** SO_MARK (36), ... */
  readonly optname: i32;
  /** Length of the option value. setsockopt: lower it (or -1 to skip the kernel's handling); both: 0 for "use the caller's buffer". */
  optlen: i32;
}

/**
 * Context of `cgroupSockopt('setsockopt', ...)`, which runs before the kernel
 * handles the call: it may rewrite level, optname and optlen. Returning
 * `CgroupVerdict.REJECT` makes setsockopt() fail with EPERM.
 * @example cgroupSockopt('setsockopt', (ctx) => ctx.level === 1 && ctx.optname === 36 ? CgroupVerdict.REJECT : CgroupVerdict.ALLOW)
 */
export interface SetsockoptContext extends SockoptContext {
  level: i32;
  optname: i32;
}

/**
 * Context of `cgroupSockopt('getsockopt', ...)`, which runs after the kernel
 * handled the call: `retval` is its result (0 or -errno) and may be reset.
 */
export interface GetsockoptContext extends SockoptContext {
  retval: i32;
}
