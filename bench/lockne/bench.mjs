// Benchmark: what Lockne costs, against the alternatives, in one run (issue 5):
//   1. per-packet cost of the programs Lockne attaches: test run vs an empty
//      program (goal ≤ +15 ns), and the hit path under real routed traffic
//      (bpf_stats), plus sock_create/connect4/sendmsg4 per call;
//   2. request latency and throughput over the same wireguard-go tunnel:
//      Lockne vs SO_MARK by hand (goal: equal within 3 %) vs a SOCKS proxy
//      (goal: Lockne adds ≥ 10× less latency);
//   3. kernel memory of Lockne's maps, bpftool's bytes_memlock (goal ≤ 256 KiB);
//   4. lockne processes at steady state (goal 0);
//   5. what `lockne run` adds before an app starts (reference, no goal).
// Everything runs in namespaces and cgroups named lkb<pid>, removed at the end,
// on failure and on Ctrl-C (a killed run's leftovers are swept by the next).
//
//   node bench/lockne/bench.mjs [--quick]     # on its own (root), or: node bench/run.mjs --only lockne
// --quick: a short run for checking the harness; printed, nothing written.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { load1 } from '../lib/machine.mjs';
import { runMain, runStandalone } from '../lib/standalone.mjs';
import { buildNet } from './build.mjs';
import { mapMemory, steadyState, GOAL_MEMORY_BYTES, GOAL_PROCESSES } from './footprint.mjs';
import { launchCost } from './launch.mjs';
import { statsCost, testRunCost, GOAL_ADDED_NS } from './progcost.mjs';
import { renderLockneTables, updateLockneSection } from './readme.mjs';
import { compareRouting, GOAL_EQUAL, GOAL_LATENCY_FACTOR } from './traffic.mjs';
import { buildWorld, loadModules, runJson } from './world.mjs';

export const name = 'lockne';
const self = fileURLToPath(import.meta.url);
const TOOLS = ['wireguard-go', 'wg', 'microsocks', 'proxychains4', 'bpftool', 'gcc', 'nsenter', 'setpriv', 'taskset'];

export function configFor(quick) {
  return quick
    ? { repeat: 100_000, runs: 3, epochs: 1, rrBlocks: 30, rrPer: 10, crrBlocks: 10, crrPer: 5, size: 64, tputBlocks: 4, tputMs: 150, stats: { rrN: 500, crrN: 100, ms: 300, udpN: 5000 }, holdSockets: 200, samples: 2, launches: 5 }
    : { repeat: 1_000_000, runs: 7, epochs: 4, rrBlocks: 100, rrPer: 10, crrBlocks: 25, crrPer: 5, size: 64, tputBlocks: 15, tputMs: 250, stats: { rrN: 3000, crrN: 500, ms: 1500, udpN: 50_000 }, holdSockets: 1000, samples: 5, launches: 21 };
}

function checkTools() {
  const missing = TOOLS.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length) throw new Error(`bench lockne: missing ${missing.join(', ')} (scripts/setup.sh installs them)`);
}

function versionOf(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] || 'unknown';
}

/** Routed traffic for the bpf_stats window: every hook runs (sockets, connects, unconnected sends, packets both ways). */
function statsWorkload(w, c) {
  const to = [w.server, w.port];
  return async () => {
    const out = {};
    for (const [k, argv] of [
      ['rr', ['rr', ...to, c.rrN, 64]], ['crr', ['crr', ...to, c.crrN, 64]],
      ['up', ['up', ...to, c.ms]], ['down', ['down', ...to, c.ms]], ['udp', ['udp', ...to, c.udpN, 100]],
    ]) out[k] = await runJson(w.m, w.variants.lockne(argv.map(String)), 120_000);
    return out;
  };
}

