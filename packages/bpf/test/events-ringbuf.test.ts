// Ring buffer reader (and the user ring buffer writer) against the real
// kernel: programs run by BPF_PROG_TEST_RUN write records with
// bpf_ringbuf_output / reserve+submit/discard; the reader must see exactly
// those records, in order, with their bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { assemble, BtfWriter } from '@lockne/obj';
import {
  ArgumentError, Btf, BpfMap, ClosedError, Program, ProgFlags, RingBufMap, RingBufferReader, RingBufferSet, SyscallError,
  UserRingBufMap, UserRingBuffer, missingReason, probeMapType,
} from '../src/index.js';
import { mmapFd, pageSize, PROT_READ, PROT_WRITE } from '../src/maps/mmap.js';
import { RingbufMemory, DEFAULT_HEADER_LOADS, MAX_RING_SIZE, checkRingSize, type HeaderLoads } from '../src/events/ringbuf-ring.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { BUMP_SOURCE_SEQ, REC, counterMap, counters, discardThenSubmitProgram, needRingbuf, outputProgram, packet, seqAt, seqOf } from './support/ringbuf-programs.js';

checkFdLeaks();


/** `p`, or 'timeout' after `ms` (the timer does not outlive the race). */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(5);
}

async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * BPF_PROG_TEST_RUN of `prog` in a worker thread, `runs` times with `repeat`,
 * `pauseMs` apart, while this thread's event loop reads. The worker calls
 * bpf(2) directly with the fd: a thread must not own (or close) our FdHandle.
 */
function testRunInWorker(prog: Program, runs: number, repeat: number, data: Uint8Array, pauseMs: number): Worker {
  return new Worker(`
    const { workerData, parentPort } = require('node:worker_threads');
    (async () => {
      const { bpfRaw } = await import(workerData.syscall);
      const { encode } = await import(workerData.layout);
      const { TestRunAttr } = await import(workerData.attrs);
      const data = new Uint8Array(workerData.data);
      const pause = new Int32Array(new SharedArrayBuffer(4));
      for (let i = 0; i < workerData.runs; i++) {
        if (i && workerData.pauseMs) Atomics.wait(pause, 0, 0, workerData.pauseMs);
        const { ret } = bpfRaw('PROG_TEST_RUN', encode(TestRunAttr, {
          prog_fd: workerData.fd, data_in: data, data_size_in: data.length, repeat: workerData.repeat,
        }));
        if (ret < 0) throw new Error('BPF_PROG_TEST_RUN failed: ' + ret);
      }
    })();
  `, {
    eval: true,
    workerData: {
      fd: prog.fd, runs, repeat, pauseMs, data: Array.from(data),
      syscall: new URL('../src/sys/syscall.js', import.meta.url).href,
      layout: new URL('../src/sys/layout.js', import.meta.url).href,
      attrs: new URL('../src/sys/attrs.js', import.meta.url).href,
    },
  });
}

function exited(worker: Worker): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', resolve);
  });
}

test('records from bpf_ringbuf_output arrive in order with their bytes (zero-copy views)', (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 16 * 1024, name: 'lk_rb_order' });
  const cnt = counterMap();
  const prog = outputProgram(events, cnt);
  const seen: { seq: number; body: Uint8Array; len: number; mapped: boolean }[] = [];
  const reader = new RingBufferReader(events, {
    watch: false,
    onSample: (d) => seen.push({ seq: seqOf(d), body: d.slice(8), len: d.length, mapped: d.buffer.byteLength > 2 * 16 * 1024 }),
  });
  try {
    assert.equal(reader.size, 16 * 1024);
    for (let i = 0; i < 5; i++) prog.testRun({ data: packet(i * 10) });
    assert.equal(reader.available(), 5 * (REC + 8));
    assert.equal(reader.consume(), 5);
    assert.equal(reader.available(), 0);
    assert.deepEqual(seen.map((s) => s.seq), [0, 1, 2, 3, 4]);
    for (let i = 0; i < 5; i++) {
      assert.equal(seen[i]!.len, REC);
      assert.deepEqual(seen[i]!.body, packet(i * 10).subarray(8), `record ${i} bytes`);
      assert.ok(seen[i]!.mapped, 'the callback got a view of the mapped ring, not a copy');
    }
    assert.equal(reader.consume(), 0, 'nothing twice');
  } finally {
    reader.close();
    prog.close();
    cnt.close();
    events.close();
  }
});

