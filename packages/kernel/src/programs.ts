// Program wrappers. `export const name = xdp(fn)` declares program `name` in
// libbpf's section for that kind. In Node a wrapper only builds a descriptor (so
// userspace can import the module and read kinds/sections); `fn` never runs there.
import type { XdpContext, XdpAction } from './context/xdp.js';
import type { SocketFilterContext, TcContext, CgroupSkbContext, TcAction, CgroupVerdict } from './context/skbuff.js';
import type { SockContext, SockAddrContext } from './context/sock.js';
import type { SetsockoptContext, GetsockoptContext } from './context/sockopt.js';
import type { SysctlContext } from './context/sysctl.js';
import type { DeviceContext } from './context/device.js';
import type { SockOpsContext } from './context/sockops.js';
import type { SkLookupContext, SkAction } from './context/sk-lookup.js';
import type { SkMsgContext } from './context/sk-msg.js';
import type { TaskIterContext, SkStorageIterContext } from './context/iter.js';
import type { BtfArgsContext } from './context/tracing.js';
import type { KprobeContext, RawTracepointContext, TracepointContext, TracingResult } from './context/tracing.js';
import type { u32, i32 } from './ints.js';

/** Program kinds the compiler knows, keyed like @lockne/bpf ProgType names. */
export type ProgramKind =
  | 'xdp' | 'tc' | 'tcx' | 'socketFilter' | 'cgroupSkb' | 'cgroupSock' | 'cgroupSockAddr' | 'cgroupSockopt'
  | 'cgroupSysctl' | 'cgroupDevice' | 'sockOps' | 'skLookup' | 'skMsg'
  | 'tpBtf' | 'fentry' | 'fexit' | 'lsm' | 'iter' | 'iterSkStorage'
  | 'tracepoint' | 'rawTracepoint' | 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe';

/** BPF_PROG_TYPE_* names (as in @lockne/bpf `ProgType`). */
export type ProgTypeName = 'XDP' | 'SCHED_CLS' | 'SOCKET_FILTER' | 'CGROUP_SKB' | 'CGROUP_SOCK' | 'CGROUP_SOCK_ADDR' | 'CGROUP_SOCKOPT' | 'CGROUP_SYSCTL' | 'CGROUP_DEVICE' | 'SOCK_OPS' | 'SK_LOOKUP' | 'SK_MSG' | 'TRACING' | 'LSM' | 'TRACEPOINT' | 'RAW_TRACEPOINT' | 'KPROBE';

/** What a program wrapper returns: plain data, readable in Node. */
export interface ProgramDecl<Ctx = unknown> {
  readonly kind: ProgramKind;
  /** ELF section, libbpf convention: `xdp`, `tc`, `cgroup_skb/ingress`, `tracepoint/sched/sched_switch`. */
  readonly section: string;
  readonly progType: ProgTypeName;
  /** BPF_* expected attach type name (as in @lockne/bpf `AttachType`), when the kind needs one at load. */
  readonly attachType: string | null;
  /** The body; only the compiler looks at it. */
  readonly fn: (ctx: Ctx) => unknown;
}

function decl<Ctx>(kind: ProgramKind, section: string, progType: ProgTypeName, attachType: string | null, fn: (ctx: Ctx) => unknown): ProgramDecl<Ctx> {
  if (typeof fn !== 'function') throw new TypeError(`${kind}(...): expected the program function, got ${typeof fn}`);
  return Object.freeze({ kind, section, progType, attachType, fn });
}

/** XDP program, section `xdp`. Minimum kernel 4.8. @example export const p = xdp((ctx) => XdpAction.PASS); */
export function xdp(fn: (ctx: XdpContext) => XdpAction): ProgramDecl<XdpContext> {
  return decl('xdp', 'xdp', 'XDP', 'XDP', fn);
}

