#!/usr/bin/env node
// `npm run fuzz`: mutation + property fuzzing of the pure parsers of
// @lockne/obj -- BtfReader (standalone, split and the kernel's vmlinux BTF),
// ElfFile, the object parser (parseObject) and the .BTF.ext parser -- on BPF
// objects compiled from fuzz/corpus/*.bpf.c by clang at the start of the run.
//
//   node fuzz/run.mjs [--seed N] [--cases N] [--workers N] [--targets a,b] [--hang-ms N]
//   node fuzz/run.mjs --repro fuzz/crashes/<case>.json    # replay one reproducer in-process
//
// Property: each parser returns, or throws its own typed error whose offset
// lies in the input; whatever it returns reads back consistently (and BTF
// round-trips through BtfWriter). Any other exception, a property violation,
// or a case taking over --hang-ms (1000) is a failure: its reproducer goes to
// fuzz/crashes/ and the exit code is 1. The engine lives in
// packages/obj/test/fuzz/ (compiled by `npm run build`), shared with
// packages/obj/test/fuzz-parsers.test.ts.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fuzzArgs } from './args.mjs';
import {
  DEFAULT_WEIGHTS, TARGETS, activeTargets, buildCorpus, check, failureSignature, haveClang, readReproducer, roundTrip, runFuzz, writeReproducer,
} from '../packages/obj/dist/test/fuzz/index.js';
import { BtfReader } from '../packages/obj/dist/src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CRASHES = path.join(here, 'crashes');

function parseArgs(argv) {
  const o = fuzzArgs(argv, {
    script: 'fuzz/run.mjs', ints: ['seed', 'cases', 'workers', 'hang-ms'], strings: ['targets', 'repro'],
    defaults: { seed: undefined, cases: 60000, workers: 2, targets: undefined, hangMs: 1000, repro: undefined },
  });
  if (o.targets !== undefined) {
    o.targets = o.targets.split(',').filter(Boolean);
    const bad = o.targets.filter((t) => !TARGETS.includes(t) || t === 'selftest');
    if (bad.length || !o.targets.length) throw new Error(`fuzz: --targets takes names from ${TARGETS.filter((t) => t !== 'selftest').join(', ')}`);
  }
  return o;
}

function repro(file) {
  const { meta, input } = readReproducer(file);
  console.log(`fuzz: replaying ${meta.target} case ${meta.index} of seed ${meta.seed} (${meta.kind}: ${meta.error})`);
  console.log(`  from ${meta.input}, mutations:\n    ${meta.ops.join('\n    ')}`);
  const t0 = performance.now();
  try {
    const r = check(meta.target, input);
    console.log(`fuzz: ${JSON.stringify(r)} in ${(performance.now() - t0).toFixed(1)} ms: no longer fails`);
  } catch (e) {
    console.log(`fuzz: fails again after ${(performance.now() - t0).toFixed(1)} ms:`);
    console.log(e instanceof Error ? e.stack : e);
    process.exitCode = 1;
  }
}

/** Every unmutated corpus input must parse ('ok'), and vmlinux must round-trip through BtfWriter. */
function baseline(corpus, targets) {
  const bad = [];
  let n = 0;
  for (const [t] of targets) {
    const inputs = t === 'btf' ? corpus.btf : t === 'btf-split' ? corpus.split : t === 'btf-vmlinux' ? [corpus.vmlinux] : t === 'elf' ? corpus.elf
      : t === 'object' ? corpus.objects : t === 'btf-ext' ? corpus.ext : [];
    for (const x of inputs) {
      n++;
      try {
        const r = check(t, x);
        if (r.outcome !== 'ok') bad.push(`${t} ${x.name}: rejected`);
      } catch (e) {
        bad.push(`${t} ${x.name}: ${e instanceof Error ? e.message : e}`);
      }
    }
  }
  // The kernel's BTF is too large to round-trip per case: once here.
  if (corpus.vmlinux && targets.some(([t]) => t === 'btf-vmlinux')) {
    n++;
    try {
      if (roundTrip(BtfReader.parse(corpus.vmlinux.bytes)) !== 'equal') bad.push('vmlinux: not representable by BtfWriter');
    } catch (e) {
      bad.push(`vmlinux round trip: ${e instanceof Error ? e.message : e}`);
    }
  }
  return { n, bad };
}

