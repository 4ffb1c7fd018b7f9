// Hash-family and array maps against the real kernel: programs and user space
// see each other's writes, LRU eviction order, per-CPU values, LPM matching,
// update flags, freeze, lookup-and-delete, opening maps by fd and id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { assemble } from '@lockne/obj';
import {
  ArgumentError, ArrayMap, BpfMap, Errno, HashMap, LpmTrieMap, LruHashMap, LruPerCpuHashMap, PerCpuArrayMap,
  PerCpuHashMap, Program, SyscallError, UpdateFlags, ipv4Prefix, ipv6Prefix, lpmKey, mapFdById, parseCpuList,
  possibleCpus, struct, u16be, u32, u64, u8, ipv4,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const TEST_RUN_ON_CPU = 1;

/** `*(key) += 1` on a u64 value via lookup + atomic add; returns 1 if the key was found. */
function counterProgram(mapFd: number, key: number): Program {
  return Program.load({
    type: 'SCHED_CLS',
    name: 'lk_count',
    instructions: assemble(`
      *(u32 *)(r10 - 4) = ${key}
      r1 = map[m] ll
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      if r0 == 0 goto miss
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
      r0 = 1
      exit
    miss:
      r0 = 0
      exit`, { maps: { m: mapFd } }),
  });
}

/** A RAW_TRACEPOINT program: the only kind BPF_F_TEST_RUN_ON_CPU runs on a chosen CPU. */
function onCpu(prog: Program, cpu: number): void {
  prog.testRun({ repeat: 0, flags: TEST_RUN_ON_CPU, cpu, ctxOutSize: 0 });
}

test('hash: a program counts into a value user space set, and inserts a key user space reads', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = HashMap.create({ key: u32, value: u64, maxEntries: 16, name: 'lk_counts' });
  const count = counterProgram(m.fd, 7);
  const insert = Program.load({
    type: 'SCHED_CLS',
    instructions: assemble(`
      *(u32 *)(r10 - 4) = 8
      r1 = 42
      *(u64 *)(r10 - 16) = r1
      r1 = map[m] ll
      r2 = r10
      r2 += -4
      r3 = r10
      r3 += -16
      r4 = 1 // BPF_NOEXIST
      call bpf_map_update_elem
      exit`, { maps: { m: m.fd } }),
  });
  try {
    assert.equal(count.testRun({ data: new Uint8Array(64) }).retval, 0, 'key 7 is absent at first');
    m.set(7, 0n);
    assert.equal(count.testRun({ data: new Uint8Array(64), repeat: 100 }).retval, 1);
    assert.equal(m.get(7), 100n);
    assert.equal(insert.testRun({ data: new Uint8Array(64) }).retval, 0);
    assert.equal(m.get(8), 42n);
    assert.equal(insert.testRun({ data: new Uint8Array(64) }).retval | 0, -Errno.EEXIST, 'the program sees NOEXIST too');
    assert.deepEqual(new Map(m.entries()), new Map([[7, 100n], [8, 42n]]));
  } finally {
    count.close();
    insert.close();
    m.close();
  }
});