/** tc classifier (direct-action), section `tc`. Minimum kernel 4.1. @example export const p = tc((ctx) => TcAction.OK); */
export function tc(fn: (ctx: TcContext) => TcAction): ProgramDecl<TcContext> {
  return decl('tc', 'tc', 'SCHED_CLS', null, fn);
}

/** tcx program (link-based tc), section `tcx/ingress|egress`. Minimum kernel 6.6. */
export function tcx(direction: 'ingress' | 'egress', fn: (ctx: TcContext) => TcAction): ProgramDecl<TcContext> {
  return decl('tcx', `tcx/${direction}`, 'SCHED_CLS', direction === 'ingress' ? 'TCX_INGRESS' : 'TCX_EGRESS', fn);
}

/** Socket filter, section `socket`. Returns how many bytes to keep (0 drops). Minimum kernel 3.19. */
export function socketFilter(fn: (ctx: SocketFilterContext) => u32 | number): ProgramDecl<SocketFilterContext> {
  return decl('socketFilter', 'socket', 'SOCKET_FILTER', null, fn);
}

/** cgroup skb program, section `cgroup_skb/ingress|egress`. Minimum kernel 4.10. */
export function cgroupSkb(direction: 'ingress' | 'egress', fn: (ctx: CgroupSkbContext) => CgroupVerdict): ProgramDecl<CgroupSkbContext> {
  return decl('cgroupSkb', `cgroup_skb/${direction}`, 'CGROUP_SKB', direction === 'ingress' ? 'CGROUP_INET_INGRESS' : 'CGROUP_INET_EGRESS', fn);
}

/** Hooks of cgroup sock programs. */
export type CgroupSockHook = 'sock_create' | 'sock_release' | 'post_bind4' | 'post_bind6';
const SOCK_ATTACH: Record<CgroupSockHook, string> = {
  sock_create: 'CGROUP_INET_SOCK_CREATE', sock_release: 'CGROUP_INET_SOCK_RELEASE',
  post_bind4: 'CGROUP_INET4_POST_BIND', post_bind6: 'CGROUP_INET6_POST_BIND',
};

/** cgroup sock program, section `cgroup/<hook>`. Minimum kernel 4.10 (post_bind 4.17, sock_release 5.9). */
export function cgroupSock(hook: CgroupSockHook, fn: (ctx: SockContext) => CgroupVerdict): ProgramDecl<SockContext> {
  if (!(hook in SOCK_ATTACH)) throw new TypeError(`cgroupSock(${JSON.stringify(hook)}): unknown hook`);
  return decl('cgroupSock', `cgroup/${hook}`, 'CGROUP_SOCK', SOCK_ATTACH[hook], fn);
}

/** Hooks of cgroup sock_addr programs. */
export type CgroupSockAddrHook =
  | 'bind4' | 'bind6' | 'connect4' | 'connect6' | 'sendmsg4' | 'sendmsg6' | 'recvmsg4' | 'recvmsg6'
  | 'getpeername4' | 'getpeername6' | 'getsockname4' | 'getsockname6';
const ADDR_ATTACH: Record<CgroupSockAddrHook, string> = {
  bind4: 'CGROUP_INET4_BIND', bind6: 'CGROUP_INET6_BIND', connect4: 'CGROUP_INET4_CONNECT',
  connect6: 'CGROUP_INET6_CONNECT', sendmsg4: 'CGROUP_UDP4_SENDMSG', sendmsg6: 'CGROUP_UDP6_SENDMSG',
  recvmsg4: 'CGROUP_UDP4_RECVMSG', recvmsg6: 'CGROUP_UDP6_RECVMSG', getpeername4: 'CGROUP_INET4_GETPEERNAME',
  getpeername6: 'CGROUP_INET6_GETPEERNAME', getsockname4: 'CGROUP_INET4_GETSOCKNAME', getsockname6: 'CGROUP_INET6_GETSOCKNAME',
};

