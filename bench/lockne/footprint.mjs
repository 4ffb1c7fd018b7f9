// What Lockne leaves running: the kernel memory of its maps as bpftool reports
// it (bytes_memlock of each pinned map), and the lockne processes alive at
// steady state — after `lockne up` and a routed app started with
// `lockne run --detach` (goal: none; routing lives in pins and rules).
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tunnelBytes } from './world.mjs';

const LAYOUT = new URL('../../apps/lockne/dist/src/kernel/layout.js', import.meta.url).href;
const CLIS = ['../../apps/lockne/bin/lockne.js', '../../apps/lockne/dist/src/cli/main.js', '../../apps/lockne/dist/bundle/cli.js']
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
export const GOAL_MEMORY_BYTES = 256 * 1024;
export const GOAL_PROCESSES = 0;

function bpftoolJson(args) {
  const r = spawnSync('bpftool', ['-j', ...args], { encoding: 'utf8' });
  if (r.error) throw new Error(`bench lockne: cannot run bpftool (${r.error.message})`);
  if (r.status !== 0) throw new Error(`bench lockne: bpftool -j ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout);
}

/** bytes_memlock of every map pinned under the deployment's pin dir, and their total. */
export async function mapMemory(w) {
  const { MAP_NAMES, mapPin } = await import(LAYOUT);
  const maps = MAP_NAMES.map((name) => {
    const j = bpftoolJson(['map', 'show', 'pinned', mapPin(w.world.pinDir, name)]);
    if (typeof j.bytes_memlock !== 'number') throw new Error(`bench lockne: bpftool reports no bytes_memlock for map ${name}: ${JSON.stringify(j)}`);
    return { map: name, id: j.id, type: j.type, maxEntries: j.max_entries, keyBytes: j.bytes_key, valueBytes: j.bytes_value, flags: j.flags, bytesMemlock: j.bytes_memlock };
  });
  const total = maps.reduce((a, x) => a + x.bytesMemlock, 0);
  return { maps, totalBytes: total };
}

function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** argv that runs the lockne CLI: `lockne …` (installed), or node running bin/lockne.js, the bundle or dist/src/cli/main.js. */
export function runsLockneCli(argv) {
  if (argv.length === 0) return false;
  if (path.basename(argv[0]) === 'lockne') return true;
  const script = argv.slice(1).find((a) => !a.startsWith('-'));
  return /node(js)?$/.test(path.basename(argv[0])) && script !== undefined
    && (CLIS.includes(path.resolve(script)) || path.basename(script) === 'lockne' || /\/lockne\/(bin\/lockne\.js|dist\/src\/cli\/main\.js|dist\/bundle\/cli\.js)$/.test(script));
}

/** lockne CLI processes: in the client namespace (judged) and anywhere (other runs on the machine, reported). */
export function lockneProcesses(w) {
  const ns = `net:[${fs.statSync(w.topo.client.path).ino}]`;
  const here = [];
  const anywhere = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    const argv = cmdline(Number(e));
    if (!runsLockneCli(argv)) continue;
    anywhere.push(Number(e));
    try {
      if (fs.readlinkSync(`/proc/${e}/ns/net`) === ns) here.push({ pid: Number(e), argv });
    } catch {
      // exited meanwhile
    }
  }
  return { inClientNetns: here, anywhere: anywhere.length };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Start a routed app with `lockne run --detach` (lkb_net hold: `sockets`
 * connected UDP sockets, one datagram each per second), then sample the lockne
 * processes while it runs, check its traffic crosses the tunnel with no lockne
 * process alive, and read the maps' memory under that load. Kills the app.
 */
export async function steadyState(w, { sockets, samples, log }) {
  const secs = samples + 30; // outlives the sampling; killed below
  const r = await w.world.lockne(['run', '--profile', 'vpn', '--user', 'root', '--detach', '--', w.bin, 'hold', w.server, w.port, String(sockets), String(secs)]);
  const pid = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isInteger(pid) || pid <= 0) throw new Error(`bench lockne: lockne run --detach failed (${r.status}): ${r.stderr || r.stdout}`);
  const kill = () => {
    if (cmdline(pid)[0] === w.bin) process.kill(pid, 'SIGKILL');
  };
  w.cleanup.add(`detached app ${pid}`, kill);
  try {
    await sleep(1500); // sockets open, first datagrams out
    // The cgroup v2 line (0::/path); hybrid layouts list v1 hierarchies too.
    const appCgroup = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').find((l) => l.startsWith('0::'))?.slice(3) ?? 'unknown';
    const t0 = tunnelBytes(w);
    const counts = [];
    let last;
    for (let i = 0; i < samples; i++) {
      last = lockneProcesses(w);
      counts.push(last.inClientNetns.length);
      await sleep(1000);
    }
    const t1 = tunnelBytes(w);
    const alive = cmdline(pid)[0] === w.bin;
    const memory = await mapMemory(w);
    const routedTxBytes = t1.tx - t0.tx;
    log(`steady state: ${Math.max(...counts)} lockne processes in the client namespace over ${samples} samples (${last.anywhere} on the machine), app ${pid} ${alive ? 'alive' : 'GONE'} in ${appCgroup}, tunnel tx +${routedTxBytes} B meanwhile`);
    if (!alive) throw new Error(`bench lockne: the detached app ${pid} died`);
    if (routedTxBytes < sockets * samples) throw new Error(`bench lockne: the detached app's datagrams did not cross the tunnel (+${routedTxBytes} B for ${sockets} sockets × ${samples} s)`);
    return {
      app: { pid, cgroup: appCgroup, sockets, argv: cmdline(pid) },
      lockneProcesses: { samples: counts, max: Math.max(...counts), found: last.inClientNetns, anywhereOnMachine: last.anywhere },
      routedTxBytesWhileSampling: routedTxBytes,
      memoryUnderLoad: memory,
    };
  } finally {
    kill();
  }
}
