// Ring buffers (creation and mmap layout: reading records is events/'s job)
// and arenas (memory shared by user space and programs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '@lockne/obj';
import { ArenaMap, ArgumentError, Errno, Program, RingBufMap, SyscallError, UserRingBufMap, native, type RingRegion } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const MAP_SHARED = 1;
const PROT_WRITE = 2;
const page = native.pageSize();

function mapRegion(fd: number, r: RingRegion): ArrayBuffer {
  const buf = native.mmap(fd, r.length, r.prot, MAP_SHARED, r.offset);
  if (typeof buf === 'number') throw new SyscallError('mmap', -buf);
  return buf;
}

test('ring buffer: size rules, the mmap layout, and a record a program outputs', (t) => {
  if (skipUnless(t, needRoot())) return;
  for (const bad of [1000, page + 1, 3 * page, 0]) {
    assert.throws(() => RingBufMap.create({ size: bad }), (e: unknown) => e instanceof ArgumentError && /must be a power of two and at least one page/.test(e.message));
  }
  const rb = RingBufMap.create({ size: 4 * page, name: 'lk_ringbuf' });
  const prog = Program.load({
    type: 'SCHED_CLS',
    instructions: assemble(`
      r1 = 0xfeedface ll
      *(u64 *)(r10 - 8) = r1
      r1 = map[rb] ll
      r2 = r10
      r2 += -8
      r3 = 8
      r4 = 0
      call bpf_ringbuf_output
      exit`, { maps: { rb: rb.fd } }),
  });
  let consumer: ArrayBuffer | undefined;
  let producer: ArrayBuffer | undefined;
  try {
    const l = rb.layout;
    assert.deepEqual(l, {
      pageSize: page, dataSize: 4 * page,
      consumer: { offset: 0, length: page, prot: 3 },
      producer: { offset: page, length: page + 8 * page, prot: 1 },
    });
    assert.equal(rb.size, 4 * page);
    assert.equal(rb.info().maxEntries, 4 * page);
    consumer = mapRegion(rb.fd, l.consumer);
    producer = mapRegion(rb.fd, l.producer);
    const bad = native.mmap(rb.fd, l.producer.length, l.producer.prot | PROT_WRITE, MAP_SHARED, l.producer.offset);
    assert.equal(bad, -Errno.EPERM, 'the producer side is read-only for user space');
    assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 0);
    const pv = new DataView(producer);
    assert.equal(pv.getBigUint64(0, true), 16n, 'producer position: 8-byte header + 8 bytes');
    assert.equal(pv.getUint32(page, true), 8, 'record length, committed');
    assert.equal(pv.getBigUint64(page + 8, true), 0xfeedfacen);
    // The data area is mapped twice in a row: the same bytes one dataSize later.
    assert.equal(pv.getBigUint64(page + 4 * page + 8, true), 0xfeedfacen);
    new DataView(consumer).setBigUint64(0, 16n, true); // consume it
  } finally {
    if (consumer) native.munmap(consumer);
    if (producer) native.munmap(producer);
    prog.close();
    rb.close();
  }
});

test('user ring buffer: user space owns the producer side', (t) => {
  if (skipUnless(t, needRoot())) return;
  const urb = UserRingBufMap.create({ size: 2 * page, name: 'lk_uringbuf' });
  let consumer: ArrayBuffer | undefined;
  let producer: ArrayBuffer | undefined;
  try {
    const l = urb.layout;
    assert.equal(l.consumer.prot, 1);
    assert.equal(l.producer.prot, 3);
    assert.equal(l.producer.length, page + 4 * page);
    consumer = mapRegion(urb.fd, l.consumer);
    producer = mapRegion(urb.fd, l.producer);
    assert.equal(native.mmap(urb.fd, page, 3, MAP_SHARED, 0), -Errno.EPERM, 'the consumer position is the kernel\'s');
    new DataView(producer).setUint32(page, 0xabcd, true); // the data area is writable
    assert.equal(new DataView(consumer).getBigUint64(0, true), 0n);
    assert.equal(urb.info().typeName, 'USER_RINGBUF');
  } finally {
    if (consumer) native.munmap(consumer);
    if (producer) native.munmap(producer);
    urb.close();
  }
});

test('arena: user space and a program share its memory', (t) => {
  if (skipUnless(t, needRoot())) return;
  let probe: ArenaMap;
  try {
    probe = ArenaMap.create({ pages: 1 });
  } catch (e) {
    if (e instanceof SyscallError && skipUnless(t, `BPF_MAP_TYPE_ARENA refused: ${e.code}`)) return;
    throw e;
  }
  probe.close();
  // A fixed user address lets the program compute pointers user space understands.
  const base = 0x200000000000n;
  const arena = ArenaMap.create({ pages: 4, address: base, name: 'lk_arena' });
  const prog = Program.load({
    type: 'SCHED_CLS',
    instructions: assemble(`
      r2 = map[arena] ll // ties the arena to the program
      r1 = ${base + BigInt(page) + 8n} ll
      r1 = addr_space_cast(r1, 0, 1) // user address -> kernel address
      r0 = *(u32 *)(r1 + 0)
      r3 = 99
      *(u32 *)(r1 + 4) = r3
      exit`, { maps: { arena: arena.fd } }),
  });
  try {
    assert.equal(arena.byteLength, 4 * page);
    assert.equal(arena.info().mapExtra, base);
    assert.equal(arena.flags & 1024, 1024, 'BPF_F_MMAPABLE');
    const mem = new DataView(arena.mmap());
    assert.equal(arena.mmap(), mem.buffer, 'mapped once');
    assert.equal(mem.byteLength, 4 * page);
    mem.setUint32(page + 8, 1234, true);
    assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 1234, 'the program reads what user space wrote');
    assert.equal(mem.getUint32(page + 12, true), 99, 'user space reads what the program wrote');
    assert.throws(() => ArenaMap.create({ pages: 0 }), /pages 0 is not a positive integer/);
  } finally {
    prog.close();
    arena.close();
  }
});
