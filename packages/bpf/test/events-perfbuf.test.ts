// Perf buffer reader against the real kernel: a RAW_TRACEPOINT program run by
// BPF_PROG_TEST_RUN on a chosen CPU (BPF_F_TEST_RUN_ON_CPU) sends samples with
// bpf_perf_event_output(BPF_F_CURRENT_CPU); the reader must see them on that
// CPU's ring with their bytes, and count what the kernel had to drop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { assemble } from '@lockne/obj';
import { ArgumentError, BpfMap, ClosedError, Errno, PerfBufferReader, PerfEventArray, Program, possibleCpuCount, type PerfSample } from '../src/index.js';
import { PerfEventHeader, PerfMmapPage, PERF_RECORD_LOST, PERF_RECORD_SAMPLE, PERF_SAMPLE_RAW } from '../src/events/perf-mmap.js';
import { onlineCpus } from '../src/sys/perf.js';
import { pageSize } from '../src/maps/mmap.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { BUMP_SOURCE_SEQ } from './support/ringbuf-programs.js';

checkFdLeaks();

const REC = 128;
/** bpf_perf_event_output pads u32 size + data to 8 bytes: 128 bytes arrive as 132. */
const RAW = 132;
const FILL = 0x1122334455667788n;
const BPF_F_TEST_RUN_ON_CPU = 1;

function perfMap(name: string): PerfEventArray {
  return PerfEventArray.create({ name });
}

/**
 * RAW_TRACEPOINT: a 128-byte record on the stack — [u64 seq from args[0],
 * u64 bpf_get_smp_processor_id(), 14 × FILL] — sent with
 * bpf_perf_event_output(ctx, events, BPF_F_CURRENT_CPU, ...). Returns the
 * helper's result (0, or -ENOSPC when the CPU's ring is full).
 */
function outputProgram(events: { fd: number }): Program {
  const fill = Array.from({ length: 14 }, (_, i) => `*(u64 *)(r10 - ${112 - i * 8}) = r1`).join('\n');
  const text = `
    r6 = r1
    r7 = *(u64 *)(r6 + 0)
    *(u64 *)(r10 - 128) = r7
    call bpf_get_smp_processor_id
    *(u64 *)(r10 - 120) = r0
    r1 = ${FILL} ll
    ${fill}
    r1 = r6
    r2 = map[events] ll
    r3 = 0xffffffff ll
    r4 = r10
    r4 += -128
    r5 = ${REC}
    call bpf_perf_event_output
    exit`;
  return Program.load({ type: 'RAW_TRACEPOINT', name: 'lk_pb_output', instructions: assemble(text, { maps: { events: events.fd } }) });
}

/** Run the program once on `cpu` with args[0] = seq; the helper's result. */
function emit(prog: Program, seq: number, cpu: number): number {
  const ctx = new Uint8Array(8);
  new DataView(ctx.buffer).setBigUint64(0, BigInt(seq), true);
  // raw_tp test runs take ctx_in only: no repeat, no ctx_out.
  return prog.testRun({ ctx, ctxOutSize: 0, repeat: 0, flags: BPF_F_TEST_RUN_ON_CPU, cpu }).retval | 0;
}

function decode(d: Uint8Array): { seq: number; cpu: number; fillOk: boolean; padding: number[] } {
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  let fillOk = true;
  for (let o = 16; o < REC; o += 8) if (dv.getBigUint64(o, true) !== FILL) fillOk = false;
  return { seq: Number(dv.getBigUint64(0, true)), cpu: Number(dv.getBigUint64(8, true)), fillOk, padding: [...d.subarray(REC)] };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(5);
}

