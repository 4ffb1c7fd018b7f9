// Benchmark: the TypeScript → eBPF compiler (@lockne/compiler) against
// clang -O2 on the same logic. Every program in progs/ is written twice,
// NAME.bpf.ts and NAME.bpf.c; both objects are loaded with BpfObject.load
// (log level 1) and compared on:
//   - instructions in the object (ELF text of the program, 8-byte slots) and
//     after the kernel's rewrite (bpf_prog_info xlated_prog_len / 8);
//   - verifier work: "processed N insns" from the log (and verified_insns);
//   - BPF_PROG_TEST_RUN time: repeat 1e6 on the same packet, several runs,
//     TS and C alternating, median of the per-run mean ns;
//   - compile time: compile() in this process (warm; the first compile of
//     the process, which includes TypeScript's start-up, is reported apart)
//     and clang as a process (reference).
// Goals (issue 4): TS ≤ 1.10× clang's instructions, ≤ 1.05× its ns, compile
// < 1 s per example.
//
//   node bench/compiler/bench.mjs [--quick]     # on its own (root), or: node bench/run.mjs --only compiler
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, round } from '../lib/stats.mjs';
import { packets } from './packets.mjs';
import { runMain, runStandalone } from '../lib/standalone.mjs';

export const name = 'compiler';
const INSN_GOAL = 1.1;
const NS_GOAL = 1.05;
const COMPILE_GOAL_MS = 1000;
const BPF_MAP_TYPE_RINGBUF = 27;
const self = fileURLToPath(import.meta.url);
const here = path.dirname(self);
const PROGS = path.join(here, 'progs');
const OUT = path.join(here, '..', 'build', 'compiler');
const README = path.join(here, '..', 'README.md');
const START = '<!-- bench:compiler:start -->';
const END = '<!-- bench:compiler:end -->';
const multiarch = `/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
// -mcpu=v3: ALU32 + JMP32, as the TS back end emits (clang 14 defaults to v1).
export const CLANG_ARGS = ['-O2', '-g', '-target', 'bpf', '-mcpu=v3', `-I${multiarch}`];

/** Program names in progs/: those with both a .bpf.ts and a .bpf.c. */
function programNames() {
  const files = new Set(readdirSync(PROGS));
  return [...files].filter((f) => f.endsWith('.bpf.ts') && files.has(f.replace(/\.ts$/, '.c'))).map((f) => f.slice(0, -7)).sort();
}

function clang(prog) {
  const out = path.join(OUT, `${prog}.c.o`);
  const args = [...CLANG_ARGS, '-c', path.join(PROGS, `${prog}.bpf.c`), '-o', out];
  const t0 = process.hrtime.bigint();
  const r = spawnSync('clang', args, { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error || r.status !== 0) throw new Error(`bench: clang ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  return { object: new Uint8Array(readFileSync(out)), ms };
}

function compileTs(compiler, prog) {
  const file = path.join(PROGS, `${prog}.bpf.ts`);
  const t0 = process.hrtime.bigint();
  const r = compiler.compile(file);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!r.object) throw new Error(`bench: compile ${file} failed:\n${r.diagnostics.map(compiler.formatDiagnostic).join('\n')}`);
  return { object: r.object, ms };
}

/** Load one side, read its figures, keep it loaded for the timed runs. */
function loadSide(bpf, obj, object, prog) {
  const spec = obj.parseObject(object);
  if (spec.programs.length !== 1) throw new Error(`bench: ${prog}: want one program per object, got ${spec.programs.map((p) => p.name).join(', ')}`);
  const pspec = spec.programs[0];
  const loaded = bpf.BpfObject.load(object, { logLevel: 1 });
  try {
    const p = loaded.program(pspec.name);
    const m = /processed (\d+) insns/.exec(p.verifierLog);
    if (!m) throw new Error(`bench: ${prog}: no "processed N insns" in the verifier log:\n${p.verifierLog.slice(-500)}`);
    const info = bpf.programInfoByFd(p.fd);
    return {
      loaded, prog: p, program: pspec.name, section: pspec.def.section,
      figures: {
        objectInsns: pspec.instructions.length,
        xlatedInsns: info.xlatedLength / 8,
        jitedBytes: info.jitedLength,
        verifierProcessed: Number(m[1]),
        verifiedInsns: info.verifiedInstructions,
        objectBytes: object.byteLength,
      },
    };
  } catch (e) {
    loaded.close();
    throw e;
  }
}

/** Empty every ring buffer of a loaded object (a full ring would change the path the program takes). */
function drainer(bpf, side) {
  const readers = [];
  for (const map of side.loaded.maps.values()) {
    if (map.type !== BPF_MAP_TYPE_RINGBUF) continue;
    readers.push(new bpf.RingBufferReader(map, { onRecord: () => {}, watch: false }));
  }
  return {
    drain: () => { for (const r of readers) while (r.consume() > 0); },
    close: () => { for (const r of readers) r.close(); },
  };
}