export async function run({ quick, log }) {
  if (process.getuid?.() !== 0) throw new Error('bench lockne: needs root (namespaces, cgroups, bpf)');
  checkTools();
  const config = { ...configFor(quick), quick };
  const loadStart = load1();
  const bin = buildNet();
  const m = await loadModules();
  log('building the world: client + server namespaces, a wireguard-go tunnel, lockne up…');
  // The apps run pinned to the last CPU (none on a 1-CPU machine).
  const cpus = os.cpus().length;
  config.appCpu = cpus > 1 ? cpus - 1 : null;
  const w = await buildWorld(m, { bin, log, cpu: config.appCpu });
  const figures = {};
  try {
    log(`world ${w.name}: server ${w.server}:${w.port}, tunnel ${w.tunnel.clientIf} ${w.tunnel.client.v4}, profile vpn mark 0x${w.profile.mark.toString(16)} table ${w.profile.table}`);
    // 3 first: the maps as `up` left them, before any app.
    const idle = await mapMemory(w);
    figures.memory = { idle, goalBytes: GOAL_MEMORY_BYTES, met: idle.totalBytes <= GOAL_MEMORY_BYTES };
    log(`map memory after up: ${idle.totalBytes} B (${idle.maps.map((x) => `${x.map} ${x.bytesMemlock}`).join(', ')})`);
    figures.testRun = await testRunCost(m, w, { repeat: config.repeat, runs: config.runs, log });
    figures.steadyState = await steadyState(w, { sockets: config.holdSockets, samples: config.samples, log });
    figures.steadyStateMet = figures.steadyState.lockneProcesses.max <= GOAL_PROCESSES;
    figures.bpfStats = await statsCost(m, w, { workload: statsWorkload(w, config.stats), log });
    figures.routing = await compareRouting(w, config, log);
    figures.launch = await launchCost(w, { runs: config.launches, log });
  } finally {
    const errors = await w.cleanup.run();
    const left = leftovers(w);
    if (errors.length || left.length) {
      // Not fatal for the figures, but loud: the next run's sweep will retry.
      console.error(`bench lockne: cleanup incomplete:\n  ${[...errors, ...left].join('\n  ')}`);
    }
  }
  figures.loadAverage = { start: loadStart, end: load1() };
  const result = {
    name, title: 'Lockne',
    goals: { addedNsPerPacket: GOAL_ADDED_NS, lockneVsSomark: GOAL_EQUAL, latencyFactor: GOAL_LATENCY_FACTOR, memoryBytes: GOAL_MEMORY_BYTES, processes: GOAL_PROCESSES },
    config,
    tools: {
      wireguardGo: versionOf('wireguard-go', ['--version']), bpftool: versionOf('bpftool', ['--version']),
      proxychains4: versionOf('dpkg-query', ['-W', '-f', '${Version}', 'proxychains4']),
      microsocks: versionOf('dpkg-query', ['-W', '-f', '${Version}', 'microsocks']),
    },
    figures,
    summary: summarise(figures),
    // The main Node-vs-libbpf table has no row for this benchmark: its table is the Lockne section.
    comparisons: [],
  };
  if (!quick) updateLockneSection(result);
  else log(`\n${renderLockneTables(result)}`);
  return result;
}

/** Every judged goal, one line each. */
function summarise(f) {
  const out = [];
  for (const r of f.testRun) out.push({ measure: `${r.program}: test run, added ns (paired median)`, value: r.pairedAddedNs.median, goal: `≤ +${r.goalNs}`, met: r.met });
  // Beyond the issue, which measures per-packet cost by test run: the hit path (a routed socket's packets),
  // which a test run cannot reach, judged against the same figure.
  for (const r of f.bpfStats.rows.filter((x) => x.perPacket)) out.push({ measure: `${r.program}: routed traffic (bpf_stats), added ns per packet`, value: r.addedNs, goal: `≤ +${r.goalNs}`, met: r.met, beyondIssue: true });
  for (const t of f.routing.tests) {
    out.push({ measure: `${t.test}: Lockne / SO_MARK (ratio of medians)`, value: t.lockneVsSomark.ratioOfMedians, goal: `within ±${GOAL_EQUAL * 100} %`, met: t.lockneVsSomark.met });
    if (t.addedLatency) out.push({ measure: `${t.test}: added latency over SO_MARK, SOCKS / Lockne`, value: t.addedLatency.factor, lockneAddedNs: t.addedLatency.lockneNs, socksAddedNs: t.addedLatency.socksNs, goal: `≥ ${GOAL_LATENCY_FACTOR}×`, met: t.addedLatency.met });
  }
  out.push({ measure: 'map memory after up, bytes (bpftool bytes_memlock)', value: f.memory.idle.totalBytes, goal: `≤ ${GOAL_MEMORY_BYTES}`, met: f.memory.met });
  out.push({ measure: 'lockne processes at steady state', value: f.steadyState.lockneProcesses.max, goal: `= ${GOAL_PROCESSES}`, met: f.steadyStateMet });
  return out;
}

/** What of the world is still there after cleanup (should be nothing). */
function leftovers(w) {
  const left = [];
  const exists = (p) => fs.existsSync(p);
  for (const p of [w.topo.client.path, w.topo.server.path, w.world.pinDir, w.world.scope, w.base, `/run/lockne/${w.name}.json`]) {
    if (exists(p)) left.push(`${p} still exists`);
  }
  return left;
}

if (process.argv[1] === self) runMain(runStandalone(run, { printQuick: false }));