/** cgroup sock_addr program, section `cgroup/<hook>`. Minimum kernel 4.17 (sendmsg 4.18, recvmsg 5.2, get*name 5.8). */
export function cgroupSockAddr(hook: CgroupSockAddrHook, fn: (ctx: SockAddrContext) => CgroupVerdict): ProgramDecl<SockAddrContext> {
  if (!(hook in ADDR_ATTACH)) throw new TypeError(`cgroupSockAddr(${JSON.stringify(hook)}): unknown hook`);
  return decl('cgroupSockAddr', `cgroup/${hook}`, 'CGROUP_SOCK_ADDR', ADDR_ATTACH[hook], fn);
}

/** Hooks of cgroup sockopt programs. */
export type CgroupSockoptHook = 'setsockopt' | 'getsockopt';

/**
 * cgroup sockopt program, section `cgroup/setsockopt` or `cgroup/getsockopt`
 * (BPF_PROG_TYPE_CGROUP_SOCKOPT). Returning `CgroupVerdict.REJECT` makes the call
 * fail with EPERM. Minimum kernel 5.3.
 * @example
 * export const keepMark = cgroupSockopt('setsockopt', (ctx) =>
 *   ctx.level === 1 && ctx.optname === 36 ? CgroupVerdict.REJECT : CgroupVerdict.ALLOW); // SOL_SOCKET, SO_MARK
 */
export function cgroupSockopt(hook: 'setsockopt', fn: (ctx: SetsockoptContext) => CgroupVerdict): ProgramDecl<SetsockoptContext>;
export function cgroupSockopt(hook: 'getsockopt', fn: (ctx: GetsockoptContext) => CgroupVerdict): ProgramDecl<GetsockoptContext>;
export function cgroupSockopt(hook: CgroupSockoptHook, fn: (ctx: never) => CgroupVerdict): ProgramDecl<never> {
  if (hook !== 'setsockopt' && hook !== 'getsockopt') throw new TypeError(`cgroupSockopt(${JSON.stringify(hook)}): unknown hook (setsockopt or getsockopt)`);
  return decl<never>('cgroupSockopt', `cgroup/${hook}`, 'CGROUP_SOCKOPT', hook === 'setsockopt' ? 'CGROUP_SETSOCKOPT' : 'CGROUP_GETSOCKOPT', fn);
}

/**
 * cgroup sysctl program, section `cgroup/sysctl` (BPF_PROG_TYPE_CGROUP_SYSCTL): runs on
 * every read and write of a /proc/sys file by a process of the cgroup. Returning
 * `CgroupVerdict.REJECT` makes the read()/write() fail with EPERM. Minimum kernel 5.2.
 * @example
 * export const noNetWrites = cgroupSysctl((ctx) => {
 *   if (ctx.write === 0) return CgroupVerdict.ALLOW;
 *   const n = scratch.lookup(0);                    // a PerCpuArrayMap of { name: array(u8, 64) }
 *   if (n === null) return CgroupVerdict.REJECT;
 *   ctx.getName(n.value.name);                      // "net/ipv4/ip_forward"
 *   return n.value.name[0] === 0x6e && n.value.name[1] === 0x65 && n.value.name[2] === 0x74 && n.value.name[3] === 0x2f
 *     ? CgroupVerdict.REJECT : CgroupVerdict.ALLOW; // "net/"
 * });
 */
export function cgroupSysctl(fn: (ctx: SysctlContext) => CgroupVerdict): ProgramDecl<SysctlContext> {
  return decl('cgroupSysctl', 'cgroup/sysctl', 'CGROUP_SYSCTL', 'CGROUP_SYSCTL', fn);
}

/**
 * cgroup device program, section `cgroup/dev` (BPF_PROG_TYPE_CGROUP_DEVICE): the cgroup v2
 * device controller. Runs when a process of the cgroup opens a device node or mknod()s one;
 * `CgroupVerdict.REJECT` makes that fail with EPERM. Minimum kernel 4.15.
 * @example export const devs = cgroupDevice((ctx) => ctx.major === 1 && ctx.minor === 1 ? CgroupVerdict.REJECT : CgroupVerdict.ALLOW);
 */
