// Shared helpers for Lockne's end-to-end tests (a topology + a LockneWorld):
// what the machine must have, running "the app" under Lockne and reading what
// the server saw, shell quoting, and a packet capture on the direct path.
//
// @example
//   const topo = await createTopology({ prefix: `lkt${process.pid}r`, tunnels: 1 });
//   const world = await upWorld(topo, `lkt${process.pid}r`, [{ name: 'p1', tunnel: 1 }]);
//   const r = await probeVia(routedArgv(world, 'p1', req), req);
//   assertVia(r, 'tunnel1');
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { LockneWorld, type WorldProfile } from '../../src/demo/world.js';
import { inNetnsArgv, parseProbeOutput, pollUntil, probeArgv, tryRunAsync, type ProbeRequest, type ProbeResult, type Topology } from '../../src/topology/index.js';
import { needRoot } from './kernel.js';
import { after, before } from 'node:test';
import { createTopology, sweepStale } from '../../src/topology/index.js';
import path from 'node:path';
import { cgroup2Root } from '@lockne/bpf';
import { pidAlive } from '../../src/topology/index.js';
import { stateFileFor } from '../../src/deploy/state.js';
import { removeCgroupMovingOut } from '../../src/deploy/cgroups.js';

/** The compiled eBPF object `lockne up` loads (built by `npm run build`). */
export const BPF_OBJECT = new URL('../../bpf/lockne.bpf.o', import.meta.url);

const BIN_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin'];

/** Why Lockne's end-to-end tests cannot run here (root, tools, TUN, the built object), or null. */
export function worldMissing(extraTools: readonly string[] = []): string | null {
  const root = needRoot();
  if (root) return root;
  for (const tool of ['wireguard-go', 'wg', 'nsenter', 'setpriv', ...extraTools]) {
    if (!BIN_DIRS.some((d) => fs.existsSync(`${d}/${tool}`))) return `${tool} not installed`;
  }
  if (!fs.existsSync('/dev/net/tun')) return 'no /dev/net/tun';
  if (!fs.existsSync(BPF_OBJECT)) return `${BPF_OBJECT.pathname} not built (npm run build)`;
  return null;
}

/** A LockneWorld after a successful `lockne up` (closed again if `up` fails). */
export async function upWorld(topo: Topology, name: string, profiles: WorldProfile[]): Promise<LockneWorld> {
  const world = new LockneWorld(topo, name, profiles);
  const r = await world.lockne(['up']);
  if (r.status !== 0) {
    await world.close();
    throw new Error(`lockne up (${name}) exited ${r.status}:\n${r.stderr}${r.stdout}`);
  }
  return world;
}

/** argv of `lockne run --profile P --user U -- <probe>` in the client namespace. */
export function routedArgv(world: LockneWorld, profile: string, req: ProbeRequest, user = 'nobody'): string[] {
  return world.lockneArgv(['run', '--profile', profile, '--user', user, '--', ...probeArgv(req)]);
}

/** A probe's result and how long the whole command took (Lockne's start-up included). */
export interface TimedProbe extends ProbeResult {
  elapsedMs: number;
}

/** Runs a command whose last stdout line is a probe result (the probe itself, or something that ends with it). */
export async function probeVia(argv: string[], req: ProbeRequest): Promise<TimedProbe> {
  const t0 = Date.now();
  const r = await tryRunAsync(argv, { timeoutMs: (req.timeoutMs ?? 2000) + 15_000 });
  return { ...parseProbeOutput(req, r.stdout, r.stderr, r.status), elapsedMs: Date.now() - t0 };
}

/** Every probe result a command printed (one JSON line each), e.g. from `sh -c 'probe; probe'`. */
export function probeLines(stdout: string): ProbeResult[] {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ProbeResult);
}

const MARK = '@t';

/**
 * argv of a shell that runs one probe per request in turn, printing a
 * timestamp around each: the app (and its children) under test, and how long
 * each probe itself took, free of Lockne's own start-up time.
 *
 * @example
 *   const r = await tryRunAsync(routedShell(world, 'pa', probeSeriesArgv(reqs)));
 *   parseProbeSeries(reqs, r.stdout)[0].elapsedMs;
 */
export function probeSeriesArgv(reqs: readonly ProbeRequest[]): string[] {
  const stamp = `echo "${MARK} $(date +%s%N)"`;
  return ['sh', '-c', [...reqs.map((req) => `${stamp}; ${shellLine(probeArgv(req))}`), stamp].join('; ')];
}

