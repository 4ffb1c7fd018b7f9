#!/usr/bin/env node
// Mutation fuzzing of Lockne's config parser (apps/lockne/src/config: smol-toml + zod + the key
// locator). Valid configs get 1-6 stacked mutations -- byte flips and bit flips, deleted ranges
// and lines, duplicated and swapped lines, random values for keys, renamed keys, inserted tokens
// and table headers, extra (often clashing) profiles, truncation -- and go to parseConfig.
//
//   node fuzz/lockne-config.mjs [--seed N] [--cases N] [--workers N] [--slow-ms N] [--hang-ms N]
//   node fuzz/lockne-config.mjs --repro fuzz/crashes/lockne-config-s<seed>-c<case>.json
//   node fuzz/lockne-config.mjs --cases 100 --selftest-hang 7 --hang-ms 1000   # case 7 loops forever: must be reported
//
// Property (checkConfigCase in src/config/fuzz.ts): parseConfig returns a config that keeps every
// rule (at most 15 profiles, one exclude, unique via and apps, derived numbers right), or throws a
// ConfigError whose problems lie inside the text (line and column) and whose message is exactly
// those problems. Anything else thrown, a property violation, a case over --slow-ms (1000) or one
// still running at --hang-ms (5000: the worker is terminated and replaced) is a failure; its
// reproducer goes to fuzz/crashes/ and the exit code is 1. Every case is derived from
// (seed, index) alone: --seed replays a run. Needs `npm run build` first (engine in dist/).
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzzArgs } from './args.mjs';
import { CONFIG_CORPUS, checkConfigCase, makeConfigCase } from '../apps/lockne/dist/src/config/fuzz.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CRASHES = path.join(here, 'crashes');

function parseArgs(argv) {
  return fuzzArgs(argv, {
    script: 'fuzz/lockne-config.mjs', ints: ['seed', 'cases', 'workers', 'slow-ms', 'hang-ms', 'selftest-hang'], strings: ['repro'],
    defaults: { seed: undefined, cases: 50000, workers: 2, slowMs: 1000, hangMs: 5000, repro: undefined, selftestHang: -1 },
  });
}

/**
 * Worker: run cases first, first + stride, ... below `cases`. Progress goes through `shared` so
 * that it survives the worker being terminated: [running case or -1, its start time, done, ok,
 * rejected, slowest ms].
 */
function worker() {
  const { seed, cases, first, stride, slowMs, shared, selftestHang } = workerData;
  const slot = new Float64Array(shared);
  for (const text of CONFIG_CORPUS) checkConfigCase(text); // warm up (zod compiles its parsers on first use) before timing
  for (let i = first; i < cases; i += stride) {
    slot[1] = performance.timeOrigin + performance.now();
    slot[0] = i;
    const c = makeConfigCase(seed, i);
    const t0 = performance.now();
    if (i === selftestHang) for (;;); // --selftest-hang: prove the watchdog works
    try {
      if (checkConfigCase(c.text) === 'ok') slot[3]++;
      else slot[4]++;
    } catch (e) {
      parentPort.postMessage({ index: i, kind: 'threw', error: e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e), stack: e instanceof Error ? e.stack : undefined });
    }
    const ms = performance.now() - t0;
    if (ms > slowMs) parentPort.postMessage({ index: i, kind: 'slow', error: `took ${ms.toFixed(0)} ms (over ${slowMs})` });
    slot[5] = Math.max(slot[5], ms);
    slot[2]++;
  }
  slot[0] = -1;
}

function writeReproducer(seed, f) {
  mkdirSync(CRASHES, { recursive: true });
  const c = makeConfigCase(seed, f.index);
  const file = path.join(CRASHES, `lockne-config-s${seed}-c${f.index}.json`);
  writeFileSync(file, JSON.stringify({ target: 'lockne-config', seed, index: f.index, base: c.base, ops: c.ops, kind: f.kind, error: f.error, stack: f.stack, text: c.text }, null, 2));
  return file;
}

