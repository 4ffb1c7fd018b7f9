// Lockne end to end, lifecycle and load (issue #5 "must show"): `up` and
// `down` twice in a row, what the kernel still holds afterwards (bpftool's
// view, by the ids pinned after `up` and by Lockne's program and map names),
// routing with no lockne process alive, `kill -9` at every stage of `up`
// followed by `down` (nothing left) or `up` (repaired), and an app opening and
// closing 10,000 sockets (each one marked; the socket map empty afterwards).
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import type { TestContext } from 'node:test';
import { cgroup2Root } from '@lockne/bpf';
import { CGROUP_PROGRAMS, MAP_NAMES, PROGRAMS_WITH_LINKS, linkPin, mapPin } from '../src/kernel/layout.js';
import { stateFileFor, type LockneState } from '../src/deploy/state.js';
import { CLI, type LockneWorld } from '../src/demo/world.js';
import { inNetnsArgv, probeArgv, pidAlive, pollUntil, type ProbeRequest } from '../src/topology/index.js';
import { liveSockets, socketRecords } from '../src/observe/live-sockets.js';
import { removeCgroupMovingOut } from '../src/deploy/cgroups.js';
import { checkFdLeaks, skipUnless } from './support/kernel.js';
import { assertVia, probeVia, worldMissing } from './support/world.js';
import { worldPerFile } from './support/world.js';

const NAME = `lkt${process.pid}l`;
const TUNNEL = 'lt';
const PROFILE = 'p1';
const LOCKNE_PROTOCOL = '76';
const missing = worldMissing(['bpftool', 'ip']) ?? (fs.existsSync('/usr/bin/python3') ? null : '/usr/bin/python3 not installed');
const skip = (t: TestContext): boolean => skipUnless(t, missing);

const fx = worldPerFile({ tag: 'l', tunnels: [TUNNEL], profiles: [{ name: PROFILE, tunnel: TUNNEL }], missing });

// After the hooks above: its baseline then includes the topology's pipes, and its
// check runs once the topology is closed (hooks run in the order they were added).
checkFdLeaks();

const T = fx.topo;
const W = fx.world;

// ---- what the kernel and the machine hold ------------------------------------

const PROGRAMS: readonly string[] = PROGRAMS_WITH_LINKS;
const PIN_COUNT = MAP_NAMES.length + PROGRAMS.length;

interface BpfObjectInfo { id: number; name?: string; type: string; pinned?: string[]; prog_id?: number; map_ids?: number[] }

/** `bpftool -j ARGS`, parsed (some listings print nothing at all when empty: that is []). */
function bpftool<V>(args: readonly string[]): V {
  const out = execFileSync('bpftool', ['-j', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out.trim() || '[]') as V;
}

/** Ids of the deployment's objects, read through its pins (whatever pins exist). */
interface DeploymentIds { maps: Map<string, number>; links: Map<string, number>; progs: Map<string, number> }

function recordIds(pinDir: string): DeploymentIds {
  const ids: DeploymentIds = { maps: new Map(), links: new Map(), progs: new Map() };
  for (const m of MAP_NAMES) {
    if (fs.existsSync(mapPin(pinDir, m))) ids.maps.set(m, bpftool<BpfObjectInfo>(['map', 'show', 'pinned', mapPin(pinDir, m)]).id);
  }
  for (const p of PROGRAMS) {
    if (!fs.existsSync(linkPin(pinDir, p))) continue;
    const l = bpftool<BpfObjectInfo>(['link', 'show', 'pinned', linkPin(pinDir, p)]);
    ids.links.set(p, l.id);
    ids.progs.set(p, l.prog_id!);
  }
  return ids;
}

/** bpf ids (prog_id, map_id, link_id) held open by each process, from /proc/<pid>/fdinfo. */
function fdHolders(): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    let fds: string[];
    try { fds = fs.readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try {
        const target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (!/^anon_inode:bpf[-_](prog|map|link)$/.test(target)) continue;
        const m = /^(prog_id|map_id|link_id):\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
        if (!m) continue;
        const key = `${m[1]}:${m[2]}`;
        out.set(key, [...(out.get(key) ?? []), Number(pid)]);
      } catch { /* closed or exited meanwhile */ }
    }
  }
  return out;
}