test('update flags: NOEXIST and EXIST fail with EEXIST/ENOENT; bad combinations fail before the syscall', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = HashMap.create({ key: u32, value: u32, maxEntries: 2, name: 'lk_flags' });
  try {
    m.set(1, 10, UpdateFlags.NOEXIST);
    assert.throws(() => m.set(1, 11, UpdateFlags.NOEXIST), (e: unknown) => {
      assert.ok(e instanceof SyscallError);
      assert.equal(e.code, 'EEXIST');
      assert.equal(e.syscall, 'BPF_MAP_UPDATE_ELEM');
      assert.match(e.message, /BPF_MAP_UPDATE_ELEM failed: EEXIST \(map 'lk_flags' \(NOEXIST\)\)/);
      return true;
    });
    assert.throws(() => m.set(2, 20, UpdateFlags.EXIST), (e: unknown) => e instanceof SyscallError && e.code === 'ENOENT');
    m.set(1, 12, UpdateFlags.EXIST);
    assert.equal(m.get(1), 12);
    m.set(2, 20);
    assert.throws(() => m.set(3, 30), (e: unknown) => e instanceof SyscallError && e.code === 'E2BIG', 'full');
    assert.throws(() => m.set(1, 1, UpdateFlags.NOEXIST | UpdateFlags.EXIST), (e: unknown) => e instanceof ArgumentError && /NOEXIST and EXIST exclude each other/.test(e.message));
    assert.throws(() => m.set(1, 1, 8), /update flags 0x8 are not a combination/);
    // F_LOCK needs a bpf_spin_lock in the value (BTF): the kernel refuses it here.
    assert.throws(() => m.set(1, 1, UpdateFlags.F_LOCK), (e: unknown) => e instanceof SyscallError && e.code === 'EINVAL');
  } finally {
    m.close();
  }
});

test('lookupAndDelete returns the value and removes it', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = HashMap.create({ key: u32, value: u64, maxEntries: 4 });
  try {
    m.set(1, 5n);
    assert.equal(m.lookupAndDelete(1), 5n);
    assert.equal(m.get(1), undefined);
    assert.equal(m.lookupAndDelete(1), undefined);
    assert.equal(m.has(1), false);
  } finally {
    m.close();
  }
});

test('freeze: user-space updates fail with EPERM, programs still write', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = HashMap.create({ key: u32, value: u64, maxEntries: 4, name: 'lk_frozen' });
  const prog = counterProgram(m.fd, 1);
  try {
    m.set(1, 0n);
    m.freeze();
    assert.throws(() => m.set(1, 5n), (e: unknown) => {
      assert.ok(e instanceof SyscallError);
      assert.equal(e.code, 'EPERM');
      assert.match(e.message, /BPF_MAP_UPDATE_ELEM failed: EPERM \(map 'lk_frozen'\)/);
      return true;
    });
    assert.throws(() => m.delete(1), (e: unknown) => e instanceof SyscallError && e.code === 'EPERM');
    // Freezing again: the fd lost write permission with the first freeze.
    assert.throws(() => m.freeze(), (e: unknown) => e instanceof SyscallError && e.syscall === 'BPF_MAP_FREEZE' && e.code === 'EPERM');
    prog.testRun({ data: new Uint8Array(64), repeat: 3 });
    assert.equal(m.get(1), 3n);
  } finally {
    prog.close();
    m.close();
  }
});

test('BpfMap.fromFd / fromId open the same map with the kernel\'s sizes', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = HashMap.create({ key: u32, value: u64, maxEntries: 4, name: 'lk_byid' });
  try {
    m.set(3, 33n);
    const byId = BpfMap.fromId(m.id, { key: u32, value: u64 });
    try {
      assert.equal(byId.get(3), 33n);
      assert.equal(byId.name, 'lk_byid');
      assert.equal(byId.type, m.type);
      assert.equal(byId.maxEntries, 4);
      byId.set(4, 44n);
      assert.equal(m.get(4), 44n);
    } finally {
      byId.close();
    }
    const raw = BpfMap.fromFd(mapFdById(m.id));
    try {
      assert.equal(raw.keySize, 4);
      assert.equal(raw.valueSize, 8);
      assert.deepEqual(raw.get(new Uint8Array([3, 0, 0, 0])), new Uint8Array([33, 0, 0, 0, 0, 0, 0, 0]));
    } finally {
      raw.close();
    }
    assert.throws(() => BpfMap.fromId(0x7ffffff0), (e: unknown) => e instanceof SyscallError && e.code === 'ENOENT' && /map id 2147483632/.test(e.message));
  } finally {
    m.close();
  }
});