function repro(file) {
  const meta = JSON.parse(readFileSync(file, 'utf8'));
  console.log(`fuzz: replaying lockne-config case ${meta.index} of seed ${meta.seed} (${meta.kind}: ${meta.error})`);
  console.log(`  from corpus config ${meta.base}, mutations:\n    ${meta.ops.join('\n    ')}`);
  const t0 = performance.now();
  try {
    const r = checkConfigCase(meta.text);
    console.log(`fuzz: ${r} in ${(performance.now() - t0).toFixed(1)} ms: no longer fails`);
  } catch (e) {
    console.log(`fuzz: fails again after ${(performance.now() - t0).toFixed(1)} ms:`);
    console.log(e instanceof Error ? e.stack : e);
    process.exitCode = 1;
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.repro) return repro(o.repro);
  const seed = o.seed ?? ((Date.now() ^ (process.pid << 16)) >>> 0);
  console.log(`fuzz: lockne-config, seed ${seed} (replay with --seed ${seed}), ${o.cases} cases, ${o.workers} workers, corpus of ${CONFIG_CORPUS.length} configs`);
  const base = CONFIG_CORPUS.filter((t) => { try { return checkConfigCase(t) !== 'ok'; } catch { return true; } });
  console.log(`fuzz: ${CONFIG_CORPUS.length} unmutated configs: ${base.length ? `${base.length} FAILED` : 'all parse'}`);

  const t0 = performance.now();
  const slots = [];
  const failures = [];
  const sum = () => {
    const t = { done: 0, ok: 0, rejected: 0, maxMs: 0 };
    for (const s of slots) { t.done += s[2]; t.ok += s[3]; t.rejected += s[4]; t.maxMs = Math.max(t.maxMs, s[5]); }
    return t;
  };
  const tty = process.stdout.isTTY;
  let lastPct = -1;
  const progress = setInterval(() => {
    const done = sum().done;
    const pct = Math.floor((100 * done) / Math.max(1, o.cases));
    if (tty) process.stdout.write(`\r  ${done}/${o.cases} cases`);
    else if (pct >= lastPct + 10) { console.log(`  ${done}/${o.cases} cases`); lastPct = pct; }
  }, 500);

  await new Promise((resolve) => {
    let live = 0;
    const start = (first, stride) => {
      if (first >= o.cases) { if (live === 0) resolve(); return; }
      const slot = new Float64Array(new SharedArrayBuffer(6 * 8));
      slot[0] = -1;
      slots.push(slot);
      const w = new Worker(new URL(import.meta.url), { workerData: { seed, cases: o.cases, first, stride, slowMs: o.slowMs, shared: slot.buffer, selftestHang: o.selftestHang } });
      live++;
      let over = false;
      const end = (count = true) => { if (over) return false; over = true; clearInterval(watch); if (count) live--; return true; };
      w.on('message', (m) => failures.push(m));
      w.on('error', (e) => { if (end()) { failures.push({ index: slot[0], kind: 'worker', error: String(e) }); if (live === 0) resolve(); } });
      w.on('exit', () => { if (end() && live === 0) resolve(); });
      // A synchronous loop cannot be interrupted: terminate the worker, record the case, go on after it.
      const watch = setInterval(() => {
        const index = slot[0];
        if (index < 0 || performance.timeOrigin + performance.now() - slot[1] < o.hangMs) return;
        end(false); // still counted live until its replacement starts, so the run does not end early
        failures.push({ index, kind: 'hang', error: `still running after ${o.hangMs} ms` });
        slot[2]++;
        w.terminate().finally(() => { live--; start(index + stride, stride); });
      }, 100);
    };
    for (let k = 0; k < o.workers; k++) start(k, o.workers);
  });
  clearInterval(progress);
  if (tty) process.stdout.write('\n');
  const totals = sum();

  const secs = (performance.now() - t0) / 1000;
  console.log(`fuzz: ${totals.done} cases in ${secs.toFixed(1)} s (${Math.round(totals.done / secs)}/s), seed ${seed}: ${totals.ok} ok, ${totals.rejected} rejected (ConfigError), ${failures.length} failure(s); slowest case ${totals.maxMs.toFixed(1)} ms`);
  const groups = new Map();
  for (const f of failures) {
    const sig = `${f.kind}: ${String(f.error).replace(/\d+/g, 'N').slice(0, 160)}`;
    if (!groups.has(sig)) groups.set(sig, []);
    groups.get(sig).push(f);
  }
  for (const [sig, fs] of groups) {
    const file = writeReproducer(seed, fs[0]);
    console.log(`\n  ${fs.length}× ${sig}\n    reproducer: ${path.relative(process.cwd(), file)}  (node fuzz/lockne-config.mjs --repro ${path.relative(process.cwd(), file)})`);
    for (const f of fs.slice(1, 4)) writeReproducer(seed, f);
  }
  if (failures.length > 0 || base.length > 0) process.exitCode = 1;
}

if (isMainThread) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exitCode = 2;
  });
} else {
  worker();
}