/** PIDs of lockne CLI processes acting on this world's config (any subcommand). */
function lockneProcesses(w: LockneWorld): number[] {
  return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number).filter((pid) => {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.includes(CLI) && argv.includes(w.configFile);
    } catch {
      return false;
    }
  });
}

/**
 * Lockne-named programs, maps and links nobody else accounts for: not pinned
 * outside `pinDir`, not open in a process other than `ours`, not attached to
 * a cgroup other than the world's, not used by such a program or link. Other
 * deployments (other test files) may run meanwhile; their objects are held by
 * their pins, their loader's fds or their cgroups, so they never count.
 */
function unaccountedLockneObjects(w: LockneWorld, ours: readonly number[]): string[] {
  const progs = bpftool<BpfObjectInfo[]>(['-f', 'prog', 'show']);
  const maps = bpftool<BpfObjectInfo[]>(['-f', 'map', 'show']);
  const links = bpftool<BpfObjectInfo[]>(['-f', 'link', 'show']);
  const holders = fdHolders();
  const cgroups = bpftool<Array<{ cgroup: string; programs: BpfObjectInfo[] }>>(['cgroup', 'tree']);
  const elsewhere = (o: BpfObjectInfo, kind: string): boolean =>
    (o.pinned ?? []).some((p) => !p.startsWith(`${w.pinDir}/`))
    || (holders.get(`${kind}_id:${o.id}`) ?? []).some((pid) => !ours.includes(pid));
  const heldLinks = new Set(links.filter((l) => elsewhere(l, 'link')).map((l) => l.id));
  const heldProgs = new Set(progs.filter((p) => elsewhere(p, 'prog')).map((p) => p.id));
  for (const l of links) if (heldLinks.has(l.id) && l.prog_id !== undefined) heldProgs.add(l.prog_id);
  for (const c of cgroups) {
    if (c.cgroup === w.scope || c.cgroup.startsWith(`${w.scope}/`)) continue;
    for (const p of c.programs) heldProgs.add(p.id);
  }
  const heldMaps = new Set(maps.filter((m) => elsewhere(m, 'map')).map((m) => m.id));
  for (const p of progs) if (heldProgs.has(p.id)) for (const id of p.map_ids ?? []) heldMaps.add(id);
  const lockneProgs = progs.filter((p) => PROGRAMS.includes(p.name ?? ''));
  const lockneProgIds = new Set(lockneProgs.map((p) => p.id));
  return [
    ...lockneProgs.filter((p) => !heldProgs.has(p.id)).map((p) => `program ${p.name} (id ${p.id}, ${p.type})`),
    ...maps.filter((m) => (MAP_NAMES as readonly string[]).includes(m.name ?? '') && !heldMaps.has(m.id)).map((m) => `map ${m.name} (id ${m.id})`),
    ...links.filter((l) => lockneProgIds.has(l.prog_id ?? -1) && !heldLinks.has(l.id)).map((l) => `link ${l.id} (${l.type}, program ${l.prog_id})`),
  ];
}

interface Rule { priority?: number; fwmark?: string; table?: string; action?: string; protocol?: string }

/** `ip -j ARGS` in the client namespace (where `lockne up` made its rules). */
function ipJson<V>(args: readonly string[]): V {
  const argv = inNetnsArgv(T().client.name, ['ip', '-j', ...args]);
  return JSON.parse(execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }) || '[]') as V;
}

/** Lockne-tagged rules (protocol 0x4c) of the client namespace, both families. */
function lockneRules(): Rule[] {
  return [...ipJson<Rule[]>(['-4', 'rule']), ...ipJson<Rule[]>(['-6', 'rule'])].filter((r) => r.protocol === LOCKNE_PROTOCOL);
}

function lockneRoutes(): Array<{ dst: string; table?: string }> {
  return [...ipJson<Array<{ dst: string; table?: string; protocol?: string }>>(['-4', 'route', 'show', 'table', 'all']),
    ...ipJson<Array<{ dst: string; table?: string; protocol?: string }>>(['-6', 'route', 'show', 'table', 'all'])]
    .filter((r) => r.protocol === LOCKNE_PROTOCOL);
}

function readDeploymentState(w: LockneWorld): LockneState | undefined {
  try {
    return JSON.parse(fs.readFileSync(stateFileFor(w.pinDir), 'utf8')) as LockneState;
  } catch {
    return undefined;
  }
}

