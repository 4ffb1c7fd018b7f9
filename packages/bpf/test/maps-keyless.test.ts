// Maps without keys: queue (FIFO), stack (LIFO), bloom filter (membership).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '@lockne/obj';
import { ArgumentError, BloomFilter, Errno, Program, QueueMap, StackMap, SyscallError, struct, u32, u64 } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

test('queue: FIFO order, ENOENT-as-undefined when empty, E2BIG when full unless overwriting', (t) => {
  if (skipUnless(t, needRoot())) return;
  const q = QueueMap.create({ value: struct({ id: u32, at: u64 }), maxEntries: 3, name: 'lk_queue' });
  try {
    assert.equal(q.pop(), undefined);
    assert.equal(q.peek(), undefined);
    q.push({ id: 1, at: 10n });
    q.push({ id: 2, at: 20n });
    q.push({ id: 3, at: 30n });
    assert.throws(() => q.push({ id: 4, at: 40n }), (e: unknown) => e instanceof SyscallError && e.code === 'E2BIG');
    assert.deepEqual(q.peek(), { id: 1, at: 10n }, 'peek does not remove');
    q.push({ id: 4, at: 40n }, { overwrite: true }); // drops the oldest (1)
    assert.deepEqual(q.drain().map((v) => v.id), [2, 3, 4]);
    assert.equal(q.pop(), undefined);
    assert.deepEqual(q.info().keySize, 0);
    assert.throws(() => q.set(1 as unknown as null, { id: 1, at: 1n }), (e: unknown) => e instanceof ArgumentError && /this map has no key/.test(e.message));
  } finally {
    q.close();
  }
});

test('stack: LIFO order', (t) => {
  if (skipUnless(t, needRoot())) return;
  const s = StackMap.create({ value: u32, maxEntries: 8, name: 'lk_stack' });
  try {
    for (const v of [1, 2, 3]) s.push(v);
    assert.equal(s.peek(), 3);
    assert.equal(s.pop(), 3);
    s.push(4);
    assert.deepEqual(s.drain(), [4, 2, 1]);
    assert.equal(s.pop(), undefined);
  } finally {
    s.close();
  }
});

test('queue: values a program pushes come out in order in user space, and back', (t) => {
  if (skipUnless(t, needRoot())) return;
  const q = QueueMap.create({ value: u32, maxEntries: 16, name: 'lk_queue_prog' });
  const push = (v: number) => Program.load({
    type: 'SCHED_CLS',
    instructions: assemble(`
      *(u32 *)(r10 - 4) = ${v}
      r1 = map[q] ll
      r2 = r10
      r2 += -4
      r3 = 0
      call bpf_map_push_elem
      exit`, { maps: { q: q.fd } }),
  });
  const pop = Program.load({
    type: 'SCHED_CLS',
    instructions: assemble(`
      r1 = map[q] ll
      r2 = r10
      r2 += -4
      call bpf_map_pop_elem
      if r0 != 0 goto empty
      r0 = *(u32 *)(r10 - 4)
      exit
    empty:
      r0 = 999
      exit`, { maps: { q: q.fd } }),
  });
  const p7 = push(7);
  const p8 = push(8);
  try {
    assert.equal(p7.testRun({ data: new Uint8Array(64) }).retval, 0);
    assert.equal(p8.testRun({ data: new Uint8Array(64) }).retval, 0);
    q.push(9);
    assert.deepEqual(q.drain(), [7, 8, 9]);
    q.push(5);
    q.push(6);
    assert.equal(pop.testRun({ data: new Uint8Array(64) }).retval, 5);
    assert.equal(pop.testRun({ data: new Uint8Array(64) }).retval, 6);
    assert.equal(pop.testRun({ data: new Uint8Array(64) }).retval, 999, 'empty: bpf_map_pop_elem fails');
  } finally {
    p7.close();
    p8.close();
    pop.close();
    q.close();
  }
});

test('bloom filter: no false negatives for 1000 values, few false positives; programs query it too', (t) => {
  if (skipUnless(t, needRoot())) return;
  const b = BloomFilter.create({ value: u64, maxEntries: 1000, name: 'lk_bloom' });
  const query = Program.load({
    type: 'SCHED_CLS',
    instructions: assemble(`
      r1 = 0x123456789 ll
      *(u64 *)(r10 - 8) = r1
      r1 = map[b] ll
      r2 = r10
      r2 += -8
      call bpf_map_peek_elem
      exit`, { maps: { b: b.fd } }),
  });
  try {
    assert.equal(query.testRun({ data: new Uint8Array(64) }).retval | 0, -Errno.ENOENT, 'not added yet');
    const added = Array.from({ length: 1000 }, (_, i) => BigInt(i) * 2654435761n + 17n);
    for (const v of added) b.add(v);
    for (const v of added) assert.equal(b.has(v), true, `false negative for ${v}`);
    let falsePositives = 0;
    for (let i = 0; i < 1000; i++) if (b.has(BigInt(i) * 2654435761n + 18n)) falsePositives++;
    assert.ok(falsePositives < 100, `${falsePositives}/1000 false positives`);
    b.add(0x123456789n);
    assert.equal(query.testRun({ data: new Uint8Array(64) }).retval, 0, 'the program finds what user space added');
    assert.equal(b.info().mapExtra, 0n);
    assert.throws(() => BloomFilter.create({ value: u32, maxEntries: 1, hashes: 16 }), /hashes 16 is not in 1\.\.15/);
    const b3 = BloomFilter.create({ value: u32, maxEntries: 10, hashes: 3 });
    try {
      assert.equal(b3.info().mapExtra, 3n);
    } finally {
      b3.close();
    }
  } finally {
    query.close();
    b.close();
  }
});
