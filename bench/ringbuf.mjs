// Benchmark 3: ring buffer records consumed per second, 128-byte records,
// Node RingBufferReader vs libbpf ring_buffer__consume / ring_buffer__poll.
//
// Producer: one SCHED_CLS program that calls bpf_ringbuf_output() once per
// run with 128 bytes (counting failed outputs in a `drops` array), driven by
// BPF_PROG_TEST_RUN. Both consumers read the same pinned maps fed by the same
// pinned program (c/ringbuf.c opens them by path). Node is measured twice:
// onSample (a Uint8Array view per record) and onRecord (the data area,
// offset, length: no allocation per record).
//   drain: test-run fills a 256 MiB ring with N records, then the consumer
//          drains all N; pure consumption speed.
//   hot:   the same with 7 000 records in a 1 MiB ring, written and drained
//          on one CPU, thousands of times: the consumer loop's own cost
//          (reference, no goal).
//   live:  a separate producer process (c/rb_producer.c) test-runs the
//          program for a fixed time, paced to a fixed rate, while the
//          consumer is woken by epoll (libbpf ring_buffer__poll; Node's fd
//          watcher in callback mode). Rate = records consumed / (end of the
//          final drain - producer start); drops = outputs the full ring
//          refused; plus the consumer's CPU time per record. Unpaced, the
//          producer's speed depends on the consumer: one that keeps the ring
//          empty makes the kernel send a wakeup for nearly every record, which
//          the producer pays for, so the two consumers would not face the same
//          load.
import { BpfMap, Program, RingBufferReader, u32, u64 } from '@lockne/bpf';
import { assemble } from '@lockne/obj';
import { PinDir } from './lib/pins.mjs';
import { currentCpus, pinMainThread, producerConsumerCpus } from './lib/affinity.mjs';
import { runJson, startChild, lastJson } from './lib/proc.mjs';
import { compare, pairedNote, row, fmtRate } from './lib/report.mjs';
import { median, round, timed } from './lib/stats.mjs';

export const name = 'ringbuf';
const GOAL = 0.8;
const RECORD = 128;
const SPAN = RECORD + 8; // record plus the ring's 8-byte header, 8-aligned

/** One bpf_ringbuf_output of 128 zeroed stack bytes per run; failures counted in drops[0]. */
function producerAsm() {
  const zero = Array.from({ length: RECORD / 8 }, (_, i) => `*(u64 *)(r10 - ${8 * (i + 1)}) = r1`).join('\n');
  return `
    r1 = 0
    ${zero}
    r1 = map[events] ll
    r2 = r10
    r2 += -${RECORD}
    r3 = ${RECORD}
    r4 = 0
    call bpf_ringbuf_output
    if r0 == 0 goto out
    r1 = 0
    *(u32 *)(r10 - ${RECORD + 4}) = r1
    r1 = map[drops] ll
    r2 = r10
    r2 += -${RECORD + 4}
    call bpf_map_lookup_elem
    if r0 == 0 goto out
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
  out:
    r0 = 0
    exit`;
}

/** A ring, its drops counter and the program feeding them, pinned for the C side. */
function makeProducer(pins, tag, ringBytes) {
  const owned = [];
  try {
    const events = BpfMap.create({ type: 'RINGBUF', maxEntries: ringBytes, name: `lk_rb_${tag}` });
    owned.push(events);
    const drops = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 1, name: `lk_drops_${tag}` });
    owned.push(drops);
    const prog = Program.load({
      type: 'SCHED_CLS',
      name: `lk_rb_${tag}`,
      instructions: assemble(producerAsm(), { maps: { events: events.fd, drops: drops.fd } }),
    });
    owned.push(prog);
    return {
      events, prog,
      mapPin: pins.pin(events, `rb_${tag}`),
      progPin: pins.pin(prog, `prog_${tag}`),
      /** Outputs the full ring refused since the last call (and reset the count). */
      takeDrops() {
        const n = drops.get(0) ?? 0n;
        drops.set(0, 0n);
        return Number(n);
      },
      close() {
        for (const o of owned.reverse()) o.close();
      },
    };
  } catch (e) {
    for (const o of owned.reverse()) o.close();
    throw e;
  }
}

/** Count records and touch their first byte, as the C callback does. */
function counter() {
  const c = {
    records: 0,
    sum: 0,
    onSample: (d) => { c.records++; c.sum += d[0] + d.length; },
    // The same work through onRecord: no view per record.
    onRecord: (d, off, len) => { c.records++; c.sum += d[off] + len; },
  };
  return c;
}

/**
 * Test-run the producer until the ring holds `records` records (chunks keep
 * each call short). With `cpus`, the records are written from cpus.producer
 * and this thread then moves to cpus.consumer, where both consumers read.
 */
