// What @lockne/kernel does in Node: descriptors and conversions work, kernel-only
// operations throw KernelOnlyError naming the operation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  u8, u16, u32, u64, i8, i16, i32, i64, bool, be16, be32, htons, htonl, ntohs, ntohl, struct, array, spinLock,
  EthHdr, Ipv4Hdr, Ipv6Hdr, TcpHdr, UdpHdr, IcmpHdr, HashMap, ArrayMap, PerCpuArrayMap, RingBuf, ProgramArray,
  SkStorage, PerfEventArray, LruHashMap, nameMaps, xdp, tc, tcx, socketFilter, cgroupSkb, cgroupSock, cgroupSockAddr,
  tracepoint, rawTracepoint, kprobe, kretprobe, uprobe, XdpAction, TcAction, CgroupVerdict, rodata, data, bss, license,
  log, atomicAdd, bpf, KernelOnlyError, MapTypes, HELPER_BINDINGS,
} from '@lockne/kernel';

test('conversions wrap to their width (two\'s complement) and sign-extend signed targets', () => {
  assert.equal(u8(256 + 7), 7);
  assert.equal(u8(-1), 255);
  assert.equal(i8(255), -1);
  assert.equal(i8(128), -128);
  assert.equal(u16(0x12345), 0x2345);
  assert.equal(i16(0x8000), -32768);
  assert.equal(u32(-1), 0xffffffff);
  assert.equal(i32(0xffffffff), -1);
  assert.equal(u32(0x1_0000_0005n), 5);
  assert.equal(u64(-1), 0xffff_ffff_ffff_ffffn);
  assert.equal(i64(0xffff_ffff_ffff_ffffn), -1n);
  assert.equal(u64(u32(-1)), 0xffffffffn); // unsigned widening zero-extends
  assert.equal(i64(i32(-2)), -2n); // signed widening sign-extends
  assert.equal(u32(true), 1);
  assert.equal(bool(0), false);
  assert.equal(bool(2n), true);
  assert.throws(() => u32(1.5), /u32\(1\.5\): not an integer/);
});

test('byte order helpers swap 16/32-bit values', () => {
  assert.equal(htons(0x0800), 0x0008);
  assert.equal(ntohs(be16(0x0008)), 0x0800);
  assert.equal(htonl(0x0a000001), 0x0100000a);
  assert.equal(ntohl(be32(0x0100000a)), 0x0a000001);
});

test('integer descriptors carry the C layout', () => {
  assert.deepEqual([u8.size, u16.size, u32.size, u64.size, i64.align], [1, 2, 4, 8, 8]);
  assert.equal(u32.name, '__u32');
  assert.equal(i16.signed, true);
  assert.equal(be16.bigEndian, true);
  assert.equal(bool.size, 1);
});

test('struct() lays fields out like a C compiler (natural alignment, tail padding)', () => {
  const S = struct('s', { a: u8, b: u64, c: u16 });
  assert.deepEqual(S.fields.map((f) => [f.name, f.offset]), [['a', 0], ['b', 8], ['c', 16]]);
  assert.equal(S.size, 24);
  assert.equal(S.align, 8);
  assert.equal(S.name, 'struct s');
  const Flow = struct('flow', { saddr: be32, daddr: be32, sport: be16, dport: be16, proto: u8 });
  assert.equal(Flow.size, 16);
  assert.equal(Flow.fields[4]?.offset, 12);
  const Comm = array(u8, 16);
  assert.deepEqual([Comm.size, Comm.align, Comm.length, Comm.name], [16, 1, 16, '__u8[16]']);
  const Locked = struct('locked', { lock: spinLock, n: u64 });
  assert.deepEqual([Locked.size, Locked.fields[1]?.offset], [16, 8]);
  assert.throws(() => struct('bad name', { a: u8 }), /not a C identifier/);
  assert.throws(() => struct('empty', {}), /no fields/);
  assert.throws(() => array(u8, 0), /positive integer/);
});

test('packet headers have the kernel sizes and offsets', () => {
  assert.equal(EthHdr.size, 14);
  assert.equal(Ipv4Hdr.size, 20);
  assert.deepEqual(Ipv4Hdr.fields.map((f) => f.offset), [0, 1, 2, 4, 6, 8, 9, 10, 12, 16]);
  assert.equal(Ipv6Hdr.size, 40);
  assert.equal(TcpHdr.size, 20);
  assert.equal(TcpHdr.fields.find((f) => f.name === 'flags')?.offset, 13);
  assert.equal(UdpHdr.size, 8);
  assert.equal(IcmpHdr.size, 8);
  assert.equal(EthHdr.align, 2); // no padding: 14 bytes like struct ethhdr
});