test('copy: true hands out private copies that outlive the callback', (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 4096, name: 'lk_rb_copy' });
  const cnt = counterMap();
  const prog = outputProgram(events, cnt);
  const kept: Uint8Array[] = [];
  const reader = new RingBufferReader(events, { watch: false, copy: true, onSample: (d) => kept.push(d) });
  try {
    // 60 records through a ring that holds 30: positions wrap, kept copies must not change.
    for (let round = 0; round < 3; round++) {
      prog.testRun({ data: packet(round), repeat: 20 });
      assert.equal(reader.consume(), 20);
    }
    assert.equal(kept.length, 60);
    kept.forEach((rec, i) => {
      assert.equal(rec.buffer.byteLength, REC, 'own buffer');
      assert.equal(seqOf(rec), i);
      assert.deepEqual(rec.subarray(8), packet(Math.floor(i / 20)).subarray(8));
    });
  } finally {
    reader.close();
    prog.close();
    cnt.close();
    events.close();
  }
});

test('callback mode drains 10k records written concurrently by another thread, exactly once each', async (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const RING = 64 * 1024;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: RING, name: 'lk_rb_many' });
  const cnt = counterMap();
  const prog = outputProgram(events, cnt);
  // 100 runs of 100 records, 1 ms apart: the ring holds ~5 runs, so the
  // reader must drain while the producer runs for most records to get through.
  const RUNS = 100;
  const REPEAT = 100;
  const TOTAL = RUNS * REPEAT;
  let received = 0;
  let last = -1;
  let badBytes = 0;
  let outOfOrder = 0;
  const body = packet(7).subarray(8);
  const reader = new RingBufferReader(events, {
    onSample: (d) => {
      const seq = seqOf(d);
      if (seq <= last) outOfOrder++;
      last = seq;
      received++;
      for (let i = 0; i < body.length; i += 30) if (d[8 + i] !== body[i]) badBytes++;
    },
  });
  const worker = testRunInWorker(prog, RUNS, REPEAT, packet(7), 1);
  try {
    assert.equal(await exited(worker), 0, 'producer thread finished');
    const { seq, drops } = counters(cnt);
    assert.equal(seq, TOTAL, 'the program ran for every repeat');
    // The last records are delivered by the watcher, not by us.
    await until(() => received + drops >= TOTAL);
    assert.equal(received, TOTAL - drops, `received ${received}, kernel dropped ${drops} of ${TOTAL}`);
    const capacity = Math.floor(RING / (REC + 8));
    assert.ok(received > capacity, `received ${received}: more than the ring holds (${capacity}), so it was drained while the producer ran`);
    assert.equal(outOfOrder, 0, 'sequence strictly increasing: no duplicates, no reordering');
    assert.equal(badBytes, 0);
    assert.equal(reader.available(), 0);
  } finally {
    await worker.terminate();
    reader.close();
    prog.close();
    cnt.close();
    events.close();
  }
});

for (const loads of ['plain', 'atomic'] as HeaderLoads[]) {
  test(`header loads '${loads}'${loads === DEFAULT_HEADER_LOADS ? ' (this CPU\'s default)' : ''}: records written by another thread arrive once each, in order, with their bytes`, async (t) => {
    if (skipUnless(t, needRingbuf())) return;
    const RING = 16 * 1024;
    const events = BpfMap.create({ type: 'RINGBUF', maxEntries: RING, name: `lk_rb_${loads}` });
    const cnt = counterMap();
    const prog = outputProgram(events, cnt);
    const ring = new RingbufMemory(events.fd, RING, `ring '${loads}'`, loads);
    const RUNS = 100;
    const REPEAT = 50;
    const TOTAL = RUNS * REPEAT;
    let received = 0;
    let last = -1;
    let outOfOrder = 0;
    let badBytes = 0;
    const body = packet(3).subarray(8);
    const drain = (): number => ring.consumeRaw((d, o, n) => {
      const seq = seqAt(d, o);
      if (seq <= last) outOfOrder++;
      last = seq;
      received++;
      if (n !== REC) badBytes++;
      for (let i = 0; i < body.length; i += 16) if (d[o + 8 + i] !== body[i]) badBytes++;
    });
    const worker = testRunInWorker(prog, RUNS, REPEAT, packet(3), 1);
    const done = exited(worker);
    try {
      // Busy-drain on this thread while the worker produces: the two race on
      // every header, which is what the load mode must get right. The
      // program's own run counter says when the producer is through.
      const deadline = Date.now() + 20_000;
      while (counters(cnt).seq < TOTAL && Date.now() < deadline) drain();
      drain();
      assert.equal(await done, 0, 'producer thread finished');
      const { seq, drops } = counters(cnt);
      assert.equal(seq, TOTAL, 'the program ran for every repeat');
      assert.equal(received, TOTAL - drops, `received ${received}, kernel dropped ${drops} of ${TOTAL}`);
      assert.ok(received > Math.floor(RING / (REC + 8)), 'drained while the producer ran');
      assert.equal(outOfOrder, 0, 'sequence strictly increasing: no duplicates, no reordering');
      assert.equal(badBytes, 0, 'every record complete');
    } finally {
      await worker.terminate();
      ring.release();
      prog.close();
      cnt.close();
      events.close();
    }
  });
}