function fill(p, reader, records, cpus) {
  const pkt = new Uint8Array(64);
  const chunk = 100_000;
  if (cpus) pinMainThread(cpus.producer);
  for (let done = 0; done < records; done += chunk) p.prog.testRun({ data: pkt, repeat: Math.min(chunk, records - done) });
  if (cpus) pinMainThread(cpus.consumer);
  const dropped = p.takeDrops();
  if (dropped || reader.available() !== records * SPAN) {
    throw new Error(`bench: drain ring holds ${reader.available() / SPAN} records (${dropped} refused), expected ${records}`);
  }
}

async function drainBench(p, cfg, bins, log) {
  // Placement decides the result more than either consumer does: unpinned,
  // Node sat on one CPU for seconds at a time while each C process landed on
  // either, so Node's per-record time flipped between ~10 and ~15 ns in
  // stretches (fill and drain on the same CPU, or not) while libbpf's
  // scattered over 7-15 ns. So the producer writes from one CPU and both
  // consumers read on the other, as a kernel producer and a reader usually do.
  const cpus = producerConsumerCpus();
  const restore = currentCpus();
  const c = counter();
  const reader = new RingBufferReader(p.events, { onSample: c.onSample, watch: false });
  let rawReader;
  try {
    rawReader = new RingBufferReader(p.events, { onRecord: c.onRecord, watch: false });
    if (reader.available() !== 0) throw new Error('bench: drain ring not empty at start');
    const nodeDrain = (r) => () => {
      fill(p, r, cfg.drainRecords, cpus);
      c.records = 0;
      const t = timed(() => {
        while (c.records < cfg.drainRecords) {
          if (r.consume() === 0) break;
        }
      });
      if (c.records !== cfg.drainRecords) throw new Error(`bench: node drained ${c.records} of ${cfg.drainRecords}`);
      return { ns: t.ns, cpuNs: t.cpuNs };
    };
    const impls = {
      libbpf: () => {
        fill(p, reader, cfg.drainRecords, cpus);
        const r = runJson('taskset', ['-c', cpus.consumer, bins.ringbuf, 'drain', p.mapPin, cfg.drainRecords]);
        if (r.records !== cfg.drainRecords) throw new Error(`bench: libbpf drained ${r.records} of ${cfg.drainRecords}`);
        return { ns: r.ns, cpuNs: r.cpu_ns };
      },
      node: nodeDrain(reader),
      raw: nodeDrain(rawReader),
    };
    impls.node(); // warm the JIT on the consume loops
    impls.raw();
    const samples = { libbpf: [], node: [], raw: [] };
    const order = Object.keys(impls);
    for (let rep = 0; rep < cfg.drainReps; rep++) {
      for (let j = 0; j < order.length; j++) {
        const impl = order[(rep + j) % order.length];
        samples[impl].push(impls[impl]());
      }
    }
    const perSec = (xs) => xs.map((x) => (cfg.drainRecords * 1e9) / x.ns);
    const cpuPerSec = (xs) => xs.map((x) => (cfg.drainRecords * 1e9) / x.cpuNs);
    const figures = (xs) => ({ nsPerDrain: xs.map((x) => x.ns), cpuNsPerDrain: xs.map((x) => x.cpuNs) });
    const rows = {
      libbpf: row('libbpf', 'ring_buffer__consume()', perSec(samples.libbpf), figures(samples.libbpf), cpuPerSec(samples.libbpf)),
      node: row('node', '`RingBufferReader.consume()`', perSec(samples.node), figures(samples.node), cpuPerSec(samples.node)),
      raw: row('node-raw', '`consume()` with `onRecord(data, offset, length)`', perSec(samples.raw), figures(samples.raw), cpuPerSec(samples.raw)),
    };
    const label = `drain ${cfg.drainRecords / 1e6}M records from a ${cfg.drainRingMiB} MiB ring, written on CPU ${cpus.producer}, read on CPU ${cpus.consumer}`;
    const cmps = ['node', 'raw'].map((impl) => compare(label, 'events/s', rows.libbpf, rows[impl], GOAL, pairedNote(rows.libbpf, rows[impl])));
    for (const [i, impl] of ['node', 'raw'].entries()) {
      log(`drain: libbpf ${fmtRate(rows.libbpf.medianPerSecond, 'events/s')}, ${impl} ${fmtRate(rows[impl].medianPerSecond, 'events/s')}: ${cmps[i].ratio.toFixed(2)}x (cpu ${cmps[i].cpuRatio.toFixed(2)}x)`);
    }
    return { caseEntry: { case: label, rows: Object.values(rows), cpus }, cmps };
  } finally {
    pinMainThread(restore);
    rawReader?.close();
    reader.close();
  }
}