test('map declarations are plain descriptors in Node', () => {
  const h = new HashMap<number, bigint>({ maxEntries: 1024, key: u32, value: u64 });
  assert.deepEqual([h.type, h.mapType, h.maxEntries, h.key?.size, h.value?.size, h.flags, h.name], ['HASH', 1, 1024, 4, 8, 0, null]);
  const a = new ArrayMap({ maxEntries: 4, value: u64 });
  assert.deepEqual([a.type, a.key?.name, a.value?.name], ['ARRAY', '__u32', '__u64']);
  assert.equal(new PerCpuArrayMap({ maxEntries: 1, value: u32 }).mapType, MapTypes.PERCPU_ARRAY);
  assert.equal(new LruHashMap({ maxEntries: 8, pinning: 'byName' }).pinning, 'byName');
  const r = new RingBuf({ size: 4096 });
  assert.deepEqual([r.type, r.mapType, r.size, r.maxEntries], ['RINGBUF', 27, 4096, 4096]);
  assert.equal(new ProgramArray({ maxEntries: 4 }).mapType, 3);
  assert.deepEqual([new SkStorage({ value: u64 }).flags, new PerfEventArray().maxEntries], [1, 0]);
  assert.throws(() => new RingBuf({ size: 1000 }), /power of two/);
  assert.throws(() => new HashMap({ maxEntries: -1 }), /maxEntries must be a non-negative integer/);
  const named = nameMaps({ counts: h, events: r, other: 5, explicit: new ArrayMap({ maxEntries: 1, name: 'cfg' }) });
  assert.deepEqual([...named.keys()], ['counts', 'events', 'cfg']);
  assert.equal(h.name, 'counts');
});

test('program wrappers record kind, libbpf section and attach type', () => {
  const rows = [
    xdp(() => XdpAction.PASS), tc(() => TcAction.OK), tcx('egress', () => TcAction.OK), socketFilter(() => 0),
    cgroupSkb('ingress', () => CgroupVerdict.ALLOW), cgroupSock('post_bind4', () => CgroupVerdict.ALLOW),
    cgroupSockAddr('connect6', () => CgroupVerdict.ALLOW), tracepoint('sched', 'sched_switch', () => 0),
    rawTracepoint('sys_enter', () => 0), kprobe(() => 0), kprobe('tcp_v4_connect', () => 0), kretprobe('do_unlinkat', () => 0), uprobe(() => 0),
  ].map((p) => [p.kind, p.section, p.progType, p.attachType]);
  assert.deepEqual(rows, [
    ['xdp', 'xdp', 'XDP', 'XDP'], ['tc', 'tc', 'SCHED_CLS', null], ['tcx', 'tcx/egress', 'SCHED_CLS', 'TCX_EGRESS'],
    ['socketFilter', 'socket', 'SOCKET_FILTER', null], ['cgroupSkb', 'cgroup_skb/ingress', 'CGROUP_SKB', 'CGROUP_INET_INGRESS'],
    ['cgroupSock', 'cgroup/post_bind4', 'CGROUP_SOCK', 'CGROUP_INET4_POST_BIND'],
    ['cgroupSockAddr', 'cgroup/connect6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_CONNECT'],
    ['tracepoint', 'tracepoint/sched/sched_switch', 'TRACEPOINT', null], ['rawTracepoint', 'raw_tracepoint/sys_enter', 'RAW_TRACEPOINT', null],
    ['kprobe', 'kprobe', 'KPROBE', null], ['kprobe', 'kprobe/tcp_v4_connect', 'KPROBE', null],
    ['kretprobe', 'kretprobe/do_unlinkat', 'KPROBE', null], ['uprobe', 'uprobe', 'KPROBE', null],
  ]);
  // Untyped callers (plain JS) get a clear error, not a bad section.
  const anyHook = 'connect9' as unknown as Parameters<typeof cgroupSockAddr>[0];
  assert.throws(() => cgroupSockAddr(anyHook, () => CgroupVerdict.ALLOW), /unknown hook/);
});

test('globals expose section, layout and initial value', () => {
  const port = rodata(u16, 53);
  assert.deepEqual([port.section, port.type.size, port.initial, port.value], ['.rodata', 2, 53, 53]);
  assert.equal(data(u32, 1).section, '.data');
  assert.deepEqual([bss(u64).section, bss(u64).initial], ['.bss', null]);
  assert.equal(license('GPL').license, 'GPL');
});

test('kernel-only operations throw KernelOnlyError naming the operation', () => {
  const m = new HashMap({ maxEntries: 1, key: u32, value: u64 });
  const cases: [string, () => unknown][] = [
    ['bpf.ktimeGetNs', () => bpf.ktimeGetNs()], ['bpf.getCurrentPidTgid', () => bpf.getCurrentPidTgid()],
    ['bpf.getPrandomU32', () => bpf.getPrandomU32()], ['HASH map lookup', () => m.lookup(1)],
    ['HASH map update', () => m.update(1, 1n)], ['RingBuf.reserve', () => new RingBuf({ size: 4096 }).reserve(u64)],
    ['log.info', () => log.info`x=${1}`], ['atomicAdd', () => atomicAdd({ value: 1n }, 1n)],
  ];
  for (const [what, run] of cases) {
    assert.throws(run, (e: unknown) => e instanceof KernelOnlyError && e.what === what && /only runs in the kernel/.test(e.message), what);
  }
});

test('every bpf.* helper has a kernel helper binding', () => {
  for (const name of Object.keys(bpf)) assert.ok(name in HELPER_BINDINGS, `bpf.${name} has no binding`);
});