test('perf_event_mmap_page, perf_event_header and record numbers match <linux/perf_event.h>', (t) => {
  const header = '/usr/include/linux/perf_event.h';
  if (!fs.existsSync(header)) {
    if (process.env.LOCKNE_REQUIRE_KERNEL === '1') throw new Error(`${header} missing (install linux-libc-dev)`);
    t.skip(`${header} missing`);
    return;
  }
  const checks: [string, string, number][] = [];
  for (const s of [PerfMmapPage, PerfEventHeader]) {
    for (const [name, f] of Object.entries(s.fields)) checks.push([`${s.name}.${name}`, `offsetof(${s.cType}, ${name})`, f.offset]);
  }
  checks.push(['PERF_RECORD_LOST', 'PERF_RECORD_LOST', PERF_RECORD_LOST], ['PERF_RECORD_SAMPLE', 'PERF_RECORD_SAMPLE', PERF_RECORD_SAMPLE],
    ['PERF_SAMPLE_RAW', 'PERF_SAMPLE_RAW', PERF_SAMPLE_RAW], ['sizeof header', 'sizeof(struct perf_event_header)', 8]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockne-perf-'));
  try {
    const src = path.join(dir, 'check.c');
    fs.writeFileSync(src, `#include <stddef.h>\n#include <stdio.h>\n#include <linux/perf_event.h>\nint main(void) {\n${checks
      .map(([label, expr]) => `  printf("%s=%ld\\n", "${label}", (long)(${expr}));`).join('\n')}\n  return 0;\n}\n`);
    execFileSync('cc', ['-o', path.join(dir, 'check'), src]);
    const out = execFileSync(path.join(dir, 'check'), { encoding: 'utf8' });
    const got = new Map(out.trim().split('\n').map((l) => { const [k, v] = l.split('='); return [k!, Number(v)] as const; }));
    assert.deepEqual(checks.filter(([label, , want]) => got.get(label) !== want).map(([l, , w]) => `${l}: ours ${w}, header ${got.get(l)}`), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('samples arrive on the ring of the CPU the program ran on, with their bytes', (t) => {
  if (skipUnless(t, needRoot())) return;
  const events = perfMap('lk_pb_cpu');
  const prog = outputProgram(events);
  const got: (ReturnType<typeof decode> & { ringCpu: number; len: number })[] = [];
  const reader = new PerfBufferReader(events, { watch: false, onSample: (d, cpu) => got.push({ ...decode(d), ringCpu: cpu, len: d.length }) });
  try {
    const cpus = onlineCpus();
    assert.deepEqual(reader.cpus, cpus);
    let seq = 0;
    for (const cpu of cpus) for (let i = 0; i < 3; i++) assert.equal(emit(prog, seq++, cpu), 0);
    assert.ok(reader.available() > 0);
    assert.equal(reader.consume(), 3 * cpus.length);
    assert.equal(reader.available(), 0);
    got.sort((a, b) => a.seq - b.seq);
    got.forEach((s, i) => {
      const cpu = cpus[Math.floor(i / 3)]!;
      assert.equal(s.seq, i);
      assert.equal(s.cpu, cpu, 'bpf_get_smp_processor_id in the program');
      assert.equal(s.ringCpu, cpu, 'the reader got it from that CPU\'s ring');
      assert.equal(s.len, RAW);
      assert.ok(s.fillOk, `sample ${i} bytes`);
      assert.deepEqual(s.padding, [0, 0, 0, 0]);
    });
    assert.equal(reader.lost, 0);
  } finally {
    reader.close();
    prog.close();
    events.close();
  }
});

for (const mode of ['onSample', 'onRecord'] as const) {
  test(`callback mode: the fd watcher wakes the reader for each CPU's samples (${mode})`, async (t) => {
    if (skipUnless(t, needRoot())) return;
    const events = perfMap('lk_pb_watch');
    const prog = outputProgram(events);
    const got: { seq: number; cpu: number }[] = [];
    const reader = new PerfBufferReader(events, mode === 'onSample'
      ? { onSample: (d, cpu) => got.push({ seq: decode(d).seq, cpu }) }
      : { onRecord: (d, o, n, cpu) => got.push({ seq: decode(d.subarray(o, o + n)).seq, cpu }) });
    try {
      const cpus = onlineCpus();
      // Emit from timers so every sample is picked up by a later wake, never by this code.
      for (let i = 0; i < 20; i++) {
        emit(prog, i, cpus[i % cpus.length]!);
        await sleep(1);
      }
      await until(() => got.length >= 20);
      assert.equal(got.length, 20);
      for (const cpu of cpus) {
        const mine = got.filter((g) => g.cpu === cpu).map((g) => g.seq);
        assert.deepEqual(mine, Array.from({ length: 20 }, (_, i) => i).filter((i) => cpus[i % cpus.length] === cpu), `cpu ${cpu} in order`);
      }
    } finally {
      reader.close();
      prog.close();
      events.close();
    }
  });
}

test('a full per-CPU ring loses samples: lost is counted, and samples + lost == emitted', (t) => {
  if (skipUnless(t, needRoot())) return;
  const events = perfMap('lk_pb_lost');
  const prog = outputProgram(events);
  const cpu = onlineCpus().at(-1)!;
  const seqs: number[] = [];
  const lostCalls: [number, number][] = [];
  // One data page: 4096 / 144-byte records = 28 samples fit.
  const reader = new PerfBufferReader(events, {
    watch: false, pagesPerCpu: 1,
    onSample: (d) => seqs.push(decode(d).seq),
    onLost: (n, c) => lostCalls.push([n, c]),
  });
  try {
    let failed = 0;
    const EMIT = 100;
    for (let i = 0; i < EMIT; i++) {
      const r = emit(prog, i, cpu);
      if (r !== 0) {
        assert.equal(r, -Errno.ENOSPC, 'bpf_perf_event_output says the ring is full');
        failed++;
      }
    }
    assert.ok(failed > 0, 'some outputs failed');
    assert.equal(reader.consume(), EMIT - failed);
    // The kernel writes the LOST record ahead of the next sample that fits.
    assert.equal(emit(prog, EMIT, cpu), 0);
    assert.equal(reader.consume(), 1);
    assert.equal(reader.lost, failed);
    assert.equal(reader.lostOnCpu(cpu), failed);
    assert.deepEqual(lostCalls, [[failed, cpu]]);
    assert.equal(seqs.length + reader.lost, EMIT + 1, 'samples + lost == emitted');
    assert.deepEqual(seqs, [...Array.from({ length: EMIT - failed }, (_, i) => i), EMIT]);
  } finally {
    reader.close();
    prog.close();
    events.close();
  }
});

for (const mode of ['onSample', 'onRecord'] as const) {
  test(`records that wrap the end of the ring arrive intact (${mode})`, (t) => {
    if (skipUnless(t, needRoot())) return;
    const events = perfMap('lk_pb_wrap');
    const prog = outputProgram(events);
    const cpu = onlineCpus()[0]!;
    const got: ReturnType<typeof decode>[] = [];
    const lengths = new Set<number>();
    const reader = new PerfBufferReader(events, {
      watch: false, pagesPerCpu: 1, cpus: [cpu],
      ...(mode === 'onSample'
        ? { onSample: (d: Uint8Array) => { lengths.add(d.length); got.push(decode(d)); } }
        // A copy made inside the call: the bytes are valid only until it returns.
        : { onRecord: (d: Uint8Array, o: number, n: number) => { lengths.add(n); got.push(decode(d.slice(o, o + n))); } }),
    });
    try {
      // 144-byte records through a 4096-byte ring: every 28 or so one straddles the end.
      let seq = 0;
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 20; i++) assert.equal(emit(prog, seq++, cpu), 0);
        assert.equal(reader.consume(), 20);
      }
      assert.equal(got.length, 120);
      assert.deepEqual([...lengths], [RAW]);
      got.forEach((s, i) => {
        assert.equal(s.seq, i);
        assert.equal(s.cpu, cpu);
        assert.ok(s.fillOk, `sample ${i} bytes`);
      });
    } finally {
      reader.close();
      prog.close();
      events.close();
    }
  });
}

test('async iterator yields { cpu, data } copies and ends on close', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const events = perfMap('lk_pb_iter');
  const prog = outputProgram(events);
  const reader = PerfBufferReader.open(events);
  try {
    assert.throws(() => reader.consume(), ArgumentError);
    const cpus = onlineCpus();
    emit(prog, 0, cpus[0]!);
    const got: PerfSample[] = [];
    const loop = (async () => {
      for await (const s of reader) {
        got.push(s);
        if (got.length === 1) setTimeout(() => emit(prog, 1, cpus.at(-1)!), 10);
        if (got.length === 2) setTimeout(() => reader.close(), 10);
      }
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([loop.then(() => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), 5000); })]);
    clearTimeout(timer);
    assert.equal(timedOut, false, 'the loop ended on close');
    assert.deepEqual(got.map((s) => [decode(s.data).seq, s.cpu, s.data.length, s.data.buffer.byteLength]), [
      [0, cpus[0], RAW, RAW], [1, cpus.at(-1), RAW, RAW],
    ]);
  } finally {
    reader.close();
    prog.close();
    events.close();
  }
});

for (const mode of ['onSample', 'onRecord'] as const) {
  test(`data_head and data_tail past 2^32: samples still arrive once each, in order per CPU, whole (${mode})`, (t) => {
    if (skipUnless(t, needRoot())) return;
    // The reader works on the low 32 bits of data_head/data_tail (perf-ring.ts);
    // push 4.3 GB of 60 000-byte samples through 1 MiB rings so they pass 2^32.
    const BIG = 60_000;
    const events = perfMap('lk_pb_wrap');
    const source = BpfMap.create({ type: 'ARRAY', keySize: 4, valueSize: BIG, maxEntries: 1, name: 'lk_pb_wrapsrc' });
    // SCHED_CLS: bump the u64 sequence number at the start of the source value, send all of it.
    const prog = Program.load({
      type: 'SCHED_CLS', name: 'lk_pb_wrap', instructions: assemble(`
        r6 = r1${BUMP_SOURCE_SEQ}
        r1 = r6
        r2 = map[events] ll
        r3 = 0xffffffff ll
        r4 = r0
        r5 = ${BIG}
        call bpf_perf_event_output
      out:
        r0 = 0
        exit`, { maps: { events: events.fd, source: source.fd } }),
    });
    const last = new Map<number, number>();
    let samples = 0;
    let bad = '';
    /** The sample's sequence number must grow per CPU, and the sample be whole. */
    const check = (d: Uint8Array, at: number, length: number, cpu: number): void => {
      const seq = Number(new DataView(d.buffer, at, 8).getBigUint64(0, true));
      if (!bad && (seq <= (last.get(cpu) ?? 0) || length < BIG)) bad = `cpu ${cpu}: seq ${seq} after ${last.get(cpu)}, ${length} bytes`;
      last.set(cpu, seq);
      samples++;
    };
    const reader = new PerfBufferReader(events, {
      watch: false,
      pagesPerCpu: (1 << 20) / pageSize(), // 1 MiB rings
      ...(mode === 'onSample'
        ? { onSample: (d: Uint8Array, cpu: number) => check(d, d.byteOffset, d.length, cpu) }
        : { onRecord: (d: Uint8Array, o: number, n: number, cpu: number) => check(d, d.byteOffset + o, n, cpu) }),
    });
    try {
      // 8-byte header + u32 size + 60 000 bytes, padded to 8: 60 016 bytes a sample; 17 fit in 1 MiB.
      const perRun = 16;
      const runs = Math.ceil((2 ** 32 + (4 << 20)) / (perRun * 60_016));
      for (let i = 0; i < runs && !bad; i++) {
        prog.testRun({ data: new Uint8Array(64), repeat: perRun });
        assert.equal(reader.consume(), perRun);
      }
      assert.equal(bad, '');
      assert.equal(samples, runs * perRun);
      assert.equal(reader.lost, 0);
      assert.equal(reader.available(), 0);
    } finally {
      reader.close();
      prog.close();
      source.close();
      events.close();
    }
  });
}

test('close removes the map entries: the program then finds no event (ENOENT)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const events = perfMap('lk_pb_close');
  const prog = outputProgram(events);
  const cpu = onlineCpus()[0]!;
  try {
    const reader = new PerfBufferReader(events, { watch: false, onSample: () => {} });
    assert.equal(emit(prog, 0, cpu), 0);
    reader.close();
    assert.equal(emit(prog, 1, cpu), -Errno.ENOENT);
    assert.throws(() => reader.consume(), ClosedError);
    reader.close(); // idempotent
  } finally {
    prog.close();
    events.close();
  }
});