/**
 * Cache-hot: the producer writes `hotRecords` records (a ~1 MiB ring) on the
 * consumer's CPU and the consumer drains them right away, `hotReps` times per
 * block, C and Node blocks alternating: the consumer loop's own cost, without
 * the memory traffic that dominates the drain above. Reference rows, no goal.
 */
async function hotBench(p, cfg, bins, log) {
  const cpus = producerConsumerCpus();
  const restore = currentCpus();
  const c = counter();
  const readers = {
    node: new RingBufferReader(p.events, { onSample: c.onSample, watch: false }),
    raw: new RingBufferReader(p.events, { onRecord: c.onRecord, watch: false }),
  };
  const pkt = new Uint8Array(64);
  const nodeBlock = (reader, reps, out) => {
    for (let i = 0; i < reps; i++) {
      p.prog.testRun({ data: pkt, repeat: cfg.hotRecords });
      c.records = 0;
      const t = process.hrtime.bigint();
      reader.consume();
      const ns = Number(process.hrtime.bigint() - t);
      if (c.records !== cfg.hotRecords) throw new Error(`bench: hot drain saw ${c.records} of ${cfg.hotRecords}`);
      out?.push(ns / cfg.hotRecords);
    }
  };
  const cBlock = (out) => {
    const r = runJson('taskset', ['-c', cpus.consumer, bins.ringbuf, 'hot', p.mapPin, p.progPin, cfg.hotRecords, cfg.hotReps]);
    out.push(...r.ns_per_record);
  };
  try {
    pinMainThread(cpus.consumer);
    for (const r of Object.values(readers)) nodeBlock(r, cfg.hotReps, null); // JIT warm-up
    const samples = { libbpf: [], node: [], raw: [] };
    for (let b = 0; b < cfg.hotBlocks; b++) {
      cBlock(samples.libbpf);
      nodeBlock(readers.raw, cfg.hotReps, samples.raw);
      nodeBlock(readers.node, cfg.hotReps, samples.node);
    }
    if (p.takeDrops()) throw new Error('bench: the hot ring refused records');
    const perSec = (xs) => xs.map((ns) => 1e9 / ns);
    const rows = {
      libbpf: row('libbpf', 'ring_buffer__consume()', perSec(samples.libbpf)),
      node: row('node', '`RingBufferReader.consume()`', perSec(samples.node)),
      raw: row('node-raw', '`consume()` with `onRecord(data, offset, length)`', perSec(samples.raw)),
    };
    const label = `cache-hot: ${cfg.hotRecords} records written and drained on CPU ${cpus.consumer}, ${cfg.hotBlocks * cfg.hotReps} times (reference)`;
    const cmps = ['node', 'raw'].map((impl) => compare(label, 'events/s', rows.libbpf, rows[impl], null,
      `${(1e9 / rows[impl].medianPerSecond).toFixed(2)} vs ${(1e9 / rows.libbpf.medianPerSecond).toFixed(2)} ns per record: the consumer loop alone`));
    for (const [i, impl] of ['node', 'raw'].entries()) log(`hot: ${impl} ${cmps[i].ratio.toFixed(2)}x (${cmps[i].note})`);
    return { caseEntry: { case: label, rows: Object.values(rows), cpus }, cmps };
  } finally {
    pinMainThread(restore);
    readers.raw.close();
    readers.node.close();
  }
}

function producer(p, cfg, bins) {
  return startChild(bins.rb_producer, [p.progPin, cfg.liveMs, cfg.liveRepeat, cfg.liveRate]).done;
}

async function liveC(p, cfg, bins) {
  const consumer = startChild(bins.ringbuf, ['live', p.mapPin]);
  try {
    await consumer.waitFor('ready');
    const prod = await producer(p, cfg, bins);
    consumer.child.kill('SIGUSR1');
    const res = lastJson((await consumer.done).stdout, bins.ringbuf);
    return { produced: lastJson(prod.stdout, bins.rb_producer), records: res.records, doneNs: res.done_ns, cpuNs: res.cpu_ns };
  } catch (e) {
    consumer.child.kill('SIGKILL');
    throw e;
  }
}

async function liveNode(p, cfg, bins, raw = false) {
  const c = counter();
  const reader = new RingBufferReader(p.events, raw ? { onRecord: c.onRecord } : { onSample: c.onSample });
  try {
    const cpu0 = process.cpuUsage();
    const prod = await producer(p, cfg, bins);
    reader.consume();
    const doneNs = Number(process.hrtime.bigint());
    const cpu = process.cpuUsage(cpu0);
    return { produced: lastJson(prod.stdout, bins.rb_producer), records: c.records, doneNs, cpuNs: (cpu.user + cpu.system) * 1000 };
  } finally {
    reader.close();
  }
}

