// Lockne end to end, seeing it (issue #5): `lockne status [--json]` (profiles,
// tunnel state up/down/missing, routed apps and their sockets), `lockne
// monitor --json` (connect and close events from the ring buffer), real byte
// and packet counters in the `sockets` and `apps` maps, `lockne top --once`;
// and what the CLI says on bad input (a broken config, an unknown profile, a
// process that does not exist, status when not up).
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { cgroup2Root } from '@lockne/bpf';
import { mapPin } from '../src/kernel/layout.js';
import { liveSockets } from '../src/observe/live-sockets.js';
import { stateFileFor } from '../src/deploy/state.js';
import type { StatusReport } from '../src/observe/status.js';
import type { ConnectionEvent } from '../src/observe/monitor.js';
import { LockneWorld } from '../src/demo/world.js';
import { pidAlive, pollUntil } from '../src/topology/index.js';
import { removeCgroupMovingOut } from '../src/deploy/cgroups.js';
import { checkFdLeaks, skipUnless } from './support/kernel.js';
import { worldMissing } from './support/world.js';
import { worldPerFile } from './support/world.js';

const NAME = `lkt${process.pid}o`;
const missing = worldMissing(['bpftool']) ?? (fs.existsSync('/usr/bin/python3') ? null : '/usr/bin/python3 not installed');
const skip = (t: TestContext): boolean => skipUnless(t, missing);

const fx = worldPerFile({ tag: 'o', tunnels: ['oa', 'ob'], profiles: [{ name: 'pa', tunnel: 'oa' }, { name: 'pb', tunnel: 'ob' }], missing, up: false });

// After the hooks above, so its check runs once the topology's processes are gone.
checkFdLeaks();

const T = fx.topo;
const W = fx.world;