export async function run({ quick, log }) {
  if (process.getuid?.() !== 0) throw new Error('bench: compiler needs root (bpf syscall)');
  const bpf = await import('@lockne/bpf');
  const obj = await import('@lockne/obj');
  const t0 = process.hrtime.bigint();
  const compiler = await import('@lockne/compiler');
  const importMs = Number(process.hrtime.bigint() - t0) / 1e6;
  mkdirSync(OUT, { recursive: true });
  const names = programNames();
  const config = {
    programs: names.length, repeat: quick ? 100_000 : 1_000_000, runs: quick ? 3 : 21, compiles: quick ? 1 : 5,
    clang: `clang ${CLANG_ARGS.join(' ')}`, clangVersion: spawnSync('clang', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0],
  };
  // The first compile of the process pays for TypeScript's start-up (lib files parsed once).
  const first = compileTs(compiler, names[0]);
  const rows = [];
  for (const prog of names) {
    const ts = Array.from({ length: config.compiles }, () => compileTs(compiler, prog));
    const c = Array.from({ length: config.compiles }, () => clang(prog));
    writeFileSync(path.join(OUT, `${prog}.ts.o`), ts[0].object);
    const data = packets[prog];
    if (!data) throw new Error(`bench: no test packet for ${prog} in packets.mjs`);
    const sides = {};
    try {
      sides.ts = loadSide(bpf, obj, ts[0].object, prog);
      sides.clang = loadSide(bpf, obj, c[0].object, prog);
      const rings = { ts: drainer(bpf, sides.ts), clang: drainer(bpf, sides.clang) };
      try {
        const once = { ts: sides.ts.prog.testRun({ data }).retval, clang: sides.clang.prog.testRun({ data }).retval };
        if (once.ts !== once.clang) throw new Error(`bench: ${prog}: TS returns ${once.ts}, clang ${once.clang} on the same packet: not the same logic`);
        // The kernel's figure (mean ns per run) is a whole number; the wall
        // clock of the whole call / repeat gives the fraction (and includes
        // preemption, which the kernel's timer leaves out).
        const ns = { ts: [], clang: [] };
        const wall = { ts: [], clang: [] };
        const timed = (k) => {
          rings[k].drain();
          const w0 = process.hrtime.bigint();
          ns[k].push(sides[k].prog.testRun({ data, repeat: config.repeat }).durationNs);
          wall[k].push(round(Number(process.hrtime.bigint() - w0) / config.repeat, 2));
        };
        timed('ts'); timed('clang'); // warm-up, untimed
        for (const k of ['ts', 'clang']) { ns[k].length = 0; wall[k].length = 0; }
        for (let r = 0; r < config.runs; r++) {
          for (const k of r % 2 ? ['clang', 'ts'] : ['ts', 'clang']) timed(k);
        }
        rows.push(summarise(prog, sides, ns, wall, once.ts, ts.map((x) => x.ms), c.map((x) => x.ms)));
      } finally {
        rings.ts.close();
        rings.clang.close();
      }
    } finally {
      sides.ts?.loaded.close();
      sides.clang?.loaded.close();
    }
    const x = rows.at(-1);
    log(`${prog.padEnd(14)} insns ${x.ts.objectInsns}/${x.clang.objectInsns} (${x.ratios.objectInsns}×)  xlated ${x.ts.xlatedInsns}/${x.clang.xlatedInsns}  processed ${x.ts.verifierProcessed}/${x.clang.verifierProcessed} (${x.ratios.verifierProcessed}×)  ns ${x.ts.medianNs}/${x.clang.medianNs} (${x.ratios.ns}×, wall ${x.ts.medianWallNs}/${x.clang.medianWallNs})  compile ${x.ts.medianCompileMs} ms`);
  }
  const comparisons = rows.map((x) => ({
    case: `${x.program} (${x.section}): test run, ${config.repeat.toExponential(0)} repeats`, unit: 'ops/s',
    nodeApi: '`compile()` (TS)', libbpfApi: 'clang -O2',
    libbpfPerSecond: round(1e9 / x.clang.medianNs, 1), nodePerSecond: round(1e9 / x.ts.medianNs, 1),
    ratio: round(x.clang.medianNs / x.ts.medianNs, 3), cpuRatio: null, goal: round(1 / NS_GOAL, 2), met: x.ratios.ns <= NS_GOAL,
    note: `TS / clang: insns ${x.ts.objectInsns}/${x.clang.objectInsns} (${x.ratios.objectInsns}×), verifier processed ${x.ts.verifierProcessed}/${x.clang.verifierProcessed}; compile ${x.ts.medianCompileMs} ms`,
  }));
  const result = {
    name, title: 'Compiler', goal: { insns: INSN_GOAL, ns: NS_GOAL, compileMs: COMPILE_GOAL_MS }, config,
    figures: { importCompilerMs: round(importMs, 1), firstCompileMs: round(first.ms, 1), firstCompileProgram: names[0], programs: rows },
    comparisons,
  };
  if (!quick) updateCompilerSection(result);
  else log(`\n${renderCompilerTable(result)}`);
  return result;
}

