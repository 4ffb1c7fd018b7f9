// libbpf's section-name table, from names alone: program type, expected
// attach type, flags, target, and libbpf's exact / "+" / "/" matching rules.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findSectionDef, SECTION_PATTERNS } from '../src/index.js';
import { ATTACH_TYPE as A, PROG_TYPE as P } from '../src/object/bpf-enums.js';

const SLEEP = 16;
const FRAGS = 32;

// [section, progType, expectedAttachType, kind, target, progFlags, needsAttachBtf]
type Row = [string, number, number | undefined, string, string | undefined, number, boolean];
const CASES: Row[] = [
  ['tc', P.SCHED_CLS, undefined, 'tc', undefined, 0, false],
  ['tc/ingress', P.SCHED_CLS, A.TCX_INGRESS, 'tc/ingress', undefined, 0, false],
  ['tcx/ingress', P.SCHED_CLS, A.TCX_INGRESS, 'tcx/ingress', undefined, 0, false],
  ['tcx/egress', P.SCHED_CLS, A.TCX_EGRESS, 'tcx/egress', undefined, 0, false],
  ['classifier', P.SCHED_CLS, undefined, 'classifier', undefined, 0, false],
  ['action', P.SCHED_ACT, undefined, 'action', undefined, 0, false],
  ['netkit/primary', P.SCHED_CLS, A.NETKIT_PRIMARY, 'netkit/primary', undefined, 0, false],
  ['netkit/peer', P.SCHED_CLS, A.NETKIT_PEER, 'netkit/peer', undefined, 0, false],
  ['xdp', P.XDP, A.XDP, 'xdp', undefined, 0, false],
  ['xdp.frags', P.XDP, A.XDP, 'xdp.frags', undefined, FRAGS, false],
  ['xdp/devmap', P.XDP, A.XDP_DEVMAP, 'xdp/devmap', undefined, 0, false],
  ['xdp/cpumap', P.XDP, A.XDP_CPUMAP, 'xdp/cpumap', undefined, 0, false],
  ['xdp.frags/devmap', P.XDP, A.XDP_DEVMAP, 'xdp.frags/devmap', undefined, FRAGS, false],
  ['xdp.frags/cpumap', P.XDP, A.XDP_CPUMAP, 'xdp.frags/cpumap', undefined, FRAGS, false],
  ['cgroup_skb/ingress', P.CGROUP_SKB, A.CGROUP_INET_INGRESS, 'cgroup_skb/ingress', undefined, 0, false],
  ['cgroup_skb/egress', P.CGROUP_SKB, A.CGROUP_INET_EGRESS, 'cgroup_skb/egress', undefined, 0, false],
  ['cgroup/skb', P.CGROUP_SKB, undefined, 'cgroup/skb', undefined, 0, false],
  ['cgroup/sock_create', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, 'cgroup/sock_create', undefined, 0, false],
  ['cgroup/sock_release', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE, 'cgroup/sock_release', undefined, 0, false],
  ['cgroup/sock', P.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE, 'cgroup/sock', undefined, 0, false],
  ['cgroup/post_bind4', P.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND, 'cgroup/post_bind4', undefined, 0, false],
  ['cgroup/post_bind6', P.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND, 'cgroup/post_bind6', undefined, 0, false],
  ['cgroup/bind4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND, 'cgroup/bind4', undefined, 0, false],
  ['cgroup/bind6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND, 'cgroup/bind6', undefined, 0, false],
  ['cgroup/connect4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT, 'cgroup/connect4', undefined, 0, false],
  ['cgroup/connect6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT, 'cgroup/connect6', undefined, 0, false],
  ['cgroup/connect_unix', P.CGROUP_SOCK_ADDR, A.CGROUP_UNIX_CONNECT, 'cgroup/connect_unix', undefined, 0, false],
  ['cgroup/sendmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG, 'cgroup/sendmsg4', undefined, 0, false],
  ['cgroup/sendmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG, 'cgroup/sendmsg6', undefined, 0, false],
  ['cgroup/recvmsg4', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG, 'cgroup/recvmsg4', undefined, 0, false],
  ['cgroup/recvmsg6', P.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_RECVMSG, 'cgroup/recvmsg6', undefined, 0, false],
  ['cgroup/getpeername4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETPEERNAME, 'cgroup/getpeername4', undefined, 0, false],
  ['cgroup/getpeername6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETPEERNAME, 'cgroup/getpeername6', undefined, 0, false],
  ['cgroup/getsockname4', P.CGROUP_SOCK_ADDR, A.CGROUP_INET4_GETSOCKNAME, 'cgroup/getsockname4', undefined, 0, false],
  ['cgroup/getsockname6', P.CGROUP_SOCK_ADDR, A.CGROUP_INET6_GETSOCKNAME, 'cgroup/getsockname6', undefined, 0, false],
  ['cgroup/sysctl', P.CGROUP_SYSCTL, A.CGROUP_SYSCTL, 'cgroup/sysctl', undefined, 0, false],
  ['cgroup/getsockopt', P.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT, 'cgroup/getsockopt', undefined, 0, false],
  ['cgroup/setsockopt', P.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT, 'cgroup/setsockopt', undefined, 0, false],
  ['cgroup/dev', P.CGROUP_DEVICE, A.CGROUP_DEVICE, 'cgroup/dev', undefined, 0, false],
  ['sockops', P.SOCK_OPS, A.CGROUP_SOCK_OPS, 'sockops', undefined, 0, false],
  ['sk_msg', P.SK_MSG, A.SK_MSG_VERDICT, 'sk_msg', undefined, 0, false],
  ['sk_skb', P.SK_SKB, undefined, 'sk_skb', undefined, 0, false],
  ['sk_skb/stream_parser', P.SK_SKB, A.SK_SKB_STREAM_PARSER, 'sk_skb/stream_parser', undefined, 0, false],
  ['sk_skb/stream_verdict', P.SK_SKB, A.SK_SKB_STREAM_VERDICT, 'sk_skb/stream_verdict', undefined, 0, false],
  ['sk_skb/verdict', P.SK_SKB, A.SK_SKB_VERDICT, 'sk_skb/verdict', undefined, 0, false],
  ['socket', P.SOCKET_FILTER, undefined, 'socket', undefined, 0, false],
  ['sk_reuseport', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT, 'sk_reuseport', undefined, 0, false],
  ['sk_reuseport/migrate', P.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE, 'sk_reuseport/migrate', undefined, 0, false],
  ['sk_lookup', P.SK_LOOKUP, A.SK_LOOKUP, 'sk_lookup', undefined, 0, false],
  ['flow_dissector', P.FLOW_DISSECTOR, A.FLOW_DISSECTOR, 'flow_dissector', undefined, 0, false],
  ['tracepoint/sched/sched_process_exec', P.TRACEPOINT, undefined, 'tracepoint', 'sched/sched_process_exec', 0, false],
  ['tp/syscalls/sys_enter_openat', P.TRACEPOINT, undefined, 'tp', 'syscalls/sys_enter_openat', 0, false],
  ['tp.s/syscalls/sys_enter_openat', P.TRACEPOINT, undefined, 'tp.s', 'syscalls/sys_enter_openat', SLEEP, false],
  ['raw_tp/sys_enter', P.RAW_TRACEPOINT, undefined, 'raw_tp', 'sys_enter', 0, false],
  ['raw_tracepoint/sys_enter', P.RAW_TRACEPOINT, undefined, 'raw_tracepoint', 'sys_enter', 0, false],
  ['raw_tp.w/sys_enter', P.RAW_TRACEPOINT_WRITABLE, undefined, 'raw_tp.w', 'sys_enter', 0, false],
  ['tp_btf/sched_switch', P.TRACING, A.TRACE_RAW_TP, 'tp_btf', 'sched_switch', 0, true],
  ['uprobe//usr/bin/x:fn', P.KPROBE, undefined, 'uprobe', '/usr/bin/x:fn', 0, false],
  ['uprobe', P.KPROBE, undefined, 'uprobe', undefined, 0, false],
  ['uretprobe/libc.so.6:malloc', P.KPROBE, undefined, 'uretprobe', 'libc.so.6:malloc', 0, false],
  ['uprobe.s/libc.so.6:malloc', P.KPROBE, undefined, 'uprobe.s', 'libc.so.6:malloc', SLEEP, false],
  ['uprobe.multi/libc.so.6:*', P.KPROBE, A.TRACE_UPROBE_MULTI, 'uprobe.multi', 'libc.so.6:*', 0, false],
  ['usdt/libc.so.6:libc:setjmp', P.KPROBE, undefined, 'usdt', 'libc.so.6:libc:setjmp', 0, false],
  ['kprobe/do_unlinkat', P.KPROBE, undefined, 'kprobe', 'do_unlinkat', 0, false],
  ['kretprobe/do_unlinkat', P.KPROBE, undefined, 'kretprobe', 'do_unlinkat', 0, false],
  ['ksyscall/openat', P.KPROBE, undefined, 'ksyscall', 'openat', 0, false],
  ['kretsyscall/openat', P.KPROBE, undefined, 'kretsyscall', 'openat', 0, false],
  ['kprobe.multi/tcp_*', P.KPROBE, A.TRACE_KPROBE_MULTI, 'kprobe.multi', 'tcp_*', 0, false],
  ['kretprobe.multi/tcp_*', P.KPROBE, A.TRACE_KPROBE_MULTI, 'kretprobe.multi', 'tcp_*', 0, false],
  ['kprobe.session/tcp_*', P.KPROBE, A.TRACE_KPROBE_SESSION, 'kprobe.session', 'tcp_*', 0, false],
  ['fentry/do_unlinkat', P.TRACING, A.TRACE_FENTRY, 'fentry', 'do_unlinkat', 0, true],
  ['fexit/do_unlinkat', P.TRACING, A.TRACE_FEXIT, 'fexit', 'do_unlinkat', 0, true],
  ['fmod_ret/do_unlinkat', P.TRACING, A.MODIFY_RETURN, 'fmod_ret', 'do_unlinkat', 0, true],
  ['fentry.s/do_unlinkat', P.TRACING, A.TRACE_FENTRY, 'fentry.s', 'do_unlinkat', SLEEP, true],
  ['fexit.s/do_unlinkat', P.TRACING, A.TRACE_FEXIT, 'fexit.s', 'do_unlinkat', SLEEP, true],
  ['lsm/file_open', P.LSM, A.LSM_MAC, 'lsm', 'file_open', 0, true],
  ['lsm.s/file_open', P.LSM, A.LSM_MAC, 'lsm.s', 'file_open', SLEEP, true],
  ['lsm_cgroup/socket_bind', P.LSM, A.LSM_CGROUP, 'lsm_cgroup', 'socket_bind', 0, true],
  ['iter/task', P.TRACING, A.TRACE_ITER, 'iter', 'task', 0, true],
  ['iter.s/task', P.TRACING, A.TRACE_ITER, 'iter.s', 'task', SLEEP, true],
  ['freplace/handler', P.EXT, undefined, 'freplace', 'handler', 0, true],
  ['perf_event', P.PERF_EVENT, undefined, 'perf_event', undefined, 0, false],
  ['netfilter', P.NETFILTER, A.NETFILTER, 'netfilter', undefined, 0, false],
  ['struct_ops/tcp_init', P.STRUCT_OPS, undefined, 'struct_ops', 'tcp_init', 0, false],
  ['struct_ops.s/tcp_init', P.STRUCT_OPS, undefined, 'struct_ops.s', 'tcp_init', SLEEP, false],
  ['syscall', P.SYSCALL, undefined, 'syscall', undefined, SLEEP, false],
  ['lirc_mode2', P.LIRC_MODE2, A.LIRC_MODE2, 'lirc_mode2', undefined, 0, false],
  ['lwt_in', P.LWT_IN, undefined, 'lwt_in', undefined, 0, false],
  ['lwt_out', P.LWT_OUT, undefined, 'lwt_out', undefined, 0, false],
  ['lwt_xmit', P.LWT_XMIT, undefined, 'lwt_xmit', undefined, 0, false],
  ['lwt_seg6local', P.LWT_SEG6LOCAL, undefined, 'lwt_seg6local', undefined, 0, false],
];

test('every libbpf section kind maps to its program type, attach type, flags and target', () => {
  for (const [section, progType, attach, kind, target, progFlags, needsAttachBtf] of CASES) {
    const want: Record<string, unknown> = { section, progType, kind, progFlags, needsAttachBtf };
    if (attach !== undefined) want.expectedAttachType = attach;
    if (target !== undefined) want.target = target;
    assert.deepEqual(findSectionDef(section), want, section);
  }
});

test('every pattern of the table matches its own name', () => {
  for (const pattern of SECTION_PATTERNS) {
    const name = pattern.replace(/\+$/, '');
    assert.ok(findSectionDef(name), pattern);
  }
  assert.ok(SECTION_PATTERNS.length >= 100, `${SECTION_PATTERNS.length} patterns`);
});

test('exact names take no target; "+" names need the "/" separator', () => {
  for (const name of ['xdp/foo', 'tc/foo', 'socketx', 'socket/x', 'tcx', 'cgroup/connect4x', 'cgroup/skb/x', 'sockops/x',
    'tracepointfoo', 'kprobex/y', 'kprobe.multix', 'fentryfoo', 'lsmx/y', 'iter_task', 'syscall/x', '', '/', 'foo', 'cgroup']) {
    assert.equal(findSectionDef(name), undefined, name);
  }
  // A "+" pattern with nothing after the slash still matches, with an empty target (libbpf's rule).
  assert.equal(findSectionDef('kprobe/')?.target, '');
  // The first matching row wins: kprobe.multi/x is not kprobe with target ".multi/x".
  assert.equal(findSectionDef('kprobe.multi/x')?.kind, 'kprobe.multi');
  assert.equal(findSectionDef('sk_reuseport/migrate')?.expectedAttachType, A.SK_REUSEPORT_SELECT_OR_MIGRATE);
  assert.equal(findSectionDef('tp_btf.s/x')?.progFlags, SLEEP);
  assert.equal(findSectionDef('uretprobe.multi.s/x')?.progFlags, SLEEP);
});

test('program and attach type numbers match <linux/bpf.h>', (t) => {
  const header = '/usr/include/linux/bpf.h';
  const cc = spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!existsSync(header) || !cc) {
    if (process.env.LOCKNE_REQUIRE_KERNEL === '1') throw new Error(`${header} or cc missing`);
    t.skip(`${header} or cc missing`);
    return;
  }
  const text = readFileSync(header, 'utf8');
  const names: [string, number][] = [
    ...Object.entries(P).map(([k, v]): [string, number] => [`BPF_PROG_TYPE_${k}`, v]),
    ...Object.entries(A).map(([k, v]): [string, number] => [`BPF_${k}`, v]),
  ].filter(([n]) => new RegExp(`\\b${n}\\b`).test(text));
  const dir = mkdtempSync(join(tmpdir(), 'lockne-obj-uapi-'));
  try {
    writeFileSync(join(dir, 'c.c'), `#include <stdio.h>\n#include <linux/bpf.h>\nint main(void) {\n${names.map(([n]) => `printf("%s %d\\n", "${n}", (int)${n});`).join('\n')}\nreturn 0; }\n`);
    const b = spawnSync('cc', ['-o', join(dir, 'c'), join(dir, 'c.c')], { encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const out = spawnSync(join(dir, 'c'), { encoding: 'utf8' }).stdout;
    const got = new Map(out.trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k!, Number(v)]));
    assert.deepEqual(names.filter(([n, v]) => got.get(n) !== v), []);
    assert.ok(names.length > 60, `${names.length} names checked`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
