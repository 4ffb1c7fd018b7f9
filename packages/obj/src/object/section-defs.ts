// libbpf's section-name table: how SEC("...") picks a program's type, its
// expected attach type, load flags, and whether it attaches by kernel BTF id.
// Matching follows libbpf's rules, first match in table order wins:
//   "name"   exact match only;
//   "name+"  exact "name", or "name/<target>";
//   "name/"  "name/<target>" only.
// A leading '?' (libbpf's "do not autoload") is stripped by the caller.
//
// @example
// sectionDef('tracepoint/sched/sched_process_exec')
// // { progType: 5 (TRACEPOINT), kind: 'tracepoint', target: 'sched/sched_process_exec', ... }
import { ATTACH_TYPE as A, BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS, PROG_TYPE as P } from './bpf-enums.js';
import type { SectionDef } from './spec.js';

const SLEEPABLE = 1;
const ATTACH_BTF = 2;
const XDP_FRAGS = 4;

type Row = readonly [pattern: string, progType: number, attach: number | undefined, flags: number];

// Order matters: libbpf takes the first match ("sk_reuseport/migrate" before "sk_reuseport", ...).
const TABLE: readonly Row[] = [
  ['socket', P.SOCKET_FILTER, undefined, 0],
  ['sk_reuseport/migrate', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE, 0],
  ['sk_reuseport', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT, 0],
  ['kprobe+', P.KPROBE, undefined, 0],
  ['uprobe+', P.KPROBE, undefined, 0],
  ['uprobe.s+', P.KPROBE, undefined, SLEEPABLE],
  ['kretprobe+', P.KPROBE, undefined, 0],
  ['uretprobe+', P.KPROBE, undefined, 0],
  ['uretprobe.s+', P.KPROBE, undefined, SLEEPABLE],
  ['kprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI, 0],
  ['kretprobe.multi+', P.KPROBE, A.TRACE_KPROBE_MULTI, 0],
  ['kprobe.session+', P.KPROBE, A.TRACE_KPROBE_SESSION, 0],
  ['uprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI, 0],
  ['uretprobe.multi+', P.KPROBE, A.TRACE_UPROBE_MULTI, 0],
  ['uprobe.session+', P.KPROBE, A.TRACE_UPROBE_SESSION, 0],
  ['uprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, SLEEPABLE],
  ['uretprobe.multi.s+', P.KPROBE, A.TRACE_UPROBE_MULTI, SLEEPABLE],
  ['uprobe.session.s+', P.KPROBE, A.TRACE_UPROBE_SESSION, SLEEPABLE],
  ['ksyscall+', P.KPROBE, undefined, 0],
  ['kretsyscall+', P.KPROBE, undefined, 0],
  ['usdt+', P.KPROBE, undefined, 0],
  ['usdt.s+', P.KPROBE, undefined, SLEEPABLE],
  ['tc/ingress', P.SCHED_CLS, A.TCX_INGRESS, 0],
  ['tc/egress', P.SCHED_CLS, A.TCX_EGRESS, 0],
  ['tcx/ingress', P.SCHED_CLS, A.TCX_INGRESS, 0],
  ['tcx/egress', P.SCHED_CLS, A.TCX_EGRESS, 0],
  ['tc', P.SCHED_CLS, undefined, 0],
  ['classifier', P.SCHED_CLS, undefined, 0],
  ['action', P.SCHED_ACT, undefined, 0],
  ['netkit/primary', P.SCHED_CLS, A.NETKIT_PRIMARY, 0],
  ['netkit/peer', P.SCHED_CLS, A.NETKIT_PEER, 0],
  ['tracepoint+', P.TRACEPOINT, undefined, 0],
  ['tp+', P.TRACEPOINT, undefined, 0],
  ['tracepoint.s+', P.TRACEPOINT, undefined, SLEEPABLE],
  ['tp.s+', P.TRACEPOINT, undefined, SLEEPABLE],
  ['raw_tracepoint+', P.RAW_TRACEPOINT, undefined, 0],
  ['raw_tp+', P.RAW_TRACEPOINT, undefined, 0],
  ['raw_tracepoint.s+', P.RAW_TRACEPOINT, undefined, SLEEPABLE],
  ['raw_tp.s+', P.RAW_TRACEPOINT, undefined, SLEEPABLE],
  ['raw_tracepoint.w+', P.RAW_TRACEPOINT_WRITABLE, undefined, 0],
  ['raw_tp.w+', P.RAW_TRACEPOINT_WRITABLE, undefined, 0],
  ['tp_btf+', P.TRACING, A.TRACE_RAW_TP, ATTACH_BTF],
  ['tp_btf.s+', P.TRACING, A.TRACE_RAW_TP, ATTACH_BTF | SLEEPABLE],
  ['fentry+', P.TRACING, A.TRACE_FENTRY, ATTACH_BTF],
  ['fmod_ret+', P.TRACING, A.MODIFY_RETURN, ATTACH_BTF],
  ['fexit+', P.TRACING, A.TRACE_FEXIT, ATTACH_BTF],
  ['fentry.s+', P.TRACING, A.TRACE_FENTRY, ATTACH_BTF | SLEEPABLE],
  ['fmod_ret.s+', P.TRACING, A.MODIFY_RETURN, ATTACH_BTF | SLEEPABLE],
  ['fexit.s+', P.TRACING, A.TRACE_FEXIT, ATTACH_BTF | SLEEPABLE],
  ['freplace+', P.EXT, undefined, ATTACH_BTF],
  ['lsm+', P.LSM, A.LSM_MAC, ATTACH_BTF],
  ['lsm.s+', P.LSM, A.LSM_MAC, ATTACH_BTF | SLEEPABLE],
  ['lsm_cgroup+', P.LSM, A.LSM_CGROUP, ATTACH_BTF],
  ['iter+', P.TRACING, A.TRACE_ITER, ATTACH_BTF],
  ['iter.s+', P.TRACING, A.TRACE_ITER, ATTACH_BTF | SLEEPABLE],
  ['syscall', P.SYSCALL, undefined, SLEEPABLE],
  ['xdp.frags/devmap', P.XDP, A.XDP_DEVMAP, XDP_FRAGS],
  ['xdp/devmap', P.XDP, A.XDP_DEVMAP, 0],
  ['xdp.frags/cpumap', P.XDP, A.XDP_CPUMAP, XDP_FRAGS],
  ['xdp/cpumap', P.XDP, A.XDP_CPUMAP, 0],
  ['xdp.frags', P.XDP, A.XDP, XDP_FRAGS],
  ['xdp', P.XDP, A.XDP, 0],
  ['perf_event', P.PERF_EVENT, undefined, 0],
  ['lwt_in', P.LWT_IN, undefined, 0],
  ['lwt_out', P.LWT_OUT, undefined, 0],
  ['lwt_xmit', P.LWT_XMIT, undefined, 0],
  ['lwt_seg6local', P.LWT_SEG6LOCAL, undefined, 0],
  ['sockops', P.SOCK_OPS, A.CGROUP_SOCK_OPS, 0],
  ['sk_skb/stream_parser', P.SK_SKB, A.SK_SKB_STREAM_PARSER, 0],
  ['sk_skb/stream_verdict', P.SK_SKB, A.SK_SKB_STREAM_VERDICT, 0],
  ['sk_skb/verdict', P.SK_SKB, A.SK_SKB_VERDICT, 0],
  ['sk_skb', P.SK_SKB, undefined, 0],
  ['sk_msg', P.SK_MSG, A.SK_MSG_VERDICT, 0],
  ['lirc_mode2', P.LIRC_MODE2, A.LIRC_MODE2, 0],
  ['flow_dissector', P.FLOW_DISSECTOR, A.FLOW_DISSECTOR, 0],
  ['cgroup_skb/ingress', P.CGROUP_SKB, A.CGROUP_INET_INGRESS, 0],
  ['cgroup_skb/egress', P.CGROUP_SKB, A.CGROUP_INET_EGRESS, 0],
  ['cgroup/skb', P.CGROUP_SKB, undefined, 0],
  ['cgroup/sock_create', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, 0],
  ['cgroup/sock_release', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE, 0],
  ['cgroup/sock', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, 0],
  ['cgroup/post_bind4', P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND, 0],
  ['cgroup/post_bind6', P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND, 0],
  ['cgroup/bind4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND, 0],
  ['cgroup/bind6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND, 0],
  ['cgroup/connect4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT, 0],
  ['cgroup/connect6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT, 0],
  ['cgroup/connect_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT, 0],
  ['cgroup/sendmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG, 0],
  ['cgroup/sendmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG, 0],
  ['cgroup/sendmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_SENDMSG, 0],
  ['cgroup/recvmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG, 0],
  ['cgroup/recvmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_RECVMSG, 0],
  ['cgroup/recvmsg_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_RECVMSG, 0],
  ['cgroup/getpeername4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETPEERNAME, 0],
  ['cgroup/getpeername6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME, 0],
  ['cgroup/getpeername_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETPEERNAME, 0],
  ['cgroup/getsockname4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETSOCKNAME, 0],
  ['cgroup/getsockname6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETSOCKNAME, 0],
  ['cgroup/getsockname_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_GETSOCKNAME, 0],
  ['cgroup/sysctl', P.CGROUP_SYSCTL, A.CGROUP_SYSCTL, 0],
  ['cgroup/getsockopt', P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT, 0],
  ['cgroup/setsockopt', P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT, 0],
  ['cgroup/dev', P.CGROUP_DEVICE, A.CGROUP_DEVICE, 0],
  ['struct_ops+', P.STRUCT_OPS, undefined, 0],
  ['struct_ops.s+', P.STRUCT_OPS, undefined, SLEEPABLE],
  ['sk_lookup', P.SK_LOOKUP, A.SK_LOOKUP, 0],
  ['netfilter', P.NETFILTER, A.NETFILTER, 0],
];

/** Every libbpf section pattern this table knows, as written in libbpf ("kprobe+", "xdp", ...). */
export const SECTION_PATTERNS: readonly string[] = TABLE.map((r) => r[0]);

/** What follows the pattern in `name` when it matches (undefined target for exact matches), else null. */
function match(pattern: string, name: string): { kind: string; target?: string } | null {
  if (pattern.endsWith('/')) {
    return name.startsWith(pattern) ? { kind: pattern.slice(0, -1), target: name.slice(pattern.length) } : null;
  }
  if (pattern.endsWith('+')) {
    const kind = pattern.slice(0, -1);
    if (name === kind) return { kind };
    return name.startsWith(`${kind}/`) ? { kind, target: name.slice(kind.length + 1) } : null;
  }
  return name === pattern ? { kind: pattern } : null;
}

/**
 * libbpf's interpretation of section `name` (without a leading '?'), or
 * undefined when no rule matches.
 */
export function findSectionDef(name: string): SectionDef | undefined {
  for (const [pattern, progType, attach, flags] of TABLE) {
    const m = match(pattern, name);
    if (!m) continue;
    const def: SectionDef = {
      section: name, progType, kind: m.kind,
      progFlags: (flags & SLEEPABLE ? BPF_F_SLEEPABLE : 0) | (flags & XDP_FRAGS ? BPF_F_XDP_HAS_FRAGS : 0),
      needsAttachBtf: (flags & ATTACH_BTF) !== 0,
    };
    if (attach !== undefined) def.expectedAttachType = attach;
    if (m.target !== undefined) def.target = m.target;
    return def;
  }
  return undefined;
}