export function cgroupDevice(fn: (ctx: DeviceContext) => CgroupVerdict): ProgramDecl<DeviceContext> {
  return decl('cgroupDevice', 'cgroup/dev', 'CGROUP_DEVICE', 'CGROUP_DEVICE', fn);
}

/** Tracepoint program, section `tracepoint/<category>/<name>`. Minimum kernel 4.7. */
export function tracepoint(category: string, name: string, fn: (ctx: TracepointContext) => TracingResult): ProgramDecl<TracepointContext> {
  return decl('tracepoint', `tracepoint/${category}/${name}`, 'TRACEPOINT', null, fn);
}

/** Raw tracepoint program, section `raw_tracepoint/<name>`. Minimum kernel 4.17. */
export function rawTracepoint(name: string, fn: (ctx: RawTracepointContext) => TracingResult): ProgramDecl<RawTracepointContext> {
  return decl('rawTracepoint', `raw_tracepoint/${name}`, 'RAW_TRACEPOINT', null, fn);
}

type ProbeFn = (ctx: KprobeContext) => TracingResult;
function probe(kind: 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe', a: string | ProbeFn, b?: ProbeFn): ProgramDecl<KprobeContext> {
  const fn = typeof a === 'function' ? a : b;
  if (fn === undefined) throw new TypeError(`${kind}(${String(a)}): missing the program function`);
  const target = typeof a === 'string' ? `/${a}` : '';
  return decl(kind, `${kind}${target}`, 'KPROBE', null, fn);
}

/**
 * kprobe program, section `kprobe` or `kprobe/<function>` (target fixed at compile time).
 * Minimum kernel 4.1. @example export const p = kprobe('tcp_v4_connect', (ctx) => 0);
 */
export function kprobe(fn: ProbeFn): ProgramDecl<KprobeContext>;
export function kprobe(target: string, fn: ProbeFn): ProgramDecl<KprobeContext>;
export function kprobe(a: string | ProbeFn, b?: ProbeFn): ProgramDecl<KprobeContext> { return probe('kprobe', a, b); }

/** kretprobe program, section `kretprobe[/<function>]`; read the return value with ctx.ret. Minimum kernel 4.1. */
export function kretprobe(fn: ProbeFn): ProgramDecl<KprobeContext>;
export function kretprobe(target: string, fn: ProbeFn): ProgramDecl<KprobeContext>;
export function kretprobe(a: string | ProbeFn, b?: ProbeFn): ProgramDecl<KprobeContext> { return probe('kretprobe', a, b); }

/** uprobe program, section `uprobe` (binary and offset given at attach time). Minimum kernel 4.3. */
export function uprobe(fn: ProbeFn): ProgramDecl<KprobeContext> { return probe('uprobe', fn); }

/** uretprobe program, section `uretprobe`. Minimum kernel 4.3. */
export function uretprobe(fn: ProbeFn): ProgramDecl<KprobeContext> { return probe('uretprobe', fn); }

/**
 * sock_ops program, section `sockops` (BPF_PROG_TYPE_SOCK_OPS), attached to a cgroup: runs at
 * TCP events of its sockets (`ctx.op`: SockOp). Return 1. Minimum kernel 4.13.
 * @example export const est = sockOps((ctx) => { if (ctx.op === SockOp.ACTIVE_ESTABLISHED) n.value += 1n; return 1; });
 */
export function sockOps(fn: (ctx: SockOpsContext) => i32 | number): ProgramDecl<SockOpsContext> {
  return decl('sockOps', 'sockops', 'SOCK_OPS', 'CGROUP_SOCK_OPS', fn);
}

/**
 * sk_lookup program, section `sk_lookup` (BPF_PROG_TYPE_SK_LOOKUP), attached to a network
 * namespace: picks (or refuses) the socket for incoming connections. Minimum kernel 5.9.
 * @example export const only80 = skLookup((ctx) => ctx.localPort === 80 ? SkAction.PASS : SkAction.DROP);
 */