function summarise(prog, sides, ns, wall, retval, tsMs, cMs) {
  const side = (k, ms) => ({ ...sides[k].figures, ns: ns[k], medianNs: median(ns[k]), wallNs: wall[k], medianWallNs: round(median(wall[k]), 2), compileMs: ms.map((x) => round(x, 1)), medianCompileMs: round(median(ms), 1) });
  const ts = side('ts', tsMs);
  const clang = side('clang', cMs);
  const r = (a, b) => round(a / b, 2);
  const pairs = ns.ts.map((x, i) => x / ns.clang[i]);
  return {
    program: prog, section: sides.ts.section, retval, ts, clang,
    ratios: {
      objectInsns: r(ts.objectInsns, clang.objectInsns), xlatedInsns: r(ts.xlatedInsns, clang.xlatedInsns),
      verifierProcessed: r(ts.verifierProcessed, clang.verifierProcessed), ns: r(ts.medianNs, clang.medianNs),
      nsPairedMedian: round(median(pairs), 2), wallNs: r(ts.medianWallNs, clang.medianWallNs),
    },
    met: { insns: ts.objectInsns <= INSN_GOAL * clang.objectInsns, ns: ts.medianNs <= NS_GOAL * clang.medianNs, compile: ts.medianCompileMs < COMPILE_GOAL_MS },
  };
}

const yes = (b) => (b ? 'yes' : '**no**');

/** The Compiler section's table (bench/README.md between the bench:compiler markers). */
export function renderCompilerTable(result) {
  const lines = [
    '| Program | Section | Insns TS / clang | Ratio (≤ 1.10×) | Xlated TS / clang | Verifier processed TS / clang | Ratio | Test run ns TS / clang | Ratio (≤ 1.05×) | Paired | Wall ns/run TS / clang | Ratio | Compile TS ms (< 1 s) | clang ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const x of result.figures.programs) {
    lines.push(`| ${x.program} | ${x.section} | ${x.ts.objectInsns} / ${x.clang.objectInsns} | ${x.ratios.objectInsns}×${x.met.insns ? "" : " ✗"} | ${x.ts.xlatedInsns} / ${x.clang.xlatedInsns} | ${x.ts.verifierProcessed} / ${x.clang.verifierProcessed} | ${x.ratios.verifierProcessed}× | ${x.ts.medianNs} / ${x.clang.medianNs} | ${x.ratios.ns}×${x.met.ns ? "" : " ✗"} | ${x.ratios.nsPairedMedian}× | ${x.ts.medianWallNs} / ${x.clang.medianWallNs} | ${x.ratios.wallNs}× | ${x.ts.medianCompileMs} | ${x.clang.medianCompileMs} |`);
  }
  const p = result.figures.programs;
  const sum = (k, s) => p.reduce((a, x) => a + x[s][k], 0);
  const c = result.config;
  lines.push('', `Totals: ${sum('objectInsns', 'ts')} / ${sum('objectInsns', 'clang')} instructions (${round(sum('objectInsns', 'ts') / sum('objectInsns', 'clang'), 2)}×), ${sum('verifierProcessed', 'ts')} / ${sum('verifierProcessed', 'clang')} verifier-processed. ` +
    `Goals met: instructions ${p.filter((x) => x.met.insns).length}/${p.length}, test-run ns ${p.filter((x) => x.met.ns).length}/${p.length}, compile < 1 s ${p.filter((x) => x.met.compile).length}/${p.length}. ` +
    `First compile in a process (TypeScript start-up): ${result.figures.firstCompileMs} ms (after ${result.figures.importCompilerMs} ms to import the compiler). ` +
    `${c.clangVersion}, \`${c.clang}\`; test runs: ${c.runs} runs × ${c.repeat} repeats per side, alternating; measured ${(result.date ?? new Date().toISOString()).slice(0, 10)}.`);
  return lines.join('\n');
}

function updateCompilerSection(result) {
  const text = readFileSync(README, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`bench: ${README} lacks the ${START} / ${END} markers`);
  writeFileSync(README, `${text.slice(0, a + START.length)}\n${renderCompilerTable(result)}\n${text.slice(b)}`);
}

if (process.argv[1] === self) runMain(runStandalone(run, { printQuick: false }));