function table(report) {
  const rows = [['target', 'cases', 'ok', 'rejected', 'failed', 'round trips', 'offset outside', 'mean ms', 'max ms']];
  for (const [t, s] of Object.entries(report.perTarget)) {
    rows.push([t, s.cases, s.ok, s.rejected, s.failed, s.roundTripEqual ? `${s.roundTripEqual} (+${s.roundTripUnrepresentable} unrepr.)` : '-',
      s.offsetOutside || '-', (s.totalMs / Math.max(1, s.cases)).toFixed(2), s.maxMs.toFixed(1)]);
  }
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ')).join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.repro) return repro(o.repro);
  if (!haveClang()) throw new Error('fuzz: clang is needed to build the corpus (apt-get install clang)');
  const seed = o.seed ?? ((Date.now() ^ (process.pid << 16)) >>> 0);
  console.log(`fuzz: seed ${seed} (replay with --seed ${seed}), ${o.cases} cases, ${o.workers} workers`);
  const t0 = performance.now();
  const buildDir = path.join(here, 'build');
  rmSync(buildDir, { recursive: true, force: true });
  const corpus = buildCorpus({ sources: path.join(here, 'corpus'), outDir: buildDir, variants: true });
  const weights = o.targets ? Object.fromEntries(o.targets.map((t) => [t, DEFAULT_WEIGHTS[t] ?? 1])) : DEFAULT_WEIGHTS;
  const targets = activeTargets(corpus, weights);
  console.log(`fuzz: corpus of ${corpus.objects.length} objects, ${corpus.btf.length} BTF blobs, ${corpus.split.length} split BTF, ${corpus.ext.length} .BTF.ext${corpus.vmlinux ? ', vmlinux' : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s; targets ${targets.map(([t]) => t).join(', ')}`);
  const base = baseline(corpus, targets);
  console.log(`fuzz: ${base.n} unmutated inputs: ${base.bad.length ? `${base.bad.length} FAILED\n  ${base.bad.join('\n  ')}` : 'all parse'}`);
  const tty = process.stdout.isTTY;
  let last = -1;
  const report = await runFuzz({
    corpus, seed, cases: o.cases, workers: o.workers, weights, hangMs: o.hangMs,
    onProgress: (done, total) => {
      const pct = Math.floor((100 * done) / total);
      if (tty) process.stdout.write(`\r  ${done}/${total} cases`);
      else if (pct >= last + 10) console.log(`  ${done}/${total} cases`), (last = pct);
    },
  });
  if (tty) process.stdout.write('\n');
  console.log(`\n${table(report)}\n`);
  console.log(`fuzz: ${report.cases} cases in ${(report.elapsedMs / 1000).toFixed(1)} s (${Math.round(report.cases / (report.elapsedMs / 1000))}/s), seed ${seed}: ${report.failureCount} failure(s)`);
  if (report.failureCount > 0) {
    const groups = new Map();
    for (const f of report.failures) {
      const sig = failureSignature(f);
      if (!groups.has(sig)) groups.set(sig, []);
      groups.get(sig).push(f);
    }
    for (const [sig, fs] of groups) {
      const file = writeReproducer(CRASHES, seed, fs[0]);
      console.log(`\n  ${fs.length}× ${sig}\n    reproducer: ${path.relative(process.cwd(), file)}  (node fuzz/run.mjs --repro ${path.relative(process.cwd(), file)})`);
      for (const f of fs.slice(1, 4)) writeReproducer(CRASHES, seed, f);
    }
    if (report.failureCount > report.failures.length) console.log(`\n  (${report.failureCount - report.failures.length} more failures not kept)`);
  }
  if (report.notes.length > 0) {
    const dir = path.join(CRASHES, 'notes');
    for (const f of report.notes) writeReproducer(dir, seed, f);
    console.log(`\nfuzz: ${report.notes.length} example(s) of typed errors whose offset lies outside the input (not failures) in ${path.relative(process.cwd(), dir)}/`);
  }
  if (report.failureCount > 0 || base.bad.length > 0) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exitCode = 2;
});