test('bad arguments are ArgumentErrors naming the problem', (t) => {
  if (skipUnless(t, needRoot())) return;
  const events = perfMap('lk_pb_args');
  const ring = BpfMap.create({ type: 'RINGBUF', maxEntries: 4096, name: 'lk_pb_ring' });
  try {
    assert.throws(() => new PerfBufferReader(ring), (e: unknown) =>
      e instanceof ArgumentError && /perf buffer 'lk_pb_ring': map type is RINGBUF, expected PERF_EVENT_ARRAY/.test(e.message));
    assert.throws(() => new PerfBufferReader(events, { cpus: [possibleCpuCount()] }), (e: unknown) =>
      e instanceof ArgumentError && /cpu \d+ is outside the map's \d+ entries/.test(e.message));
    assert.throws(() => new PerfBufferReader(events, { pagesPerCpu: 3 }), (e: unknown) =>
      e instanceof ArgumentError && /pagesPerCpu 3 must be a power of 2/.test(e.message));
    assert.throws(() => new PerfBufferReader(events, { onRecord: () => {}, onSample: () => {} }), (e: unknown) =>
      e instanceof ArgumentError && /perf buffer 'lk_pb_args': onRecord excludes onSample and copy/.test(e.message));
    const huge = (2 ** 31) / pageSize();
    assert.throws(() => new PerfBufferReader(events, { pagesPerCpu: huge }), (e: unknown) =>
      e instanceof ArgumentError && new RegExp(`pagesPerCpu ${huge} maps more than the 1073741824 bytes \\(1 GiB\\)`).test(e.message));
  } finally {
    ring.close();
    events.close();
  }
});