test('discarded reservations are skipped, submitted ones delivered', (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 4096, name: 'lk_rb_discard' });
  const prog = discardThenSubmitProgram(events, 'lk_rb_resv');
  const got: number[] = [];
  const reader = new RingBufferReader(events, { watch: false, onSample: (d) => got.push(seqOf(d), d.length) });
  try {
    prog.testRun({ data: new Uint8Array(64), repeat: 10 });
    assert.equal(reader.available(), 20 * 24, 'both reservations took space');
    assert.equal(reader.consume(), 10);
    assert.deepEqual(got, Array.from({ length: 10 }, () => [0x5555, 16]).flat());
    assert.equal(reader.available(), 0, 'consumer moved past the discarded records too');
  } finally {
    reader.close();
    prog.close();
    events.close();
  }
});

test('async iterator yields copies in order and ends when the reader closes', async (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 8192, name: 'lk_rb_iter' });
  const cnt = counterMap();
  const prog = outputProgram(events, cnt);
  const reader = RingBufferReader.open(events);
  try {
    assert.throws(() => reader.consume(), (e: unknown) => e instanceof ArgumentError && /consume\(\) delivers to onSample/.test(e.message));
    prog.testRun({ data: packet(1), repeat: 3 }); // before iteration starts
    const seqs: number[] = [];
    const loop = (async () => {
      for await (const rec of reader) {
        seqs.push(seqOf(rec));
        assert.equal(rec.length, REC);
        assert.equal(rec.buffer.byteLength, REC, 'a copy');
        if (seqs.length === 3) setTimeout(() => prog.testRun({ data: packet(1), repeat: 4 }), 20); // while waiting
        if (seqs.length === 7) setTimeout(() => reader.close(), 20);
      }
      return 'ended';
    })();
    const outcome = await within(loop, 5000);
    assert.equal(outcome, 'ended', 'the loop ended on close');
    assert.deepEqual(seqs, [0, 1, 2, 3, 4, 5, 6]);
    const again = await reader[Symbol.asyncIterator]().next();
    assert.equal(again.done, true);
  } finally {
    reader.close();
    prog.close();
    cnt.close();
    events.close();
  }
});

test('a full ring makes bpf_ringbuf_output fail; after consuming, records flow again', (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 4096, name: 'lk_rb_full' });
  const cnt = counterMap();
  const prog = outputProgram(events, cnt);
  const seqs: number[] = [];
  const reader = new RingBufferReader(events, { watch: false, onSample: (d) => seqs.push(seqOf(d)) });
  try {
    // 136 bytes per record: 30 fit in 4096 (the kernel keeps producer - consumer below the size).
    prog.testRun({ data: packet(0), repeat: 50 });
    assert.deepEqual(counters(cnt), { seq: 50, drops: 20 });
    assert.equal(reader.available(), 30 * (REC + 8));
    assert.equal(reader.consume(), 30);
    assert.deepEqual(seqs, Array.from({ length: 30 }, (_, i) => i));
    seqs.length = 0;
    prog.testRun({ data: packet(0), repeat: 10 });
    assert.equal(counters(cnt).drops, 20, 'no new drops once there is room');
    assert.equal(reader.consume(), 10);
    assert.deepEqual(seqs, Array.from({ length: 10 }, (_, i) => 50 + i));
  } finally {
    reader.close();
    prog.close();
    cnt.close();
    events.close();
  }
});

