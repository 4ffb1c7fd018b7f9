// The map types of front/maps-more.ts, each compiled, loaded and used for its
// effect in the kernel: queue/stack values cross between a program and
// @lockne/bpf's QueueMap/StackMap, a bloom filter answers has(), redirect maps
// give XDP_REDIRECT for a filled slot and the fallback action for an empty
// one, a program reads and writes through the inner map userspace put in a
// map of maps, cgroup storage counts runs, a tracepoint records its kernel
// stack, sockops fills a sockmap and sk_msg redirects between its sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { BpfMap, BpfObject, BloomFilter, QueueMap, StackMap, createCgroup, removeCgroup, u32, u64 } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import {
  xdp, tracepoint, cgroupSkb, sockOps, skMsg, XdpAction, CgroupVerdict, SkAction, SockOp, SockRedirectFlag,
  QueueMap, StackMap, BloomFilter, DevMap, DevMapHash, CpuMap, XskMap, ArrayOfMaps, HashOfMaps, HashMap, ArrayMap,
  SockMap, CgroupStorage, PerCpuCgroupStorage, StackTrace, StackIdFlag, UserRingBuf, PushFlag,
  struct, bpf, u8, u32, u64, i64, type Infer,
} from '@lockne/kernel';\n`;

function objectOf(src: string): Uint8Array {
  const r = compile('/virtual/maps-more.bpf.ts', { source: HEAD + src });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return r.object!;
}

function diagnosticsOf(src: string): string[] {
  return compile('/virtual/maps-more.bpf.ts', { source: HEAD + src }).diagnostics.map(formatDiagnostic);
}

const PACKET = new Uint8Array(64).fill(7);

test('QueueMap / StackMap: the program pushes, userspace pops; userspace pushes, the program pops and peeks', (t) => {
  if (skipUnless(t, needRoot())) return;
  const outbox = QueueMap.create({ value: u32, maxEntries: 8 });
  const inbox = QueueMap.create({ value: u32, maxEntries: 8 });
  const lifo = StackMap.create({ value: u64, maxEntries: 8 });
  const obj = BpfObject.load(objectOf(`
export const outbox = new QueueMap<u32>({ maxEntries: 8, value: u32 });
export const inbox = new QueueMap<u32>({ maxEntries: 8, value: u32 });
export const lifo = new StackMap<u64>({ maxEntries: 8, value: u64 });
/** 0: what pop() gave (+1000 when empty), 1: what peek() gave. */
export const got = new ArrayMap<u32>({ maxEntries: 2, value: u32 });
export const run = xdp((ctx) => {
  const n = outbox.push(ctx.ingressIfindex + 100);
  lifo.push(u64(ctx.rxQueueIndex) + 5n, PushFlag.EXIST);
  const top = lifo.peek();
  const seen = inbox.peek();
  const v = inbox.pop();
  const g0 = got.lookup(0);
  if (g0 !== null) g0.value = v !== null ? v.value : 1000;
  const g1 = got.lookup(1);
  if (g1 !== null && seen !== null && top !== null) g1.value = seen.value + u32(top.value) * 0;
  return n === 0n ? XdpAction.PASS : XdpAction.DROP;
});
`), { requireBtf: true, mapReplacements: { outbox, inbox, lifo } as never });
  try {
    const run = obj.program('run');
    inbox.push(41);
    inbox.push(42);
    assert.equal(run.testRun({ data: PACKET }).retval, 2, 'push into the empty outbox succeeded');
    const got = obj.map<number, number>('got');
    assert.equal(got.get(0), 41, 'the program popped the first value userspace pushed (FIFO)');
    assert.equal(got.get(1), 41, 'peek before pop saw the same value');
    assert.equal(inbox.pop(), 42, 'one value left for userspace');
    assert.equal(run.testRun({ data: PACKET }).retval, 2);
    assert.equal(got.get(0), 1000, 'pop on an empty queue is null');
    // test-run's xdp_md has ingress_ifindex 1 (lo) and rx_queue_index 0.
    assert.deepEqual(outbox.drain(), [101, 101], 'userspace pops what the program pushed, in order');
    assert.deepEqual(lifo.drain(), [5n, 5n], 'the stack holds the program\'s pushes');
    for (let i = 0; i < 8; i++) outbox.push(i);
    assert.equal(run.testRun({ data: PACKET }).retval, 1, 'push into a full queue fails (-E2BIG) without PushFlag.EXIST');
  } finally {
    obj.close();
    outbox.close();
    inbox.close();
    lifo.close();
  }
});

test('BloomFilter: has() is false for an absent value, true once the program (or userspace) added it', (t) => {
  if (skipUnless(t, needRoot())) return;
  const seen = BloomFilter.create({ value: u32, maxEntries: 64 });
  const obj = BpfObject.load(objectOf(`