test('array: every index exists, out-of-range is E2BIG, delete is EINVAL; mmapable values are shared memory', (t) => {
  if (skipUnless(t, needRoot())) return;
  const flow = struct({ addr: ipv4, port: u16be, proto: u8 });
  const a = ArrayMap.create({ value: flow, maxEntries: 3, name: 'lk_array' });
  const mm = ArrayMap.create({ value: u32, maxEntries: 1000, mmapable: true, name: 'lk_mmap' });
  try {
    assert.deepEqual([...a.keys()], [0, 1, 2]);
    assert.deepEqual(a.get(1), { addr: '0.0.0.0', port: 0, proto: 0 });
    a.set(1, { addr: '10.1.2.3', port: 443, proto: 6 });
    assert.deepEqual(a.get(1), { addr: '10.1.2.3', port: 443, proto: 6 });
    assert.equal(a.get(3), undefined);
    assert.throws(() => a.set(3, { addr: '1.1.1.1', port: 1, proto: 1 }), (e: unknown) => e instanceof SyscallError && e.code === 'E2BIG');
    assert.throws(() => a.delete(0), (e: unknown) => e instanceof SyscallError && e.code === 'EINVAL' && e.syscall === 'BPF_MAP_DELETE_ELEM');
    assert.throws(() => a.set(0, { addr: '1.1.1.1', port: 1, proto: 1 }, UpdateFlags.NOEXIST), (e: unknown) => e instanceof SyscallError && e.code === 'EEXIST');
    const mem = new DataView(mm.mmap());
    mem.setUint32(999 * 8, 0xdeadbeef, true); // elements are 8-byte aligned
    assert.equal(mm.get(999), 0xdeadbeef);
    mm.set(5, 77);
    assert.equal(mem.getUint32(5 * 8, true), 77);
  } finally {
    a.close();
    mm.close();
  }
});

test('LRU hash evicts the least recently used element (used = touched by a program)', (t) => {
  if (skipUnless(t, needRoot())) return;
  // All inserts and lookups happen in one program run on one CPU, as the
  // kernel's own LRU selftest pins itself: the LRU lists are per CPU-cached.
  const run = (touchOne: boolean): bigint[] => {
    const m = LruHashMap.create({ key: u64, value: u64, maxEntries: 2, name: 'lk_lru' });
    const update = (k: number) => `
      *(u64 *)(r10 - 8) = ${k}
      *(u64 *)(r10 - 16) = ${k * 100}
      r1 = map[m] ll
      r2 = r10
      r2 += -8
      r3 = r10
      r3 += -16
      r4 = 0
      call bpf_map_update_elem`;
    const lookup = (k: number) => `
      *(u64 *)(r10 - 8) = ${k}
      r1 = map[m] ll
      r2 = r10
      r2 += -8
      call bpf_map_lookup_elem`;
    const src = [update(1), update(2), touchOne ? lookup(1) : '', update(3), 'r0 = 0', 'exit'].join('\n');
    const p = Program.load({ type: 'RAW_TRACEPOINT', instructions: assemble(src, { maps: { m: m.fd } }) });
    try {
      onCpu(p, 0);
      // User-space lookups do not count as use: read freely.
      return [...m.keys()].sort((x, y) => Number(x - y));
    } finally {
      p.close();
      m.close();
    }
  };
  assert.deepEqual(run(false), [2n, 3n], 'untouched: the oldest (1) goes');
  assert.deepEqual(run(true), [1n, 3n], 'key 1 was used after key 2 was inserted: key 2 goes');
});