test('consumer and producer positions past 2^32: records still arrive once each, in order, whole', (t) => {
  if (skipUnless(t, needRingbuf())) return;
  // The reader works on the low 32 bits of the u64 positions (ringbuf-ring.ts
  // #drain); push 4.3 GB through a 1 MiB ring in 60 000-byte records so both
  // positions cross 2^31 and 2^32, and laps end at every offset mod 8.
  const SIZE = 1 << 20;
  const BIG = 60_000;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: SIZE, name: 'lk_rb_wrap' });
  const source = BpfMap.create({ type: 'ARRAY', keySize: 4, valueSize: BIG, maxEntries: 1, name: 'lk_rb_wrapsrc' });
  // SCHED_CLS: bump the u64 sequence number at the start of the source value, output all of it.
  const prog = Program.load({
    type: 'SCHED_CLS', name: 'lk_rb_wrap', instructions: assemble(`${BUMP_SOURCE_SEQ}
      r1 = map[events] ll
      r2 = r0
      r3 = ${BIG}
      r4 = 0
      call bpf_ringbuf_output
    out:
      r0 = 0
      exit`, { maps: { events: events.fd, source: source.fd } }),
  });
  let expected = 1;
  let bad = '';
  const check = (seq: number, length: number): void => {
    if (!bad && (seq !== expected || length !== BIG)) bad = `record ${expected}: seq ${seq}, length ${length}`;
    expected++;
  };
  // Both drain loops (onRecord and onSample have one each), taking turns:
  // the two readers share the map's consumer position.
  const raw = new RingBufferReader(events, { watch: false, onRecord: (data, offset, length) => check(seqAt(data, offset), length) });
  const views = new RingBufferReader(events, { watch: false, onSample: (rec) => check(seqOf(rec), rec.length) });
  try {
    const perRun = Math.floor(SIZE / (BIG + 8)); // 17 fit
    const target = 2 ** 32 + 3 * SIZE;
    let bytes = 0;
    for (let turn = 0; bytes < target && !bad; turn++) {
      prog.testRun({ data: new Uint8Array(64), repeat: perRun });
      assert.equal((turn % 2 === 0 ? raw : views).consume(), perRun);
      bytes += perRun * (BIG + 8);
    }
    assert.equal(bad, '');
    assert.equal(expected - 1, (bytes / (BIG + 8)));
    assert.equal(raw.available(), 0);
  } finally {
    views.close();
    raw.close();
    prog.close();
    source.close();
    events.close();
  }
});

test('rings over 1 GiB are refused by name before any mapping', () => {
  assert.throws(() => checkRingSize(2 ** 31, "ring buffer 'big'"), (e: unknown) =>
    e instanceof ArgumentError && /ring buffer 'big': max_entries 2147483648 is larger than the 1073741824 bytes \(1 GiB\) @lockne\/bpf maps for a ring/.test(e.message));
  assert.doesNotThrow(() => checkRingSize(MAX_RING_SIZE, 'ok'));
});

test('poll() waits for the fd watcher, resolves on data, and times out', async (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 4096, name: 'lk_rb_poll' });
  const cnt = counterMap();
  const prog = outputProgram(events, cnt);
  const seqs: number[] = [];
  const reader = new RingBufferReader(events, { watch: false, onSample: (d) => seqs.push(seqOf(d)) });
  try {
    const t0 = Date.now();
    assert.equal(await reader.poll(60), 0);
    assert.ok(Date.now() - t0 >= 50, 'waited for the timeout');
    setTimeout(() => prog.testRun({ data: packet(0), repeat: 2 }), 30);
    assert.equal(await reader.poll(5000), 2, 'woken by the watcher when the records arrived');
    assert.deepEqual(seqs, [0, 1]);
    prog.testRun({ data: packet(0) });
    assert.equal(await reader.poll(0), 1, 'poll(0) just consumes');
    const pending = reader.poll();
    reader.close();
    assert.equal(await pending, 0, 'close ends a pending poll');
    assert.throws(() => reader.consume(), ClosedError);
  } finally {
    reader.close();
    prog.close();
    cnt.close();
    events.close();
  }
});