/**
 * Everything of the deployment still on the machine after `down`, as text
 * (empty: nothing). `ids` are those recorded through the pins; objects still
 * being freed by the kernel get a moment to go.
 */
async function leftovers(w: LockneWorld, ids: DeploymentIds): Promise<string[]> {
  const found: string[] = [];
  if (fs.existsSync(w.pinDir)) found.push(`pin dir ${w.pinDir}: ${fs.readdirSync(w.pinDir).join(', ')}`);
  const stateDir = path.dirname(stateFileFor(w.pinDir));
  const stateBase = path.basename(stateFileFor(w.pinDir));
  if (fs.existsSync(stateDir)) for (const f of fs.readdirSync(stateDir)) if (f === stateBase || f.startsWith(`${stateBase}.`)) found.push(`state file ${stateDir}/${f}`);
  for (const r of lockneRules()) found.push(`ip rule ${JSON.stringify(r)}`);
  for (const r of lockneRoutes()) found.push(`route ${JSON.stringify(r)}`);
  if (!fs.existsSync(w.scope)) found.push(`the scope cgroup ${w.scope} (not Lockne's) was removed`);
  else for (const d of fs.readdirSync(w.scope, { withFileTypes: true })) if (d.isDirectory() && d.name.startsWith(`${w.name}-`)) found.push(`profile cgroup ${d.name}`);
  if (fs.existsSync(w.scope)) {
    const attached = bpftool<BpfObjectInfo[]>(['cgroup', 'show', w.scope]);
    for (const p of attached) found.push(`program ${p.name} (id ${p.id}) attached to the scope`);
  }
  const procs = lockneProcesses(w);
  for (const pid of procs) found.push(`lockne process ${pid}`);

  // Kernel objects: by id (from the pins) and by name; freeing is asynchronous, so a few looks.
  let kernel: string[] = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const progs = new Set(bpftool<BpfObjectInfo[]>(['prog', 'show']).map((p) => p.id));
      const maps = new Set(bpftool<BpfObjectInfo[]>(['map', 'show']).map((m) => m.id));
      const links = new Set(bpftool<BpfObjectInfo[]>(['link', 'show']).map((l) => l.id));
      kernel = [
        ...[...ids.progs].filter(([, id]) => progs.has(id)).map(([n, id]) => `program ${n} id ${id} (recorded after up)`),
        ...[...ids.maps].filter(([, id]) => maps.has(id)).map(([n, id]) => `map ${n} id ${id} (recorded after up)`),
        ...[...ids.links].filter(([, id]) => links.has(id)).map(([n, id]) => `link of ${n} id ${id} (recorded after up)`),
        ...unaccountedLockneObjects(w, procs),
      ];
    } catch (e) {
      // Another test's objects vanishing mid-listing can fail a bpftool walk: look again.
      kernel = [`bpftool failed: ${(e as Error).message}`];
    }
    if (kernel.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return [...found, ...kernel];
}

function emptyIds(): DeploymentIds {
  return { maps: new Map(), links: new Map(), progs: new Map() };
}

/** The routed probe run with no lockne process at all: the shell joins the profile's cgroup and execs it. */
function inProfileCgroupArgv(w: LockneWorld, argv: readonly string[]): string[] {
  const cgroup = readDeploymentState(w)!.profiles.find((p) => p.name === PROFILE)!.cgroup;
  return inNetnsArgv(T().client.name, ['sh', '-c', `echo $$ > ${cgroup}/cgroup.procs && exec "$@"`, 'sh', ...argv]);
}

