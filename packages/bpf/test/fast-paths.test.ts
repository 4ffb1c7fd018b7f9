// The allocation-free fast paths (bench/README.md), against the real kernel:
// the ring buffer's onRecord mode (data area + offset + length), where records
// written by BPF_PROG_TEST_RUN must arrive with their bytes, in order, across
// the ring's wrap-around, with discarded records skipped; the raw batch walk
// (BpfMap.lookupBatchRaw); BpfMap.getInto (a lookup into the caller's buffer);
// and native.boundBpf, the map element call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ArgumentError, BpfCmd, BpfMap, Program, RingBufferReader, native, u32, u64 } from '../src/index.js';
import { MapElemAttr } from '../src/sys/attrs.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { REC, counterMap, discardThenSubmitProgram, needRingbuf, outputProgram, packet, seqAt } from './support/ringbuf-programs.js';

checkFdLeaks();



test('onRecord: bytes in place, in order, one data view, contiguous across the wrap', (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const SIZE = 4096;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: SIZE, name: 'lk_rbraw_wrap' });
  const cnt = counterMap();
  const prog = outputProgram(events, cnt, 'lk_rbraw_out');
  const views = new Set<Uint8Array>();
  const seen: { seq: number; len: number; body: Uint8Array; offset: number }[] = [];
  const reader = new RingBufferReader(events, {
    watch: false,
    onRecord: (d, o, n) => {
      views.add(d);
      seen.push({ seq: seqAt(d, o), len: n, body: d.slice(o + 8, o + n), offset: o });
    },
  });
  try {
    // 60 records of 136 bytes through a 4 KiB ring: positions wrap twice.
    for (let round = 0; round < 3; round++) {
      prog.testRun({ data: packet(round * 7), repeat: 20 });
      assert.equal(reader.consume(), 20);
      assert.equal(reader.available(), 0);
    }
    assert.equal(views.size, 1, 'one view of the data area for every record');
    const [view] = views;
    assert.equal(view!.length, 2 * SIZE, 'the view spans both mappings of the data area');
    assert.deepEqual(seen.map((s) => s.seq), Array.from({ length: 60 }, (_, i) => i));
    seen.forEach((s, i) => {
      assert.equal(s.len, REC);
      assert.ok(s.offset >= 8 && s.offset < SIZE + 8, `offset ${s.offset} inside the first mapping`);
      assert.deepEqual(s.body, packet(Math.floor(i / 20) * 7).subarray(8), `record ${i} bytes`);
    });
    assert.ok(seen.some((s) => s.offset + s.len > SIZE), 'at least one record crossed the end of the ring and read contiguously');
    assert.equal(reader.consume(), 0, 'nothing twice');
  } finally {
    reader.close();
    prog.close();
    cnt.close();
    events.close();
  }
});

test('onRecord: discarded reservations are skipped; callback mode delivers via the fd watcher', async (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 4096, name: 'lk_rbraw_disc' });

  const prog = discardThenSubmitProgram(events, 'lk_rbraw_resv');
  const got: number[] = [];
  const reader = new RingBufferReader(events, { onRecord: (d, o, n) => got.push(seqAt(d, o), n) });
  try {
    assert.equal(reader.watching, true, 'onRecord starts callback mode like onSample');
    prog.testRun({ data: new Uint8Array(64), repeat: 10 });
    const deadline = Date.now() + 5000;
    while (got.length < 20 && Date.now() < deadline) await sleep(5);
    assert.deepEqual(got, Array.from({ length: 10 }, () => [0x5555, 16]).flat());
    assert.equal(reader.available(), 0, 'consumer moved past the discarded records too');
  } finally {
    reader.close();
    prog.close();
    events.close();
  }
});

test('onRecord excludes onSample and copy', (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 4096, name: 'lk_rbraw_args' });
  try {
    const onRecord = (): void => {};
    assert.throws(() => new RingBufferReader(events, { onRecord, onSample: () => {} }), (e: unknown) => e instanceof ArgumentError && /onRecord excludes onSample and copy/.test(e.message));
    assert.throws(() => new RingBufferReader(events, { onRecord, copy: true }), ArgumentError);
  } finally {
    events.close();
  }
});

test('lookupBatchRaw walks every entry once, reusing its buffers across chunks', (t) => {
  if (skipUnless(t, needRoot())) return;
  const N = 3000;
  const m = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: N, name: 'lk_batchraw' });
  try {
    m.updateBatch(Array.from({ length: N }, (_, i) => [i, BigInt(i) * 3n] as const));
    const seen = new Map<number, bigint>();
    const bufs = new Set<ArrayBufferLike>();
    let chunks = 0;
    const total = m.lookupBatchRaw((keys, values, count) => {
      chunks++;
      bufs.add(keys.buffer);
      const kv = new DataView(keys.buffer, keys.byteOffset);
      const vv = new DataView(values.buffer, values.byteOffset);
      for (let i = 0; i < count; i++) seen.set(kv.getUint32(i * 4, true), vv.getBigUint64(i * 8, true));
    }, { chunkSize: 256 });
    assert.equal(total, N);
    assert.equal(seen.size, N, 'every key exactly once');
    for (let i = 0; i < N; i++) assert.equal(seen.get(i), BigInt(i) * 3n);
    assert.ok(chunks >= Math.ceil(N / 256), `${chunks} chunks`);
    assert.equal(bufs.size, 1, 'one key buffer for the whole walk');
    // The deleting form empties the map.
    assert.equal(m.lookupBatchRaw(() => {}, { deleting: true }), N);
    assert.equal(m.lookupBatch().length, 0);
  } finally {
    m.close();
  }
});