test('closing the reader inside its callback stops delivery cleanly', (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 4096, name: 'lk_rb_cbclose' });
  const cnt = counterMap();
  const prog = outputProgram(events, cnt);
  let n = 0;
  const reader: RingBufferReader = new RingBufferReader(events, {
    watch: false,
    onSample: () => {
      if (++n === 2) reader.close();
    },
  });
  try {
    prog.testRun({ data: packet(0), repeat: 5 });
    assert.equal(reader.consume(), 2);
    assert.equal(reader.closed, true);
    // A new reader continues where the closed one stopped: its consumer position was published.
    const seqs: number[] = [];
    const next = new RingBufferReader(events, { watch: false, onSample: (d) => seqs.push(seqOf(d)) });
    try {
      assert.equal(next.consume(), 3);
      assert.deepEqual(seqs, [2, 3, 4]);
    } finally {
      next.close();
    }
  } finally {
    reader.close();
    prog.close();
    cnt.close();
    events.close();
  }
});

test('an exception in onSample reaches onError in callback mode; the record counts as consumed', async (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 4096, name: 'lk_rb_err' });
  const cnt = counterMap();
  const prog = outputProgram(events, cnt);
  const errors: unknown[] = [];
  const seqs: number[] = [];
  const reader = new RingBufferReader(events, {
    onSample: (d) => {
      const s = seqOf(d);
      seqs.push(s);
      if (s === 1) throw new Error('bad record');
    },
    onError: (e) => errors.push(e),
  });
  try {
    prog.testRun({ data: packet(0), repeat: 3 });
    await until(() => seqs.length >= 3);
    assert.deepEqual(seqs, [0, 1, 2], 'the next wake resumed after the failing record');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /bad record/);
  } finally {
    reader.close();
    prog.close();
    cnt.close();
    events.close();
  }
});

test('RingBufferSet reads several ring buffers, each into its own callback', async (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const a = BpfMap.create({ type: 'RINGBUF', maxEntries: 4096, name: 'lk_rb_a' });
  const b = RingBufMap.create({ size: 8192, name: 'lk_rb_b' }); // the typed map class works too
  const cntA = counterMap();
  const cntB = counterMap();
  const progA = outputProgram(a, cntA);
  const progB = outputProgram(b, cntB);
  const got: string[] = [];
  const set = new RingBufferSet();
  try {
    assert.equal(set.add(a, (d) => got.push(`a${seqOf(d)}`)), 0);
    assert.equal(set.add(b, (d) => got.push(`b${seqOf(d)}`)), 1);
    assert.equal(set.size, 2);
    progA.testRun({ data: packet(0), repeat: 2 });
    progB.testRun({ data: packet(0), repeat: 3 });
    await until(() => got.length >= 5);
    assert.deepEqual(got.filter((s) => s[0] === 'a'), ['a0', 'a1']);
    assert.deepEqual(got.filter((s) => s[0] === 'b'), ['b0', 'b1', 'b2']);
    set.stop();
    progB.testRun({ data: packet(0) });
    assert.equal(set.consume(), 1);
    assert.equal(got.at(-1), 'b3');
  } finally {
    set.close();
    progA.close();
    progB.close();
    cntA.close();
    cntB.close();
    a.close();
    b.close();
  }
});