async function lockneOk(args: string[]): Promise<string> {
  const r = await W().lockne(args);
  assert.equal(r.status, 0, `lockne ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

// ---- tests --------------------------------------------------------------------

test('up twice, then down twice: each exits 0; the second up keeps the same objects; afterwards nothing of the deployment is left', async (t) => {
  if (skip(t)) return;
  // before() ran the first `up`.
  const first = recordIds(W().pinDir);
  assert.equal(first.maps.size + first.links.size, PIN_COUNT, 'every map and link is pinned after up');
  assert.match(await lockneOk(['up']), /already loaded/);
  assert.deepEqual(recordIds(W().pinDir), first, 'the second up reuses the pinned objects (same ids)');
  // One table rule and one kill-switch rule per family; no duplicates after the second up.
  const { mark, table } = readDeploymentState(W())!.profiles[0]!;
  const rules = lockneRules().map((r) => `${r.fwmark} ${r.action ?? `table ${r.table}`}`).sort();
  const fwmark = `0x${mark.toString(16)}`;
  assert.deepEqual(rules, [`${fwmark} table ${table}`, `${fwmark} table ${table}`, `${fwmark} unreachable`, `${fwmark} unreachable`]);
  // bpftool agrees with the pins: the programs are attached to the scope cgroup, the tracepoints linked.
  const attached = bpftool<BpfObjectInfo[]>(['cgroup', 'show', W().scope]).map((p) => p.id).sort();
  assert.deepEqual(attached, CGROUP_PROGRAMS.map(([p]) => first.progs.get(p)!).sort());
  // The by-name check sees a live deployment: every program, map and link, held only by our pins.
  const live = unaccountedLockneObjects(W(), []);
  assert.equal(live.length, 2 * PROGRAMS.length + MAP_NAMES.length, `by-name view of the live deployment:\n${live.join('\n')}`);

  assert.match(await lockneOk(['down']), new RegExp(`removed ${PIN_COUNT} pins, 4 rules, 2 routes, 1 cgroups`));
  assert.match(await lockneOk(['down']), /removed 0 pins, 0 rules, 0 routes, 0 cgroups/);
  assert.deepEqual(await leftovers(W(), first), []);
  // The ids are gone from bpftool's full listings too (not only "not found by pin").
  const progs = bpftool<BpfObjectInfo[]>(['prog', 'show']).map((p) => p.id);
  for (const id of first.progs.values()) assert.ok(!progs.includes(id), `program ${id} still loaded`);
});

test('steady state needs no lockne process: with none alive, a routed app still goes through the tunnel', async (t) => {
  if (skip(t)) return;
  await lockneOk(['up']);
  try {
    assert.deepEqual(lockneProcesses(W()), [], 'no lockne process is left after up');
    for (const req of [
      { kind: 'tcp', address: T().direct.server.v4 },
      { kind: 'udp-sendto', address: T().direct.server.v6 },
    ] satisfies ProbeRequest[]) {
      const r = await probeVia(inProfileCgroupArgv(W(), probeArgv(req)), req);
      assertVia(r, TUNNEL, `${req.kind} to ${req.address} with no lockne process`);
      assert.equal(r.seen!.address, req.address.includes(':') ? T().tunnel(TUNNEL).client.v6 : T().tunnel(TUNNEL).client.v4);
    }
    assert.deepEqual(lockneProcesses(W()), []);
  } finally {
    await lockneOk(['down']);
  }
});

interface Stage { state: 'none' | 'partial' | 'complete'; maps: number; links: number }

function stageOf(w: LockneWorld): Stage {
  const s = readDeploymentState(w);
  let pins: string[] = [];
  try { pins = fs.readdirSync(w.pinDir); } catch { /* not made yet */ }
  return {
    state: s ? (s.complete ? 'complete' : 'partial') : 'none',
    maps: pins.filter((p) => p.startsWith('map_')).length,
    links: pins.filter((p) => p.startsWith('link_')).length,
  };
}

const stageText = (s: Stage): string => `${s.state} state, ${s.maps} map pins, ${s.links} link pins`;

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** When to kill a `lockne up`: after a delay, or the moment its progress reaches a stage. */
type KillAt = { afterMs: number } | { stage: string; when: (s: Stage) => boolean } | { finished: true };

const killLabel = (k: KillAt): string => ('afterMs' in k ? `${k.afterMs} ms after start` : 'stage' in k ? `at "${k.stage}"` : 'after it finished');

/** Start `lockne up`, SIGKILL it at `at`; returns the stage seen when the kill was sent and the one it left. */
async function killUp(w: LockneWorld, at: KillAt): Promise<{ seen: Stage; left: Stage }> {
  const argv = w.lockneArgv(['up']);
  // nsenter execs the command (no fork for --net), so this PID is lockne's node process.
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  const exited = once(child, 'exit');
  const pid = child.pid!;
  let seen = stageOf(w);
  if ('afterMs' in at) {
    if (at.afterMs > 0) await new Promise((r) => setTimeout(r, at.afterMs));
    seen = stageOf(w);
    child.kill('SIGKILL');
  } else if ('stage' in at) {
    // A tight synchronous watch: `up`'s kernel work takes ~40 ms, each stage a few ms.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && alive(pid)) {
      seen = stageOf(w);
      if (at.when(seen)) { child.kill('SIGKILL'); break; }
    }
  }
  await exited;
  return { seen, left: stageOf(w) };
}

const KILLS: KillAt[] = [
  { afterMs: 0 }, { afterMs: 50 }, { afterMs: 100 }, { afterMs: 200 }, { afterMs: 400 },
  { stage: 'state written, nothing loaded', when: (s) => s.state === 'partial' },
  { stage: 'first map pinned', when: (s) => s.maps > 0 },
  { stage: 'all maps pinned', when: (s) => s.maps === MAP_NAMES.length },
  { stage: 'first link pinned', when: (s) => s.links > 0 },
  { finished: true },
];

test('kill -9 at any point of up, then down: nothing is left', async (t) => {
  if (skip(t)) return;
  const partialKills: string[] = [];
  for (const at of KILLS) {
    const { seen, left } = await killUp(W(), at);
    t.diagnostic(`killed ${killLabel(at)}: saw ${stageText(seen)}; left ${stageText(left)}`);
    if (left.state === 'partial') partialKills.push(killLabel(at));
    if ('stage' in at) assert.ok(at.when(seen), `kill ${killLabel(at)}: up finished before the stage was seen (${stageText(seen)})`);
    if ('finished' in at) assert.deepEqual(left, { state: 'complete', maps: MAP_NAMES.length, links: PROGRAMS.length });
    const ids = recordIds(W().pinDir);
    await lockneOk(['down']);
    assert.deepEqual(await leftovers(W(), ids), [], `after a kill ${killLabel(at)} and down`);
  }
  // The stage-triggered kills really landed inside `up` (a partial deployment), not before or after it.
  assert.ok(partialKills.length >= 2, `only ${partialKills.length} kills left a partial deployment: ${partialKills.join(', ')}`);
});

test('kill -9 mid-up, then up: the partial deployment is repaired and routes; down leaves nothing', async (t) => {
  if (skip(t)) return;
  const repairs: KillAt[] = [
    { stage: 'state written, nothing loaded', when: (s) => s.state === 'partial' },
    { stage: 'all maps pinned', when: (s) => s.maps === MAP_NAMES.length },
  ];
  let ids = emptyIds();
  try {
    for (const at of repairs) {
      // The point is a partial deployment for `up` to repair: a kill that landed after `up` finished is retried.
      let left: Stage | undefined;
      for (let attempt = 0; attempt < 3 && left?.state !== 'partial'; attempt++) {
        if (left) await lockneOk(['down']);
        ({ left } = await killUp(W(), at));
        t.diagnostic(`killed ${killLabel(at)}: left ${stageText(left)}`);
      }
      assert.equal(left?.state, 'partial', `no kill ${killLabel(at)} left a partial deployment`);
      await lockneOk(['up']);
      assert.deepEqual(stageOf(W()), { state: 'complete', maps: MAP_NAMES.length, links: PROGRAMS.length }, `up after a kill ${killLabel(at)}`);
      ids = recordIds(W().pinDir);
      assert.equal(lockneRules().length, 4, 'the table and kill-switch rules of both families, once each');
      const req: ProbeRequest = { kind: 'tcp', address: T().direct.server.v4 };
      assertVia(await probeVia(inProfileCgroupArgv(W(), probeArgv(req)), req), TUNNEL, `tcp after the repair (${killLabel(at)})`);
    }
  } finally {
    await lockneOk(['down']);
  }
  assert.deepEqual(await leftovers(W(), ids), []);
});

/**
 * The load app (python3, for its native getsockopt): opens and closes sockets
 * one at a time — UDP connected (v4 and v6), TCP created only, TCP connected
 * to the whoami service through the tunnel — and checks SO_MARK on every one;
 * then holds `hold` sockets open until a line arrives on stdin.
 */
const LOAD_APP = String.raw`
import json, socket, sys
v4, v6, port, mark, n_udp, n_plain, n_tcp, hold = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
SO_MARK = 36
counts = {"checked": 0, "wrong": 0, "tcpVia": {}}
wrong = []
def check(s, what):
    m = s.getsockopt(socket.SOL_SOCKET, SO_MARK)
    counts["checked"] += 1
    if m != mark:
        counts["wrong"] += 1
        if len(wrong) < 5: wrong.append("%s mark %#x" % (what, m))
for i in range(n_udp):
    fam, addr = (socket.AF_INET, v4) if i % 2 == 0 else (socket.AF_INET6, v6)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.connect((addr, port))
    check(s, "udp")
    s.close()
for i in range(n_plain):
    s = socket.socket(socket.AF_INET6 if i % 2 else socket.AF_INET, socket.SOCK_STREAM)
    check(s, "tcp (unconnected)")
    s.close()
for i in range(n_tcp):
    s = socket.create_connection((v4, port), timeout=5)
    check(s, "tcp")
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk: break
        data += chunk
    via = json.loads(data)["via"]
    counts["tcpVia"][via] = counts["tcpVia"].get(via, 0) + 1
    s.close()
held = []
for i in range(hold):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    check(s, "held")
    held.append(s)
counts["wrongExamples"] = wrong
print(json.dumps(counts), flush=True)
sys.stdin.readline()
for s in held: s.close()
print("closed", flush=True)
`;


test('load: an app opens and closes 10,000 sockets; every one carries the profile\'s mark and no socket record is left afterwards', async (t) => {
  if (skip(t)) return;
  await lockneOk(['up']);
  let app: ChildProcess | undefined;
  try {
    const profile = readDeploymentState(W())!.profiles.find((p) => p.name === PROFILE)!;
    const [nUdp, nPlain, nTcp, hold] = [6000, 3500, 500, 50];
    assert.equal(nUdp + nPlain + nTcp, 10_000);
    T().clearRecords();
    const argv = W().lockneArgv(['run', '--profile', PROFILE, '--user', 'nobody', '--', '/usr/bin/python3', '-c', LOAD_APP,
      T().direct.server.v4, T().direct.server.v6, String(T().ports.whoami), String(profile.mark), String(nUdp), String(nPlain), String(nTcp), String(hold)]);
    app = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    app.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    app.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = once(app, 'exit');
    const deadline = Date.now() + 40_000;
    while (!out.includes('\n') && app.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(out.includes('\n'), `the load app printed nothing (exit ${app.exitCode}): ${err}`);
    const counts = JSON.parse(out.split('\n')[0]!) as { checked: number; wrong: number; wrongExamples: string[]; tcpVia: Record<string, number> };
    assert.equal(counts.checked, 10_000 + hold);
    assert.equal(counts.wrong, 0, `sockets without the profile's mark 0x${profile.mark.toString(16)}: ${counts.wrongExamples.join('; ')}`);
    assert.deepEqual(counts.tcpVia, { [TUNNEL]: nTcp }, 'the server saw every TCP connection arrive through the tunnel');
    assert.equal(T().connections().filter((c) => c.proto === 'tcp' && c.via === TUNNEL).length, nTcp);

    // While the app holds sockets their records are listed (so "0 afterwards" is not vacuous) — and only them.
    const held = liveSockets(W().pinDir);
    assert.equal(held.length, hold, `live socket records while ${hold} sockets are open`);
    assert.ok(held.every((v) => v.profile === profile.index), 'each names the profile');
    assert.equal(new Set(held.map((v) => v.tgid)).size, 1, 'all of one process (the app)');

    app.stdin!.end('release\n');
    const [code] = await exited;
    assert.equal(code, 0, `load app exited ${String(code)}: ${err}`);
    assert.match(out, /closed/);
    // Socket-local storage goes with the socket: a closing TCP socket keeps its (released) record
    // until the kernel frees it, so wait for that.
    const left = await pollUntil('the closed sockets\' records to go', 5000, () => (socketRecords(W().pinDir).length === 0 ? [] : undefined), 50)
      .catch(() => socketRecords(W().pinDir));
    assert.deepEqual(left, [], 'socket records after the app closed every socket');
  } finally {
    // EOF on stdin lets the python app finish even if lockne (its parent) is killed here.
    app?.stdin?.destroy();
    if (app && app.exitCode === null && app.signalCode === null) app.kill('SIGKILL');
    await lockneOk(['down']);
  }
});