export function skLookup(fn: (ctx: SkLookupContext) => SkAction): ProgramDecl<SkLookupContext> {
  return decl('skLookup', 'sk_lookup', 'SK_LOOKUP', 'SK_LOOKUP', fn);
}

/**
 * sk_msg program, section `sk_msg` (BPF_PROG_TYPE_SK_MSG), attached to a SOCKMAP/SOCKHASH:
 * a verdict for every sendmsg() of its sockets. Minimum kernel 4.17.
 */
export function skMsg(fn: (ctx: SkMsgContext) => SkAction): ProgramDecl<SkMsgContext> {
  return decl('skMsg', 'sk_msg', 'SK_MSG', 'SK_MSG_VERDICT', fn);
}

/**
 * BTF-enabled raw tracepoint, section `tp_btf/<name>` (BPF_PROG_TYPE_TRACING): `ctx.arg(n)` is
 * the n-th argument of the tracepoint's TP_PROTO. Minimum kernel 5.5.
 * @example export const execs = tpBtf('sched_process_exec', (ctx) => { pids.update(u32(ctx.arg(1)), 1); return 0; });
 */
export function tpBtf(name: string, fn: (ctx: BtfArgsContext) => TracingResult): ProgramDecl<BtfArgsContext> {
  return decl('tpBtf', `tp_btf/${name}`, 'TRACING', 'TRACE_RAW_TP', fn);
}

/** fentry program on kernel function `target`, section `fentry/<target>` (trampoline). Minimum kernel 5.5. */
export function fentry(target: string, fn: (ctx: BtfArgsContext) => TracingResult): ProgramDecl<BtfArgsContext> {
  return decl('fentry', `fentry/${target}`, 'TRACING', 'TRACE_FENTRY', fn);
}

/** fexit program on kernel function `target`, section `fexit/<target>`; the return value follows the arguments. Minimum kernel 5.5. */
export function fexit(target: string, fn: (ctx: BtfArgsContext) => TracingResult): ProgramDecl<BtfArgsContext> {
  return decl('fexit', `fexit/${target}`, 'TRACING', 'TRACE_FEXIT', fn);
}

/**
 * BPF LSM program on hook `hook` (`file_open`, `bprm_check_security`...), section `lsm/<hook>`:
 * return 0 to allow or a negative errno. Minimum kernel 5.7 (with `bpf` in the active LSMs).
 */
export function lsm(hook: string, fn: (ctx: BtfArgsContext) => i32 | number): ProgramDecl<BtfArgsContext> {
  return decl('lsm', `lsm/${hook}`, 'LSM', 'LSM_MAC', fn);
}

/** Iterator targets the compiler has a context for. */
export type IterTarget = 'task';

/**
 * Iterator program, section `iter/<target>` (BPF_TRACE_ITER): reading the iterator's fd runs
 * it for every element (`iter('task', ...)`: every thread) and returns what it wrote with
 * `ctx.seqWrite`. Minimum kernel 5.8.
 */
export function iter(target: IterTarget, fn: (ctx: TaskIterContext) => i32 | number): ProgramDecl<TaskIterContext> {
  if (target !== 'task') throw new TypeError(`iter(${JSON.stringify(target)}): only 'task' iterators are supported`);
  return decl('iter', `iter/${target}`, 'TRACING', 'TRACE_ITER', fn);
}

/**
 * Iterator over the values of one SkStorage map, section `iter/bpf_sk_storage_map`: attach it
 * with the map (`attachIter(prog, { map })` in @lockne/bpf) and read it; the program runs for
 * every socket that has a value there. Minimum kernel 5.9.
 */
export function iterSkStorage(fn: (ctx: SkStorageIterContext) => i32 | number): ProgramDecl<SkStorageIterContext> {
  return decl('iterSkStorage', 'iter/bpf_sk_storage_map', 'TRACING', 'TRACE_ITER', fn);
}