test('a record reserved but not yet committed pauses the watch instead of spinning', async (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 4096, name: 'lk_rb_stall' });
  // Output a record X (its commit wakes the reader), then reserve A, spend a
  // while in bpf_loop (A stays BUSY at the head of the ring), then submit A.
  // The reader drains X and finds A BUSY while the fd stays readable.
  const text = `
    r1 = 0x1
    *(u64 *)(r10 - 8) = r1
    r1 = map[events] ll
    r2 = r10
    r2 += -8
    r3 = 8
    r4 = 0
    call bpf_ringbuf_output
    r1 = map[events] ll
    r2 = 8
    r3 = 0
    call bpf_ringbuf_reserve
    if r0 == 0 goto out
    r6 = r0
    r1 = 0x800000
    r2 = func(spin) ll
    r3 = 0
    r4 = 0
    call bpf_loop
    r1 = 0x5107
    *(u64 *)(r6 + 0) = r1
    r1 = r6
    r2 = 0
    call bpf_ringbuf_submit
  out:
    r0 = 0
    exit
  spin:
    r0 = 0
    exit`;
  const insns = assemble(text, { maps: { events: events.fd } });
  const spinSlot = insns.length - 2;
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const ptr = w.ptr(0);
  const main = w.func('lk_stall', w.funcProto(int, [{ name: 'skb', type: ptr }]), 'global');
  const spin = w.func('lk_spin', w.funcProto(int, [{ name: 'i', type: int }, { name: 'ctx', type: ptr }]), 'static');
  const btf = Btf.load(w.encode());
  let prog: Program;
  try {
    prog = Program.load({
      type: 'SCHED_CLS', name: 'lk_rb_stall', instructions: insns,
      btf: { fd: btf.fd, funcInfo: new Uint8Array(new Uint32Array([0, main, spinSlot, spin]).buffer), funcInfoRecSize: 8, funcInfoCount: 2 },
    });
  } finally {
    btf.close();
  }
  const got: number[] = [];
  const reader = new RingBufferReader(events, { onSample: (d) => got.push(seqOf(d)) });
  try {
    const RUNS = 4;
    const worker = testRunInWorker(prog, RUNS, 1, new Uint8Array(64), 0);
    const t0 = Date.now();
    const elu0 = performance.eventLoopUtilization();
    assert.equal(await exited(worker), 0);
    const busy = performance.eventLoopUtilization(elu0);
    const took = Date.now() - t0;
    await until(() => got.length === 2 * RUNS);
    assert.deepEqual(got, Array(RUNS).fill([1, 0x5107]).flat(), 'every record arrived once committed');
    // Spinning on a level-triggered readable fd would keep this loop ~100% busy.
    assert.ok(busy.utilization < 0.5, `event loop ${Math.round(busy.utilization * 100)}% busy over ${took} ms of BUSY records`);
  } finally {
    reader.close();
    prog.close();
    events.close();
  }
});

test('bad maps and arguments fail before any ring is mapped', (t) => {
  if (skipUnless(t, needRingbuf())) return;
  const hash = BpfMap.create({ type: 'HASH', keySize: 4, valueSize: 4, maxEntries: 1, name: 'lk_rb_notring' });
  const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 4096, name: 'lk_rb_args' });
  try {
    assert.throws(() => new RingBufferReader(hash), (e: unknown) =>
      e instanceof ArgumentError && /ring buffer 'lk_rb_notring': map type is HASH, expected RINGBUF/.test(e.message));
    assert.throws(() => new UserRingBuffer(events), (e: unknown) =>
      e instanceof ArgumentError && /map type is RINGBUF, expected USER_RINGBUF/.test(e.message));
    const withCb = new RingBufferReader(events, { watch: false, onSample: () => {} });
    try {
      assert.throws(() => withCb[Symbol.asyncIterator](), (e: unknown) => e instanceof ArgumentError && /iterate a reader opened without onSample/.test(e.message));
    } finally {
      withCb.close();
    }
    // Why the data view is read-only: the kernel refuses to map it writable.
    assert.throws(() => mmapFd(events.fd, pageSize() + 2 * 4096, PROT_READ | PROT_WRITE, pageSize(), 'probe'), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'mmap' && e.code === 'EPERM');
  } finally {
    events.close();
    hash.close();
  }
});

// ---- user ring buffer -----------------------------------------------------

function needUserRingbuf(): string | null {
  return needRoot() ?? missingReason(probeMapType('USER_RINGBUF'));
}

/**
 * A sleepable SYSCALL program: bpf_user_ringbuf_drain with a callback that
 * adds each sample's first u64 to a sum; writes [drained count, sum] to its ctx.
 * The callback is a static subprogram: the verifier needs BTF func_info for it.
 */