export const seen = new BloomFilter<u32>({ maxEntries: 64, value: u32 });
export const run = xdp((ctx) => {
  const key = u32(ctx.rxQueueIndex) + 77;
  if (seen.has(key)) return XdpAction.DROP;
  if (seen.has(500)) return XdpAction.TX;
  seen.push(key);
  return XdpAction.PASS;
});
`), { requireBtf: true, mapReplacements: { seen } as never });
  try {
    const run = obj.program('run');
    assert.equal(run.testRun({ data: PACKET }).retval, 2, 'first run: 77 absent, added');
    assert.equal(seen.has(77), true, 'userspace sees the program\'s value');
    assert.equal(run.testRun({ data: PACKET }).retval, 1, 'second run: 77 present');
    seen.add(500);
    assert.equal(seen.has(500), true);
  } finally {
    obj.close();
    seen.close();
  }
});

test('BloomFilter hashes: written as map_extra, and the kernel creates the map with that many hash functions', (t) => {
  if (skipUnless(t, needRoot())) return;
  const src = `
export const three = new BloomFilter<u32>({ maxEntries: 64, value: u32, hashes: 3 });
export const dflt = new BloomFilter<u32>({ maxEntries: 64, value: u32 });
export const run = xdp((ctx) => { three.push(1); dflt.push(1); return three.has(1) && dflt.has(1) ? XdpAction.PASS : XdpAction.DROP; });
`;
  const obj = BpfObject.load(objectOf(src), { requireBtf: true });
  try {
    assert.equal(obj.map('three').info().mapExtra, 3n, 'map_extra 3');
    assert.equal(obj.map('dflt').info().mapExtra, 0n, 'no hashes: map_extra 0 (the kernel uses 5)');
    assert.equal(obj.program('run').testRun({ data: PACKET }).retval, 2);
  } finally {
    obj.close();
  }
  assert.match(diagnosticsOf(`export const b = new BloomFilter<u32>({ maxEntries: 8, value: u32, hashes: 16 });`)[0] ?? '', /LK4005 BloomFilter 'b': hashes must be a constant 0\.\.15/);
});

test('DevMap / DevMapHash / CpuMap / XskMap.redirect: XDP_REDIRECT for a filled slot, the fallback action for an empty one', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectOf(`
export const ports = new DevMap({ maxEntries: 4 });
export const byIf = new DevMapHash({ maxEntries: 4 });
export const cpus = new CpuMap({ maxEntries: 2 });
export const xsks = new XskMap({ maxEntries: 2 });
/** Which slot (or map) the packet's first byte picks. */
export const run = xdp((ctx) => {
  const p = ctx.header(struct('pick', { which: u8, slot: u8 }), 0);
  if (p === null) return XdpAction.ABORTED;
  if (p.which === 0) return ports.redirect(u32(p.slot), XdpAction.PASS);
  if (p.which === 1) return byIf.redirect(u32(p.slot), XdpAction.DROP);
  if (p.which === 2) return cpus.redirect(u32(p.slot), XdpAction.TX);
  return xsks.redirect(u32(p.slot), XdpAction.PASS);
});
`), { requireBtf: true });
  try {
    obj.map<number, number>('ports').set(1, 1);
    obj.map<number, number>('byIf').set(1, 1);
    obj.map<number, number>('cpus').set(0, 192);
    const run = (which: number, slot: number): number => {
      const data = new Uint8Array(64);
      data[0] = which;
      data[1] = slot;
      return obj.program('run').testRun({ data }).retval;
    };
    assert.equal(run(0, 1), 4, 'devmap slot 1 = lo: XDP_REDIRECT');
    assert.equal(run(0, 2), 2, 'devmap slot 2 empty: the fallback XDP_PASS');
    assert.equal(run(0, 9), 2, 'beyond max_entries: the fallback');
    assert.equal(run(1, 1), 4, 'devmap hash key 1 (ifindex of lo): XDP_REDIRECT');
    assert.equal(run(1, 3), 1, 'devmap hash missing key: the fallback XDP_DROP');
    assert.equal(run(2, 0), 4, 'cpumap CPU 0 with a queue: XDP_REDIRECT');
    assert.equal(run(2, 1), 3, 'cpumap slot without a queue: the fallback XDP_TX');
    assert.equal(run(3, 0), 2, 'xskmap without a socket: the fallback XDP_PASS');
  } finally {
    obj.close();
  }
});

test('ArrayOfMaps / HashOfMaps: the program reads and writes through the inner map userspace inserted', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectOf(`
export const Pair = struct('pair', { a: u32, b: u32 });
export const tables = new ArrayOfMaps({ maxEntries: 2, inner: new HashMap<u32, u64>({ maxEntries: 8, key: u32, value: u64 }) });
export const named = new HashOfMaps<u32, ArrayMap<Infer<typeof Pair>>>({ maxEntries: 4, key: u32, inner: new ArrayMap<Infer<typeof Pair>>({ maxEntries: 2, value: Pair }) });
export const out = new ArrayMap<u64>({ maxEntries: 4, value: u64 });
export const run = xdp((ctx) => {
  const o = out.lookup(0);
  const o1 = out.lookup(1);
  if (o === null || o1 === null) return XdpAction.ABORTED;
  const t = tables.lookup(1);
  if (t === null) { o.value = 999n; return XdpAction.PASS; }
  const v = t.lookup(5);
  o.value = v !== null ? v.value : 404n;
  t.update(6, 66n);
  t.delete(7);
  const arr = named.lookup(0xabc);
  if (arr === null) { o1.value = 999n; return XdpAction.PASS; }
  const p = arr.lookup(1);
  if (p !== null) { o1.value = u64(p.value.a + p.value.b); p.value.a = 100; }
  arr.update(0, { a: 3, b: 4 });
  return XdpAction.DROP;
});
`), { requireBtf: true });
  const inner = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: 8 });
  const innerArr = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 2 });
  try {
    const run = obj.program('run');
    const out = obj.map<number, bigint>('out');
    assert.equal(run.testRun({ data: PACKET }).retval, 2);
    assert.equal(out.get(0), 999n, 'empty outer slot: lookup is null');
    inner.set(5, 55n);
    inner.set(7, 77n);
    obj.map<number, number>('tables').set(1, inner.fd);
    assert.equal(run.testRun({ data: PACKET }).retval, 2);
    assert.equal(out.get(0), 55n, 'value read through the inner map');
    assert.equal(inner.get(6), 66n, 'update through the inner map');
    assert.equal(inner.get(7), undefined, 'delete through the inner map');
    assert.equal(out.get(1), 999n, 'hash of maps without the key: null');
    innerArr.set(1, (9n << 32n) | 2n); // { a: 2, b: 9 }
    obj.map<number, number>('named').set(0xabc, innerArr.fd);
    assert.equal(run.testRun({ data: PACKET }).retval, 1);
    assert.equal(out.get(1), 11n, 'struct value read through a hash of maps');
    assert.equal(innerArr.get(1), (9n << 32n) | 100n, 'field written through the inner pointer');
    assert.equal(innerArr.get(0), (4n << 32n) | 3n, 'struct update through the inner map');
  } finally {
    obj.close();
    inner.close();
    innerArr.close();
  }
});

test('CgroupStorage / PerCpuCgroupStorage.get(): the value persists across runs of a cgroup_skb program', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectOf(`
export const runs = new CgroupStorage<u64>({ value: u64 });
export const perCpu = new PerCpuCgroupStorage<u64>({ value: u64 });
export const out = new ArrayMap<u64>({ maxEntries: 2, value: u64 });
export const count = cgroupSkb('egress', (ctx) => {
  const r = runs.get();
  r.value += 1n;
  perCpu.get().value += u64(ctx.len);
  const o = out.lookup(0);
  if (o !== null) o.value = r.value;
  const o1 = out.lookup(1);
  if (o1 !== null) o1.value = perCpu.get().value;
  return CgroupVerdict.ALLOW;
});
`), { requireBtf: true });
  try {
    // A test run gets its own storage for the run, kept across repeats.
    const r = obj.program('count').testRun({ data: PACKET, repeat: 3 });
    assert.equal(r.retval, 1);
    assert.equal(obj.map<number, bigint>('out').get(0), 3n, 'three increments of one storage value');
    // cgroup_skb sees the packet from its network header: 64 - 14 bytes.
    assert.equal(obj.map<number, bigint>('out').get(1), 3n * 50n, 'per-CPU value: 3 × 50 bytes');
  } finally {
    obj.close();
  }
});

test('StackTrace.getStackId in a tracepoint: the stack of an exec is stored under its id', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectOf(`
export const stacks = new StackTrace({ maxEntries: 64, depth: 32 });
export const ids = new HashMap<u32, i64>({ maxEntries: 256, key: u32, value: i64 });
export const onExec = tracepoint('sched', 'sched_process_exec', (ctx) => {
  ids.update(u32(bpf.getCurrentPidTgid() >> 32n), stacks.getStackId(ctx, StackIdFlag.KERNEL));
  return 0;
});
`), { requireBtf: true });
  try {
    const link = obj.program('onExec').attach();
    let pid: number;
    try {
      const r = spawnSync('/bin/true');
      assert.equal(r.status, 0);
      pid = r.pid!;
    } finally {
      link.close();
    }
    const id = obj.map<number, bigint>('ids').get(pid);
    assert.ok(id !== undefined && id >= 0n, `a stack id for the exec (got ${id})`);
    const frames = obj.map<number, bigint[]>('stacks').get(Number(id));
    assert.ok(Array.isArray(frames) && frames.length === 32, 'the value is 32 frames');
    const used = frames.filter((ip) => ip !== 0n);
    assert.ok(used.length >= 3, `kernel frames recorded (${used.length})`);
    assert.ok(used.every((ip) => ip >= 0xffff000000000000n), 'kernel addresses');
  } finally {
    obj.close();
  }
});

test('SockMap: sockops adds established sockets, sk_msg redirects a send to another socket\'s receive queue', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectOf(`
export const socks = new SockMap({ maxEntries: 4 });
export const ports = new HashMap<u32, u32>({ maxEntries: 8, key: u32, value: u32 });
export const add = sockOps((ctx) => {
  // The client side (active open) goes to slot 0, the accepted side to slot 1.
  if (ctx.op === SockOp.ACTIVE_ESTABLISHED) { socks.update(ctx, 0); ports.update(0, ctx.localPort); }
  if (ctx.op === SockOp.PASSIVE_ESTABLISHED) { socks.update(ctx, 1); ports.update(1, ctx.localPort); }
  return 1;
});
export const bounce = skMsg((ctx) => socks.redirect(ctx, 0, SockRedirectFlag.INGRESS));
`), { requireBtf: true });
  const cg = createCgroup(`lk${process.pid}sockmap`);
  const server = net.createServer();
  const sockets: net.Socket[] = [];
  try {
    const links = [obj.program('add').attach({ cgroup: cg }), obj.program('bounce').attach({ map: obj.map('socks') })];
    try {
      // sock_ops runs for sockets of processes in the cgroup: move ourselves there while connecting.
      const fs = await import('node:fs');
      const root = cg.split('/').slice(0, -1).join('/');
      fs.writeFileSync(`${cg}/cgroup.procs`, String(process.pid));
      try {
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const port = (server.address() as net.AddressInfo).port;
        const accepted = once(server, 'connection');
        const client = net.connect(port, '127.0.0.1');
        sockets.push(client);
        await once(client, 'connect');
        const [peer] = (await accepted) as [net.Socket];
        sockets.push(peer);
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(obj.map<number, number>('ports').get(0), client.localPort, 'sockops saw the active open');
        assert.equal(obj.map<number, number>('ports').get(1), port, 'sockops saw the passive open');
        // The peer's send is redirected (ingress) to slot 0, the client itself: the client reads it.
        const data = once(client, 'data');
        peer.write('hello');
        const [got] = (await data) as [Buffer];
        assert.equal(got.toString(), 'hello');
      } finally {
        fs.writeFileSync(`${root}/cgroup.procs`, String(process.pid));
      }
    } finally {
      for (const l of links) l.close();
    }
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
    obj.close();
    removeCgroup(cg);
  }
});

test('declarations without kernel-side methods compile and load; their methods report LK6001', (t) => {
  const diags = diagnosticsOf(`