async function lockneOk(args: string[]): Promise<string> {
  const r = await W().lockne(args);
  assert.equal(r.status, 0, `lockne ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function statusJson(): Promise<StatusReport> {
  return JSON.parse(await lockneOk(['status', '--json'])) as StatusReport;
}

/** A child's stdout as lines, with a wait for the line you expect. */
class Lines {
  readonly lines: string[] = [];
  private partial = '';
  stderr = '';
  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => {
      const parts = (this.partial + d.toString()).split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
    });
    child.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
  }

  async waitFor(what: string, pred: (line: string) => boolean, timeoutMs = 15_000): Promise<string> {
    return pollUntil(what, timeoutMs, () => {
      const hit = this.lines.find(pred);
      if (hit !== undefined) return hit;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`${what}: the process ended (${this.child.exitCode ?? this.child.signalCode}) first; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`);
      }
      return undefined;
    }, 20);
  }
}

/** Spawn argv with piped stdio; `stop` ends it by PID (SIGTERM, then SIGKILL) and closes our pipe ends. */
function spawnLines(argv: readonly string[]): Lines & { stop(): Promise<void> } {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = new Lines(child) as Lines & { stop(): Promise<void> };
  const exited = once(child, 'exit');
  lines.stop = async () => {
    child.stdin!.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
  };
  return lines;
}

interface Counters { tgid: number; profile: number; txBytes: number; rxBytes: number; txPackets: number; rxPackets: number; sockets?: number }

/** The live routed sockets, through the iterator `up` pins (socket-local storage has no keys to dump). */
function liveSocketCounters(w: LockneWorld): Counters[] {
  return liveSockets(w.pinDir).map((s) => ({
    tgid: s.tgid, profile: s.profile, txBytes: Number(s.txBytes), rxBytes: Number(s.rxBytes), txPackets: Number(s.txPackets), rxPackets: Number(s.rxPackets),
  }));
}

/** A pinned map's entries as bpftool formats them with the map's BTF. */
function dumpMap(w: LockneWorld, name: 'apps'): Array<{ key: number; value: Counters }> {
  const out = execFileSync('bpftool', ['-j', 'map', 'dump', 'pinned', mapPin(w.pinDir, name)], { encoding: 'utf8' });
  const entries = JSON.parse(out.trim() || '[]') as Array<{ key: unknown; value: unknown; formatted?: { key: number; value: Counters } }>;
  return entries.map((e) => e.formatted ?? (e as { key: number; value: Counters }));
}

// ---- not up, bad input ----------------------------------------------------------

test('status when not up: says so and exits 0; --json reports up: false', async (t) => {
  if (skip(t)) return;
  const text = await W().lockne(['status']);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`not up \\(${W().pinDir}\\)`));
  const json = JSON.parse(await lockneOk(['status', '--json'])) as StatusReport;
  assert.equal(json.up, false);
  assert.deepEqual(json.profiles, []);
  assert.deepEqual(json.apps, []);
});

test('bad input: a broken config names file:line:col and the key; an unknown profile is named with the existing ones; a missing PID is "no such process"', async (t) => {
  if (skip(t)) return;
  const good = fs.readFileSync(W().configFile, 'utf8');
  const lines = good.split('\n');
  const broken = path.join(W().dir, 'broken.toml');
  // A typo of a key inside [profile.pb], and a value of the wrong kind.
  const modeLine = lines.findIndex((l, i) => l.startsWith('mode') && i > lines.indexOf('[profile.pb]'));
  assert.ok(modeLine > 0, `no mode line for pb in:\n${good}`);
  for (const [bad, key, col] of [
    [`mdoe = "include"`, 'profile.pb.mdoe', 1],
    [`mode = 7`, 'profile.pb.mode', 8],
  ] as const) {
    fs.writeFileSync(broken, lines.map((l, i) => (i === modeLine ? bad : l)).join('\n'));
    const r = await W().lockne(['--config', broken, 'up']);
    assert.equal(r.status, 1, `up with "${bad}" exited ${r.status}`);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.includes(`${broken}:${modeLine + 1}:${col}: ${key}`), `"${bad}": ${r.stderr}`);
    assert.ok(!fs.existsSync(W().pinDir) && !fs.existsSync(stateFileFor(W().pinDir)), 'a refused config deploys nothing');
  }

  await lockneOk(['up']);
  const run = await W().lockne(['run', '--profile', 'nosuch', '--user', 'nobody', '--', 'true']);
  assert.equal(run.status, 1);
  assert.match(run.stderr, /no profile 'nosuch' \(have: pa, pb\)/);

  let gone = 999_999;
  while (fs.existsSync(`/proc/${gone}`)) gone++;
  const attach = await W().lockne(['attach', String(gone), '--profile', 'pa']);
  assert.equal(attach.status, 1);
  assert.match(attach.stderr, new RegExp(`PID ${gone}: no such process`));
});

// ---- a routed app, watched ------------------------------------------------------------

/**
 * The observed app (python3, routed by `lockne run`): one TCP exchange with
 * the whoami service, then `n` UDP datagrams of `size` bytes on a connected
 * socket, each answered; prints its pid and waits. A line on stdin closes the
 * UDP socket ("closed"), a second one ends it.
 */
const APP = String.raw`
import json, os, socket, sys
v4, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
t = socket.create_connection((v4, port), timeout=5)
data = b""
while True:
    c = t.recv(4096)
    if not c: break
    data += c
t.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
u.connect((v4, port))
rx = 0
for i in range(n):
    u.send(b"x" * size)
    rx += len(u.recv(4096))
print(json.dumps({"pid": os.getpid(), "tcpVia": json.loads(data)["via"], "udpReplyBytes": rx}), flush=True)
sys.stdin.readline()
u.close()
print("closed", flush=True)
sys.stdin.readline()
`;

test('status, monitor, counters and top follow a routed app: connect and close events, real byte and packet counts, its comm and profile', async (t) => {
  if (skip(t)) return;
  await lockneOk(['up']);
  const [N, S] = [200, 1000];
  const server = T().direct.server.v4;
  const monitor = spawnLines(W().lockneArgv(['monitor', '--json']));
  const app = spawnLines(W().lockneArgv(['run', '--profile', 'pa', '--user', 'nobody', '--', '/usr/bin/python3', '-c', APP,
    server, String(T().ports.whoami), String(N), String(S)]));
  try {
    const hello = JSON.parse(await app.waitFor('the app to finish sending', (l) => l.startsWith('{'), 20_000)) as { pid: number; tcpVia: string; udpReplyBytes: number };
    const pid = hello.pid;
    assert.equal(hello.tcpVia, 'oa', 'the app is routed through its profile\'s tunnel');

    // The kernel's per-socket counters: at least every datagram and its bytes, both ways.
    const live = liveSocketCounters(W()).filter((e) => e.tgid === pid);
    assert.equal(live.length, 1, 'one live routed socket (the UDP one; the TCP one is closed)');
    const udp = live[0]!;
    t.diagnostic(`live UDP socket after ${N} × ${S} B: ${JSON.stringify(udp)}`);
    // Exactly the datagrams, counted per packet at the IP layer: payload + 20 (IPv4) + 8 (UDP) bytes each.
    const HEADERS = 28;
    assert.equal(udp.txPackets, N);
    assert.equal(udp.txBytes, N * (S + HEADERS));
    assert.equal(udp.rxPackets, N);
    assert.equal(udp.rxBytes, hello.udpReplyBytes + N * HEADERS);

    const status = await statusJson();
    assert.equal(status.up, true);
    assert.deepEqual(status.profiles.map((p) => [p.name, p.via, p.tunnel]), [['pa', T().tunnel('oa').clientIf, 'up'], ['pb', T().tunnel('ob').clientIf, 'up']]);
    assert.ok(status.profiles[0]!.processes.some((p) => p.pid === pid && p.comm === 'python3'), `pa's processes: ${JSON.stringify(status.profiles[0]!.processes)}`);
    const row = status.apps.find((a) => a.pid === pid);
    assert.ok(row, `status --json apps: ${JSON.stringify(status.apps)}`);
    assert.equal(row.comm, 'python3');
    assert.equal(row.profile, 'pa');
    assert.equal(row.sockets, 1);
    assert.ok(BigInt(row.txBytes) >= BigInt(N * S), `status txBytes ${row.txBytes}`);

    const top = await lockneOk(['top', '--once', '--interval', '0']);
    const topRow = top.split('\n').find((l) => l.includes(String(pid)));
    assert.ok(topRow, `top --once has no row for pid ${pid}:\n${top}`);
    t.diagnostic(`top --once: ${topRow.trim()}`);
    assert.match(topRow, /python3/);
    assert.match(topRow, /\bpa\b/);

    // Close the UDP socket: its counters are folded into the app's totals (kept while it runs).
    app.child.stdin!.write('close\n');
    await app.waitFor('the app to close its socket', (l) => l === 'closed');
    assert.deepEqual(liveSocketCounters(W()).filter((e) => e.tgid === pid), [], 'the closed sockets are no longer listed as live');
    const totals = dumpMap(W(), 'apps').find((e) => e.key === pid)?.value;
    assert.ok(totals, `apps map has no entry for ${pid}: ${JSON.stringify(dumpMap(W(), 'apps'))}`);
    assert.equal(totals.sockets, 2, 'two closed sockets (TCP, UDP)');
    // UDP's counts plus the TCP exchange's (handshake, request, reply, teardown).
    assert.ok(totals.txPackets > N && totals.txBytes > udp.txBytes, `app totals ${JSON.stringify(totals)}`);
    assert.ok(totals.rxPackets > N && totals.rxBytes > udp.rxBytes, `app totals ${JSON.stringify(totals)}`);

    // The monitor saw both sockets: where they went, and their byte counts at close.
    const events = (): ConnectionEvent[] => monitor.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ConnectionEvent).filter((e) => e.pid === pid);
    await pollUntil('monitor to report both closes', 5000, () => (events().filter((e) => e.event === 'close').length >= 2 ? true : undefined), 20);
    for (const protocol of ['tcp', 'udp'] as const) {
      const connect = events().find((e) => e.event === 'connect' && e.protocol === protocol);
      assert.ok(connect, `no ${protocol} connect event: ${JSON.stringify(events())}`);
      assert.deepEqual([connect.profile, connect.family, connect.destination, connect.port], ['pa', 'ipv4', server, T().ports.whoami]);
      const close = events().find((e) => e.event === 'close' && e.protocol === protocol && e.cookie === connect.cookie);
      assert.ok(close, `no ${protocol} close event for cookie ${connect.cookie}`);
      assert.ok(Number(close.txBytes) > 0 && Number(close.rxBytes) > 0, `${protocol} close: tx ${close.txBytes} rx ${close.rxBytes}`);
      if (protocol === 'udp') {
        // The close event carries the socket's final counts: at least what the map showed while it was open.
        assert.ok(Number(close.txBytes) >= udp.txBytes && Number(close.rxBytes) >= udp.rxBytes, `udp close: tx ${close.txBytes} rx ${close.rxBytes}`);
      }
    }
    app.child.stdin!.end('exit\n');
    assert.deepEqual(await once(app.child, 'exit'), [0, null]);
  } finally {
    await app.stop();
    await monitor.stop();
  }
});

test('status shows each profile\'s tunnel: up, then down (link down), then missing (interface gone)', async (t) => {
  if (skip(t)) return;
  const states = async (): Promise<string[]> => (await statusJson()).profiles.map((p) => `${p.name} ${p.tunnel}`);
  assert.deepEqual(await states(), ['pa up', 'pb up']);
  T().setTunnelUp('ob', false);
  assert.deepEqual(await states(), ['pa up', 'pb down']);
  await T().removeTunnel('ob');
  assert.deepEqual(await states(), ['pa up', 'pb missing']);
  assert.match(await lockneOk(['status']), new RegExp(`pb: include via ${T().tunnel('ob').clientIf} \\[missing\\]`));
});
