// Results: one JSON file per benchmark (bench/results/<name>.json, raw
// figures per repetition) and the table in bench/README.md between the
// `bench:table` markers, regenerated from every results file present.
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR } from './build-c.mjs';
import { median, quantile, round, summary } from './stats.mjs';

const RESULTS_DIR = path.join(BENCH_DIR, 'results');
const README = path.join(BENCH_DIR, 'README.md');
const START = '<!-- bench:table:start -->';
const END = '<!-- bench:table:end -->';

/**
 * One implementation's figures for one case. `perSec` holds one throughput
 * per repetition (ops, entries or events per second) by the wall clock;
 * `cpuPerSec`, when measured, the same by process CPU time.
 */
export function row(impl, api, perSec, extra = {}, cpuPerSec = null) {
  const r = { impl, api, perSecond: perSec.map((x) => round(x, 1)), summary: summary(perSec), medianPerSecond: round(median(perSec), 1) };
  if (cpuPerSec) Object.assign(r, { cpuPerSecond: cpuPerSec.map((x) => round(x, 1)), medianCpuPerSecond: round(median(cpuPerSec), 1) });
  return { ...r, ...extra };
}

/**
 * Node vs libbpf for one case: ratio = Node median throughput / libbpf median
 * (> 1: Node is faster), by the wall clock; cpuRatio the same by CPU time.
 * goal null: a reference row, not judged.
 */
export function compare(caseName, unit, libbpf, node, goal, note = '') {
  const ratio = node.medianPerSecond / libbpf.medianPerSecond;
  const cpuRatio = node.medianCpuPerSecond && libbpf.medianCpuPerSecond ? round(node.medianCpuPerSecond / libbpf.medianCpuPerSecond, 3) : null;
  return {
    case: caseName, unit, nodeApi: node.api, libbpfApi: libbpf.api,
    libbpfPerSecond: libbpf.medianPerSecond, nodePerSecond: node.medianPerSecond,
    ratio: round(ratio, 3), cpuRatio, goal, met: goal === null ? null : ratio >= goal, note,
  };
}

/**
 * Node / libbpf per round: repetition i of each side ran in the same round
 * (interleaved), so load on the shared machine hits both. The median of these
 * paired ratios and their interquartile range, as a note for the table.
 */
export function pairedNote(libbpf, node) {
  const n = Math.min(libbpf.perSecond.length, node.perSecond.length);
  const ratios = Array.from({ length: n }, (_, i) => node.perSecond[i] / libbpf.perSecond[i]);
  return `paired per round: median ${median(ratios).toFixed(2)}×, IQR ${quantile(ratios, 0.25).toFixed(2)}–${quantile(ratios, 0.75).toFixed(2)}× (${n} rounds)`;
}

export function writeResult(result) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${result.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

function readResults() {
  let files = [];
  try {
    files = readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const order = ['map-ops', 'batch-lookup', 'ringbuf', 'btf-parse', 'object-load', 'compiler', 'lockne'];
  return files
    .map((f) => JSON.parse(readFileSync(path.join(RESULTS_DIR, f), 'utf8')))
    .sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
}

export function fmtRate(perSec, unit) {
  const [v, p] = perSec >= 1e6 ? [perSec / 1e6, 'M'] : perSec >= 1e3 ? [perSec / 1e3, 'k'] : [perSec, ''];
  const per = unit === 'ops/s' ? ` (${fmtNs(1e9 / perSec)}/op)` : '';
  return `${v.toFixed(2)} ${p} ${unit}${per}`.replace('  ', ' ');
}

function fmtNs(ns) {
  return ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;
}

/** The markdown table for every results file. */
export function renderTable(results = readResults()) {
  const lines = [
    '| Benchmark | Case | Node API | libbpf (median) | Node (median) | Node / libbpf | by CPU time | Goal | Met | Notes |',
    '|---|---|---|---:|---:|---:|---:|---:|:---:|---|',
  ];
  for (const r of results) {
    for (const c of r.comparisons) {
      lines.push(`| ${r.title} | ${c.case} | ${c.nodeApi} | ${fmtRate(c.libbpfPerSecond, c.unit)} | ${fmtRate(c.nodePerSecond, c.unit)} | **${c.ratio.toFixed(2)}×** | ${c.cpuRatio == null ? '–' : `${c.cpuRatio.toFixed(2)}×`} | ${c.goal === null ? '–' : `≥ ${c.goal}×`} | ${c.met === null ? '–' : c.met ? 'yes' : '**no**'} | ${c.note} |`);
    }
  }
  if (results.length) {
    const m = results[0].machine;
    const loads = results.map((r) => `${r.name} ${r.loadAverage1m.start}→${r.loadAverage1m.end}`).join(', ');
    lines.push('', `Measured ${results[0].date.slice(0, 10)} on Linux ${m.kernel}, ${m.cpuModel} × ${m.cpus}, Node ${m.node}, libbpf ${m.libbpf}, gcc ${m.gcc} (${m.cflags}). 1-minute load average during each benchmark (other work on the machine): ${loads}.${m.unsetForNodeChildren?.length ? ` Node processes started without ${m.unsetForNodeChildren.join(', ')} (set on this machine; \`bench/lib/machine.mjs\`).` : ''}`);
  }
  return lines.join('\n');
}

/** Replace the table between the markers in bench/README.md. */
export function updateReadme() {
  const text = readFileSync(README, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`bench: ${README} lacks the ${START} / ${END} markers`);
  writeFileSync(README, `${text.slice(0, a + START.length)}\n${renderTable()}\n${text.slice(b)}`);
}