export const commands = new UserRingBuf({ size: 4096 });
export const run = xdp((ctx) => { commands.drain((r: unknown, c: u32) => 0, u32(0)); return XdpAction.PASS; });
`);
  assert.equal(diags.length, 1);
  assert.match(diags[0]!, /LK6001.*UserRingBuf 'commands'\.drain\(\): bpf_user_ringbuf_drain/);
  const outside = diagnosticsOf(`
export const ports = new DevMap({ maxEntries: 4 });
export const p = cgroupSkb('egress', (ctx) => { ports.redirect(0); return CgroupVerdict.ALLOW; });
`);
  assert.equal(outside.length, 1);
  assert.match(outside[0]!, /LK6001.*DevMap 'ports'\.redirect is not available in cgroupSkb programs \(only xdp\)/);
  const unchecked = diagnosticsOf(`
export const tables = new ArrayOfMaps({ maxEntries: 2, inner: new HashMap<u32, u64>({ maxEntries: 8, key: u32, value: u64 }) });
export const run = xdp((ctx) => { const t = tables.lookup(0); (t as NonNullable<typeof t>).lookup(1); return XdpAction.PASS; });
`);
  assert.equal(unchecked.length, 1);
  assert.match(unchecked[0]!, /LK3001.*may be null/);
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectOf(`
export const commands = new UserRingBuf({ size: 4096 });
export const run = xdp((ctx) => XdpAction.PASS);
`), { requireBtf: true });
  try {
    assert.equal(obj.map('commands').info().type, 31, 'BPF_MAP_TYPE_USER_RINGBUF created');
  } finally {
    obj.close();
  }
});
