#!/usr/bin/env node
// `npm run bench`: builds the C/libbpf counterparts, runs every benchmark
// (Node and C in the same run, repetitions interleaved), writes
// bench/results/<name>.json and refreshes the table in bench/README.md.
//
//   node bench/run.mjs [--only map-ops,batch-lookup,ringbuf,btf-parse,object-load,compiler] [--quick]
//
// --quick: fewer operations and repetitions, for checking the harness: its
// figures are printed but neither written to results/ nor to the README.
// Needs root (bpf syscall, bpffs) and gcc + libbpf-dev (scripts/setup.sh).
import { buildC } from './lib/build-c.mjs';
import { load1, machineInfo, plainNodeStart } from './lib/machine.mjs';
import { renderTable, updateReadme, writeResult } from './lib/report.mjs';
import * as mapOps from './map-ops.mjs';
import * as batch from './batch.mjs';
import * as ringbuf from './ringbuf.mjs';
import * as btfParse from './btf-parse.mjs';
import * as objectLoad from './object-load.mjs';
import * as compiler from './compiler/bench.mjs';
import * as lockne from './lockne/bench.mjs';

const ALL = [mapOps, batch, ringbuf, btfParse, objectLoad, compiler, lockne];

function parseArgs(argv) {
  const opts = { only: ALL.map((b) => b.name), quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a.includes('=') ? a.slice(7) : argv[++i];
      opts.only = (v ?? '').split(',').filter(Boolean);
      const unknown = opts.only.filter((n) => !ALL.some((b) => b.name === n));
      if (unknown.length || !opts.only.length) throw new Error(`bench: --only takes names from ${ALL.map((b) => b.name).join(', ')}`);
    } else throw new Error(`bench: unknown argument '${a}' (use --only NAMES, --quick)`);
  }
  return opts;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('bench: needs root (bpf syscall, bpffs pins)');
  plainNodeStart();
  const started = Date.now();
  const bins = buildC();
  const machine = machineInfo(bins.version);
  console.log(`bench: Linux ${machine.kernel}, ${machine.cpuModel} x${machine.cpus}, Node ${machine.node}, libbpf ${machine.libbpf}, load ${load1()}`);
  if (machine.unsetForNodeChildren.length) console.log(`bench: unset for the Node processes it starts: ${machine.unsetForNodeChildren.join(', ')} (bench/lib/machine.mjs says why)`);
  const results = [];
  for (const b of ALL.filter((x) => opts.only.includes(x.name))) {
    const t0 = Date.now();
    const loadStart = load1();
    console.log(`\n== ${b.name}`);
    const log = (s) => console.log(`  ${s}`);
    const result = {
      ...(await b.run({ bins, quick: opts.quick, log })),
      date: new Date().toISOString(),
      quick: opts.quick,
      seconds: Math.round((Date.now() - t0) / 100) / 10,
      machine,
      loadAverage1m: { start: loadStart, end: load1() },
    };
    results.push(result);
    if (!opts.quick) console.log(`  -> ${writeResult(result)}`);
  }
  if (!opts.quick) updateReadme();
  const where = opts.quick ? '--quick: nothing written' : 'table written to bench/README.md';
  console.log(`\n${renderTable(opts.quick ? results : undefined)}\n\nbench: done in ${Math.round((Date.now() - started) / 1000)} s; ${where}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