test('per-CPU maps: a program run on each CPU leaves a different value per CPU', (t) => {
  if (skipUnless(t, needRoot())) return;
  const cpus = possibleCpus();
  const online = new Set(parseCpuList(fs.readFileSync('/sys/devices/system/cpu/online', 'utf8')));
  const arr = PerCpuArrayMap.create({ value: u64, maxEntries: 1, name: 'lk_pcpu_arr' });
  const hash = PerCpuHashMap.create({ key: u32, value: u64, maxEntries: 4, name: 'lk_pcpu_hash' });
  const lru = LruPerCpuHashMap.create({ key: u32, value: u64, maxEntries: 4, name: 'lk_pcpu_lru' });
  const maps = [arr, hash, lru];
  const progs = maps.map((m) => Program.load({
    type: 'RAW_TRACEPOINT',
    instructions: assemble(`
      *(u32 *)(r10 - 4) = 0
      r1 = map[m] ll
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      if r0 == 0 goto out
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
    out:
      r0 = 0
      exit`, { maps: { m: m.fd } }),
  }));
  try {
    hash.setAll(0, 0n);
    lru.setAll(0, 0n);
    assert.deepEqual(hash.get(0), cpus.map(() => 0n));
    // CPU at position i runs the program i+1 times.
    const expect = cpus.map((cpu, i) => (online.has(cpu) ? BigInt(i + 1) : 0n));
    cpus.forEach((cpu, i) => {
      if (!online.has(cpu)) return;
      for (let n = 0; n <= i; n++) for (const p of progs) onCpu(p, cpu);
    });
    for (const m of maps) assert.deepEqual(m.get(0), expect, m.name);
    if (cpus.length > 1) assert.notEqual(expect[0], expect[1]);
    // Writing per-CPU values from user space sets each CPU's copy.
    hash.set(1, cpus.map((_, i) => BigInt(i * 10)));
    assert.deepEqual(hash.get(1), cpus.map((_, i) => BigInt(i * 10)));
    assert.throws(() => hash.set(2, [1n]), (e: unknown) => e instanceof ArgumentError && /one per possible CPU/.test(e.message));
    assert.equal(hash.valueBufferSize(), 8 * cpus.length);
    assert.throws(() => BpfMap.create({ type: 'PERCPU_HASH', key: u32, value: u64, maxEntries: 1 }), /use PerCpuHashMap/);
  } finally {
    for (const p of progs) p.close();
    for (const m of maps) m.close();
  }
});

test('LPM trie: the longest stored prefix wins', (t) => {
  if (skipUnless(t, needRoot())) return;
  const v4 = LpmTrieMap.create({ key: ipv4Prefix, value: u32, maxEntries: 16, name: 'lk_lpm4' });
  const v6 = LpmTrieMap.create({ key: ipv6Prefix, value: u32, maxEntries: 16, name: 'lk_lpm6' });
  const custom = LpmTrieMap.create({ key: lpmKey(u32), value: u8, maxEntries: 4 });
  try {
    v4.set('10.0.0.0/8', 8);
    v4.set('10.1.0.0/16', 16);
    v4.set('0.0.0.0/0', 0);
    assert.equal(v4.get('10.1.2.3'), 16);
    assert.equal(v4.get('10.2.0.1'), 8);
    assert.equal(v4.get('192.168.0.1'), 0);
    assert.equal(v4.get('10.1.0.0/16'), 16, 'an exact prefix matches itself');
    assert.equal(v4.delete('10.1.0.0/16'), true);
    assert.equal(v4.get('10.1.2.3'), 8, 'after delete the next longest matches');
    assert.deepEqual(new Set(v4.keys()), new Set(['10.0.0.0/8', '0.0.0.0/0']));
    v6.set('2001:db8::/32', 32);
    v6.set('2001:db8:1::/48', 48);
    assert.equal(v6.get('2001:db8:1::5'), 48);
    assert.equal(v6.get('2001:db8:2::5'), 32);
    assert.equal(v6.get('2001:db9::1'), undefined);
    custom.set({ prefixlen: 8, data: 0xff }, 1);
    assert.equal(custom.get({ prefixlen: 32, data: 0x123456ff }), 1, 'host-order data: the low byte comes first');
    assert.equal(v4.flags & 1, 1, 'BPF_F_NO_PREALLOC is set for the kernel');
    assert.throws(() => LpmTrieMap.create({ key: u32, value: u32, maxEntries: 1 }), /an LPM key is a u32 prefix length plus at least one data byte/);
  } finally {
    v4.close();
    v6.close();
    custom.close();
  }
});