test('getInto: the value into the caller\'s buffer, false and untouched when absent, sizes checked first', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: 4, name: 'lk_fast_into' });
  // Keys and values larger than the staging slots take the generic path.
  const big = BpfMap.create({ type: 'HASH', keySize: 64, valueSize: 300, maxEntries: 2, name: 'lk_fast_intobig' });
  const percpu = BpfMap.create({ type: 'PERCPU_ARRAY', keySize: 4, valueSize: 8, maxEntries: 1, name: 'lk_fast_intopc' });
  try {
    m.set(7, 0x1122334455667788n);
    const out = new Uint8Array(8);
    assert.equal(m.getInto(m.encodeKey(7), out), true);
    assert.equal(m.valueCodec.decode(out), 0x1122334455667788n);
    out.fill(0xee);
    assert.equal(m.getInto(m.encodeKey(8), out), false);
    assert.deepEqual([...out], Array(8).fill(0xee), 'an absent key leaves the buffer alone');
    assert.throws(() => m.getInto(m.encodeKey(7), new Uint8Array(9)), (e: unknown) =>
      e instanceof ArgumentError && /map 'lk_fast_into' value: expected 8 bytes, got 9/.test(e.message));
    assert.throws(() => m.getInto(new Uint8Array(3), out), (e: unknown) => e instanceof ArgumentError && /key/.test(e.message));

    const key = new Uint8Array(64).map((_, i) => i);
    const value = new Uint8Array(300).map((_, i) => 255 - (i & 0xff));
    big.setBytes(key, value);
    const bigOut = new Uint8Array(300);
    assert.equal(big.getInto(key, bigOut), true);
    assert.deepEqual(bigOut, value);

    // Per-CPU: one 8-byte slot per possible CPU, as getBytes returns.
    const all = new Uint8Array(percpu.valueBytes);
    assert.equal(percpu.getInto(new Uint8Array(4), all), true);
    assert.deepEqual(all, percpu.getBytes(new Uint8Array(4)));
  } finally {
    percpu.close();
    big.close();
    m.close();
  }
  assert.throws(() => m.getInto(m.encodeKey(7), new Uint8Array(8)), /closed/);
});

test('native.boundBpf: the command comes from the area, the attr as laid out; bad layouts are refused', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 4, name: 'lk_boundbpf' });
  try {
    const area = new Uint8Array(new ArrayBuffer(128));
    const base = native.addressOf(area);
    assert.equal(native.addressOf(area.subarray(32)), base + 32n, 'addressOf honours the view offset');
    const v = new DataView(area.buffer);
    const f = MapElemAttr.fields;
    const CMD = 40;
    const call = native.boundBpf(area, MapElemAttr.size, CMD);
    v.setUint32(f.map_fd.offset, m.fd, true);
    v.setBigUint64(f.key.offset, base + 64n, true);
    v.setBigUint64(f.value.offset, base + 96n, true);
    v.setUint32(64, 1, true);
    v.setBigUint64(96, 0xa1b2c3d4e5f60718n, true);
    v.setInt32(CMD, BpfCmd.MAP_UPDATE_ELEM, true);
    assert.equal(call(), 0);
    assert.equal(m.get(1), 0xa1b2c3d4e5f60718n, 'the update landed in the map');
    v.setBigUint64(96, 0n, true);
    v.setInt32(CMD, BpfCmd.MAP_LOOKUP_ELEM, true);
    assert.equal(call(), 0);
    assert.equal(v.getBigUint64(96, true), 0xa1b2c3d4e5f60718n, 'the lookup wrote the value where the attr pointed');
    v.setUint32(64, 9, true);
    assert.ok(call() < 0, 'an out-of-range key returns -errno');
    assert.throws(() => native.boundBpf(area, 200, CMD), (e: unknown) => e instanceof RangeError && /outside area/.test(e.message));
    assert.throws(() => native.boundBpf(area, MapElemAttr.size, 8), (e: unknown) => e instanceof RangeError && /cmdOffset/.test(e.message), 'the command may not overlap the attr');
    assert.throws(() => native.boundBpf(area, MapElemAttr.size, 126), RangeError);
    assert.throws(() => native.boundBpf(new Uint32Array(8) as unknown as Uint8Array, 32, 32), TypeError);
  } finally {
    m.close();
  }
});