async function liveBench(p, cfg, bins, log) {
  const runs = { libbpf: [], node: [], raw: [] };
  const impls = { libbpf: () => liveC(p, cfg, bins), node: () => liveNode(p, cfg, bins), raw: () => liveNode(p, cfg, bins, true) };
  const order = Object.keys(impls);
  for (let rep = 0; rep < cfg.liveReps; rep++) {
    for (let j = 0; j < order.length; j++) {
      const impl = order[(rep + j) % order.length];
      const r = await impls[impl]();
      const drops = p.takeDrops();
      const offered = r.produced.runs;
      if (r.records + drops !== offered) {
        throw new Error(`bench: ${impl} live run: ${r.records} consumed + ${drops} dropped != ${offered} produced`);
      }
      runs[impl].push({
        consumed: r.records, dropped: drops, produced: offered,
        seconds: round((r.doneNs - r.produced.start_ns) / 1e9, 4),
        producerSeconds: round((r.produced.end_ns - r.produced.start_ns) / 1e9, 4),
        consumerCpuSeconds: round(r.cpuNs / 1e9, 4),
      });
    }
  }
  const perSec = (xs) => xs.map((x) => x.consumed / x.seconds);
  const perCpuSec = (xs) => xs.map((x) => x.consumed / x.consumerCpuSeconds);
  const dropPct = (xs) => round((100 * xs.reduce((a, x) => a + x.dropped, 0)) / xs.reduce((a, x) => a + x.produced, 0), 2);
  const mk = (impl, api) => row(impl, api, perSec(runs[impl]), { runs: runs[impl], dropPercent: dropPct(runs[impl]) }, perCpuSec(runs[impl]));
  const rows = {
    libbpf: mk('libbpf', 'ring_buffer__poll()'),
    node: mk('node', '`RingBufferReader` callback mode'),
    raw: mk('raw', 'callback mode with `onRecord`'),
  };
  const offered = (xs) => round(median(xs.map((x) => x.produced / x.producerSeconds)) / 1e6, 2);
  const label = `live: producer process paced to ${cfg.liveRate / 1e6}M/s for ${cfg.liveMs} ms, ${cfg.liveRingMiB} MiB ring`;
  const cmps = ['node', 'raw'].map((impl) => {
    const note = `offered ${offered(runs.libbpf)} / ${offered(runs[impl])} M/s (libbpf / node runs); dropped ${rows.libbpf.dropPercent}% / ${rows[impl].dropPercent}%; consumer CPU per event ${(1e9 / rows.libbpf.medianCpuPerSecond).toFixed(0)} / ${(1e9 / rows[impl].medianCpuPerSecond).toFixed(0)} ns`;
    const cmp = compare(label, 'events/s', rows.libbpf, rows[impl], GOAL, note);
    log(`live: libbpf ${fmtRate(rows.libbpf.medianPerSecond, 'events/s')}, ${impl} ${fmtRate(rows[impl].medianPerSecond, 'events/s')}: ${cmp.ratio.toFixed(2)}x (cpu ${cmp.cpuRatio.toFixed(2)}x; ${note})`);
    return cmp;
  });
  return { caseEntry: { case: label, rows: Object.values(rows) }, cmps };
}

export async function run({ bins, quick, log }) {
  const config = {
    recordBytes: RECORD,
    drainRingMiB: 256, drainRecords: quick ? 200_000 : 1_000_000, drainReps: quick ? 3 : 31,
    hotRingMiB: 1, hotRecords: 7000, hotReps: quick ? 100 : 250, hotBlocks: quick ? 2 : 4,
    liveRingMiB: 8, liveMs: quick ? 300 : 1000, liveRepeat: 1000, liveRate: 2_000_000, liveReps: quick ? 1 : 3,
  };
  if (config.drainRecords * SPAN > config.drainRingMiB * 2 ** 20) throw new Error('bench: drain records do not fit the ring');
  const pins = new PinDir();
  const made = [];
  try {
    const drainP = makeProducer(pins, 'drain', config.drainRingMiB * 2 ** 20);
    made.push(drainP);
    const hotP = makeProducer(pins, 'hot', config.hotRingMiB * 2 ** 20);
    made.push(hotP);
    const liveP = makeProducer(pins, 'live', config.liveRingMiB * 2 ** 20);
    made.push(liveP);
    const hot = await hotBench(hotP, config, bins, log);
    const drain = await drainBench(drainP, config, bins, log);
    const live = await liveBench(liveP, config, bins, log);
    return {
      name, title: 'Ring buffer', goal: GOAL, config,
      cases: [drain.caseEntry, hot.caseEntry, live.caseEntry],
      comparisons: [...drain.cmps, ...hot.cmps, ...live.cmps],
    };
  } finally {
    for (const p of made) p.close();
    pins.remove();
  }
}
