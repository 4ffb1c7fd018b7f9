// The Lockne section's tables in bench/README.md (between the bench:lockne
// markers), rendered from a result object (bench/results/lockne.json).
import { readFileSync, writeFileSync } from 'node:fs';
import { BENCH_DIR } from '../lib/build-c.mjs';
import os from 'node:os';
import path from 'node:path';

const README = path.join(BENCH_DIR, 'README.md');
const START = '<!-- bench:lockne:start -->';
const END = '<!-- bench:lockne:end -->';

const yes = (b) => (b === null || b === undefined ? '–' : b ? 'yes' : '**no**');
const signed = (x, unit = 'ns') => `${x >= 0 ? '+' : '−'}${Math.abs(x)} ${unit}`;
const us = (ns) => `${(ns / 1000).toFixed(1)} µs`;
const mbit = (b) => `${(b / 1e6).toFixed(0)} Mbit/s`;
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;

function programTable(f) {
  const lines = [
    '| Program (hook) | How | Lockne | Empty program | Added | Goal | Met |',
    '|---|---|---:|---:|---:|---:|:---:|',
  ];
  for (const r of f.testRun) {
    lines.push(`| ${r.program} (${r.hook}) | test run, ${r.runs} × ${r.repeat.toLocaleString('en')} repeats, lookup misses | ${r.medianLockneNs} ns | ${r.medianEmptyNs} ns | ${signed(r.pairedAddedNs.median)} | ≤ +${r.goalNs} ns | ${yes(r.met)} |`);
  }
  for (const r of f.bpfStats.rows) {
    const how = r.perPacket ? 'routed traffic, bpf_stats, lookup hits' : 'routed traffic, bpf_stats, per call';
    lines.push(`| ${r.program} (${r.hook}) | ${how}, ${r.lockne.runs} runs | ${r.lockne.nsPerRun} ns | ${r.empty.nsPerRun} ns | ${r.addedNs === null ? '–' : signed(r.addedNs)} | ${r.goalNs === null ? '–' : `≤ +${r.goalNs} ns`} | ${yes(r.met)} |`);
  }
  return lines;
}

function routingTable(f) {
  const lines = [
    '| Test | Lockne | SO_MARK by hand | SOCKS (microsocks + proxychains4) | Lockne / SO_MARK | per epoch | paired per block (IQR) | ±3 % | Added over SO_MARK: Lockne / SOCKS | SOCKS / Lockne added (≥ 10×) | Met |',
    '|---|---:|---:|---:|---:|---:|---:|:---:|---:|---:|:---:|',
  ];
  for (const t of f.routing.tests) {
    const v = t.kind === 'latency' ? us : mbit;
    const p = t.lockneVsSomark.pairedPerBlock;
    const added = t.addedLatency;
    const addedText = added ? `${signed(round1(added.lockneNs / 1000), 'µs')} / ${signed(round1(added.socksNs / 1000), 'µs')}` : '–';
    const factor = added ? (added.factor === null ? '∞ (Lockne adds none)' : `${added.factor}×`) : '–';
    lines.push(`| ${t.label} | ${v(t.medians.lockne)} | ${v(t.medians.somark)} | ${v(t.medians.socks)} | **${t.lockneVsSomark.ratioOfMedians.toFixed(3)}×** | ${t.lockneVsSomark.perEpoch.map((x) => x.toFixed(2)).join(', ')} | ${p.median.toFixed(3)}× (${p.q1.toFixed(3)}–${p.q3.toFixed(3)}) | ${yes(t.lockneVsSomark.met)} | ${addedText} | ${factor} | ${yes(added?.met)} |`);
  }
  return lines;
}

const round1 = (x) => Math.round(x * 10) / 10;