function drainProgram(ring: { fd: number }): Program {
  const text = `
    r6 = r1
    r1 = 0
    *(u64 *)(r10 - 8) = r1
    r1 = map[ring] ll
    r2 = func(cb) ll
    r3 = r10
    r3 += -8
    r4 = 0
    call bpf_user_ringbuf_drain
    *(u64 *)(r6 + 0) = r0
    r1 = *(u64 *)(r10 - 8)
    *(u64 *)(r6 + 8) = r1
    r0 = 0
    exit
  cb:
    r6 = r2
    r3 = r1
    r1 = r10
    r1 += -8
    r2 = 8
    r4 = 0
    r5 = 0
    call bpf_dynptr_read
    if r0 != 0 goto done
    r1 = *(u64 *)(r10 - 8)
    r2 = *(u64 *)(r6 + 0)
    r2 += r1
    *(u64 *)(r6 + 0) = r2
  done:
    r0 = 0
    exit`;
  const insns = assemble(text, { maps: { ring: ring.fd } });
  const cbSlot = 16; // main is 16 slots (three ld_imm64)
  assert.deepEqual(insns[cbSlot], { code: 0xbf, dst: 6, src: 2, off: 0, imm: 0 }, 'cb starts where func_info says');
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const ptr = w.ptr(0);
  const main = w.func('lk_drain', w.funcProto(int, [{ name: 'ctx', type: ptr }]), 'global');
  const cb = w.func('lk_drain_cb', w.funcProto(int, [{ name: 'dynptr', type: ptr }, { name: 'ctx', type: ptr }]), 'static');
  const btf = Btf.load(w.encode());
  try {
    const funcInfo = new Uint32Array([0, main, cbSlot, cb]);
    return Program.load({
      type: 'SYSCALL', name: 'lk_urb_drain', flags: ProgFlags.SLEEPABLE, instructions: insns,
      btf: { fd: btf.fd, funcInfo: new Uint8Array(funcInfo.buffer), funcInfoRecSize: 8, funcInfoCount: 2 },
    });
  } finally {
    btf.close();
  }
}

function drain(prog: Program): { count: number; sum: bigint } {
  // SYSCALL test runs take ctx_in only (no repeat, no ctx_out) and write the ctx back in place.
  const ctx = new Uint8Array(16);
  prog.testRun({ ctx, ctxOutSize: 0, repeat: 0 });
  const dv = new DataView(ctx.buffer);
  return { count: Number(dv.getBigInt64(0, true)), sum: dv.getBigUint64(8, true) };
}

function u64le(v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
}

test('user ring buffer: a program drains what userspace submitted, skipping discards', (t) => {
  if (skipUnless(t, needUserRingbuf())) return;
  const ring = BpfMap.create({ type: 'USER_RINGBUF', maxEntries: 4096, name: 'lk_urb' });
  const prog = drainProgram(ring);
  const w = new UserRingBuffer(ring);
  try {
    assert.equal(w.size, 4096);
    assert.equal(w.write(u64le(5)), true);
    const s = w.reserve(24)!;
    s.set(u64le(7));
    w.submit(s);
    const d = w.reserve(8)!;
    d.set(u64le(1000));
    w.discard(d);
    assert.equal(w.pending, 16 + 32 + 16);
    assert.deepEqual(drain(prog), { count: 2, sum: 12n });
    assert.equal(w.pending, 0, 'the kernel consumed everything, the discarded sample included');
    assert.equal(w.consumerPosition, 64);
    assert.deepEqual(drain(prog), { count: 0, sum: 0n });
    assert.throws(() => w.submit(s), (e: unknown) => e instanceof ArgumentError && /already submitted/.test(e.message));
  } finally {
    w.close();
    prog.close();
    ring.close();
  }
});

test('user ring buffer: an unsubmitted sample holds back later ones; a full ring reserves null', (t) => {
  if (skipUnless(t, needUserRingbuf())) return;
  const ring = UserRingBufMap.create({ size: 4096, name: 'lk_urb_busy' });
  const prog = drainProgram(ring);
  const w = UserRingBuffer.open(ring);
  try {
    const first = w.reserve(8)!;
    const second = w.reserve(8)!;
    second.set(u64le(2));
    w.submit(second);
    assert.deepEqual(drain(prog), { count: 0, sum: 0n }, 'the kernel stops at the BUSY header');
    first.set(u64le(1));
    w.submit(first);
    assert.deepEqual(drain(prog), { count: 2, sum: 3n });

    // Fill: 4096 bytes hold 4096/16 samples of 8 bytes; then reserve says null.
    let n = 0;
    while (w.write(u64le(1))) n++;
    assert.equal(n, 4096 / 16);
    assert.equal(w.reserve(8), null);
    assert.deepEqual(drain(prog), { count: n, sum: BigInt(n) });
    assert.ok(w.reserve(8), 'room again after the drain');
    assert.throws(() => w.reserve(4096), (e: unknown) => e instanceof ArgumentError && /needs 4104 bytes, the ring has 4096/.test(e.message));
    assert.throws(() => w.submit(new Uint8Array(8)), (e: unknown) => e instanceof ArgumentError && /from this ring's reserve/.test(e.message));
  } finally {
    w.close();
    prog.close();
    ring.close();
  }
  assert.throws(() => w.reserve(8), ClosedError);
});