/** The results of probeSeriesArgv's probes, in order; a probe that printed nothing is a failure. */
export function parseProbeSeries(reqs: readonly ProbeRequest[], stdout: string): TimedProbe[] {
  const stamps: number[] = [];
  const outputs: string[][] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith(`${MARK} `)) {
      stamps.push(Number(BigInt(line.slice(MARK.length + 1)) / 1_000_000n));
      outputs.push([]);
    } else if (line) {
      outputs.at(-1)?.push(line);
    }
  }
  return reqs.map((req, i) => {
    const out = outputs[i]?.join('\n') ?? '';
    const r = parseProbeOutput(req, out, out ? '' : 'no output', null);
    const elapsedMs = stamps[i + 1] !== undefined ? stamps[i + 1]! - stamps[i]! : Number.NaN;
    return { ...r, elapsedMs };
  });
}

/** Asserts the probe succeeded and the server saw it arrive via `via` ('direct' or a tunnel name). */
export function assertVia(r: ProbeResult, via: string, what = `${r.kind} to ${r.address}`): void {
  assert.ok(r.ok, `${what}: failed: ${r.error}`);
  assert.equal(r.seen?.via, via, `${what}: server saw ${r.seen?.address} (${r.seen?.via}), expected ${via}`);
}

/** POSIX shell quoting of one argument. */
export function shq(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A shell command line for argv. */
export function shellLine(argv: readonly string[]): string {
  return argv.map(shq).join(' ');
}

/**
 * tcpdump on an interface of a namespace, one line per packet. start() waits
 * until tcpdump listens; lines() is what it printed so far; stop() ends it (by
 * its PID) and returns every packet line.
 *
 * @example
 *   const cap = await Capture.start(topo.client.name, topo.plan.vethClient, 'tcp port 7777');
 *   ... traffic ...
 *   const packets = await cap.stop();
 */
export class Capture {
  private out = '';
  private err = '';
  private constructor(private readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => { this.out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { this.err += d.toString(); });
  }

  static async start(netns: string, iface: string, filter: string): Promise<Capture> {
    // -l: a line per packet as it comes; -U: no buffering of the capture itself.
    const argv = inNetnsArgv(netns, ['tcpdump', '-i', iface, '-n', '-l', '-U', filter]);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const cap = new Capture(child);
    try {
      await pollUntil(`tcpdump on ${netns}/${iface} to listen`, 5000, () => {
        if (child.exitCode !== null) throw new Error(`tcpdump on ${netns}/${iface} exited ${child.exitCode}: ${cap.err.trim()}`);
        return cap.err.includes('listening on') ? true : undefined;
      });
    } catch (e) {
      await cap.stop();
      throw e;
    }
    return cap;
  }

  /** Packet lines printed so far. */
  lines(): string[] {
    return this.out.split('\n').filter(Boolean);
  }

  /** SIGINT to tcpdump (it flushes and exits), then every packet line. */
  async stop(): Promise<string[]> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGINT');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    return this.lines();
  }
}

/**
 * Remove what a killed earlier run of a test file left (its owner pid is gone):
 * the pins (unlinking a pin releases it), the state file and the scope cgroup.
 * Its rules died with its namespace; sweepStale removes the topology.
 */
export function sweepStaleDeployments(pattern: RegExp): void {
  const bpffs = '/sys/fs/bpf';
  const root = cgroup2Root();
  const list = (dir: string): string[] => { try { return fs.readdirSync(dir); } catch { return []; } };
  const names = new Set([...list(bpffs), ...list(root).map((n) => n.replace(/-scope$/, ''))]);
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || pidAlive(Number(m[1]))) continue;
    fs.rmSync(path.join(bpffs, name), { recursive: true, force: true });
    fs.rmSync(stateFileFor(path.join(bpffs, name)), { force: true });
    removeCgroupMovingOut(path.join(root, `${name}-scope`), root);
  }
}

/** The topology and deployment a test file shares (valid once its before() ran). */
export interface WorldFixture {
  topo(): Topology;
  world(): LockneWorld;
}

/**
 * One topology and Lockne deployment for a whole test file, named
 * lkt<pid><tag>: before() sweeps what a killed earlier run of the file left,
 * builds the topology and the world (and runs `lockne up` unless `up: false`);
 * after() closes the world, then the topology. Call it before checkFdLeaks(),
 * so the fd check's baseline includes the topology and runs after the close.
 */
export function worldPerFile(o: { tag: string; tunnels: string[]; profiles: WorldProfile[]; missing: string | null; up?: boolean }): WorldFixture {
  const name = `lkt${process.pid}${o.tag}`;
  const stale = new RegExp(`^lkt(\\d+)${o.tag}$`);
  let topo: Topology | undefined;
  let world: LockneWorld | undefined;
  before(async () => {
    if (o.missing) return;
    await sweepStale(stale);
    sweepStaleDeployments(stale);
    topo = await createTopology({ prefix: name, tunnels: o.tunnels });
    world = o.up === false ? new LockneWorld(topo, name, o.profiles) : await upWorld(topo, name, o.profiles);
  });
  after(async () => {
    try {
      await world?.close();
    } finally {
      await topo?.close();
    }
  });
  return { topo: () => topo!, world: () => world! };
}