/** The section's markdown (tables + a line on memory, processes and the run). */
export function renderLockneTables(result) {
  const f = result.figures;
  const mem = f.memory.idle;
  const load = f.steadyState.memoryUnderLoad;
  const perConn = ['sockCreate', 'sockRelease', 'guardMark', 'connect4'].map((n) => f.bpfStats.programs.find((p) => p.program === n));
  const perConnNs = perConn.reduce((a, p) => a + (p?.nsPerRun ?? 0), 0);
  const lines = [...programTable(f), ''];
  lines.push(`Per TCP connection, Lockne's per-socket programs together (sock_create, sock_release, setsockopt — the app sets TCP_NODELAY — and connect4, bpf stats, empty-program overhead included): ${(perConnNs / 1000).toFixed(1)} µs.`, '');
  lines.push(...routingTable(f), '');
  lines.push('| Map | Type | Max entries | bytes_memlock after `up` | with ' + `${f.steadyState.app.sockets} routed sockets open |`, '|---|---|---:|---:|---:|');
  for (const m of mem.maps) {
    const l = load.maps.find((x) => x.map === m.map);
    lines.push(`| ${m.map} | ${m.type} | ${m.maxEntries} | ${m.bytesMemlock} | ${l?.bytesMemlock ?? '–'} |`);
  }
  lines.push(`| **total** (goal ≤ 256 KiB after \`up\`: ${yes(f.memory.met)}) | | | **${kib(mem.totalBytes)}** | ${kib(load.totalBytes)} |`, '');
  if (mem.maps.some((m) => m.map === 'sockets' && /sk_storage/.test(m.type))) {
    lines.push('`sockets` is socket-local storage: each routed socket\'s record (128 bytes plus the kernel\'s element header) is allocated with the socket and charged to it, not to the map, so the map\'s figure does not grow with sockets.', '');
  }
  const s = f.steadyState.lockneProcesses;
  const c = result.config;
  lines.push(`lockne processes at steady state (after \`lockne up\` and \`lockne run --detach\`, ${s.samples.length} samples 1 s apart, in the client namespace): **${s.max}** (goal 0: ${yes(f.steadyStateMet)}); the detached app kept sending through the tunnel meanwhile (+${f.steadyState.routedTxBytesWhileSampling} B).`, '');
  if (f.launch) {
    const l = f.launch;
    lines.push(`\`lockne run\` at launch (reference, no goal): \`lockne --pin-dir DIR run --profile vpn --user root -- /bin/true\` (the deployment found by its pin dir, no config file read) from exec to exit took **${l.medianLockneMs} ms** against ${l.medianDirectMs} ms for \`/bin/true\` started directly in the same namespace and cgroup (medians of ${l.runs} alternating runs): **+${l.addedMs} ms** per launch (Node's start-up, the bundled CLI's import, the deployment's state, the move into the profile's cgroup).`, '');
  }
  const issue = result.summary.filter((x) => !x.beyondIssue);
  const beyond = result.summary.filter((x) => x.beyondIssue);
  lines.push(`Issue 5's goals met: ${issue.filter((x) => x.met).length}/${issue.length}; beyond them, the routed-traffic hit path against the same +15 ns: ${beyond.filter((x) => x.met).length}/${beyond.length}. ${c.epochs} epochs (fresh client processes and connections) of, per variant, interleaved: ${c.rrBlocks} blocks × ${c.rrPer} round trips (rr), ${c.crrBlocks} × ${c.crrPer} connections (crr), ${c.tputBlocks} blocks × ${c.tputMs} ms per direction; test runs ${c.runs} × ${c.repeat.toLocaleString('en')} repeats per side; measured ${(result.date ?? new Date().toISOString()).slice(0, 10)}${c.quick ? ' (--quick)' : ''}, 1-minute load average ${f.loadAverage.start}→${f.loadAverage.end} on ${os.cpus().length} CPUs (other work on the machine).`);
  return lines.join('\n');
}

/** Replace the table between the markers in bench/README.md. */
export function updateLockneSection(result) {
  const text = readFileSync(README, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`bench: ${README} lacks the ${START} / ${END} markers`);
  writeFileSync(README, `${text.slice(0, a + START.length)}\n${renderLockneTables(result)}\n${text.slice(b)}`);
}
