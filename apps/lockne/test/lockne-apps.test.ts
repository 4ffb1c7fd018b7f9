// Lockne end to end, which apps are routed (issue #5 "must show"): children of
// `lockne run`, exe rules (CLI and config) for an app started by an unrelated
// parent, `attach --reset` of a running app, who the app runs as, and that a
// routed app cannot change its own mark. Real wireguard-go tunnel between
// namespaces this file makes; the server says where each connection came from.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { createTopology, inNetnsArgv, pollUntil, probeArgv, sweepStale, tryRunAsync, type ProbeRequest, type Topology } from '../src/topology/index.js';
import type { LockneWorld } from '../src/demo/world.js';
import { readState, stateFileFor } from '../src/deploy/state.js';
import { checkFdLeaks, skipUnless } from './support/kernel.js';
import { assertVia, probeLines, probeVia, routedArgv, shellLine, shq, upWorld, worldMissing } from './support/world.js';

checkFdLeaks();

const NAME = `lkt${process.pid}a`;
const missing = worldMissing(['socat']);
const skip = (t: TestContext): boolean => skipUnless(t, missing);
/** A port of our own for the long-lived connection (the topology's whoami closes after one reply). */
const HOLD_PORT = 7788;

/** `id -u`, `id -g`, `id -G` of a user, as this machine's id(1) reports them. */
function idsOf(user: string): { uid: string; gid: string; groups: string[] } {
  const id = (flag: string): string => spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim();
  return { uid: id('-u'), gid: id('-g'), groups: id('-G').split(/\s+/).sort() };
}

/** A user with supplementary groups (a member in /etc/group that exists), else nobody. */
function userWithGroups(): string {
  for (const line of fs.readFileSync('/etc/group', 'utf8').split('\n')) {
    for (const member of (line.split(':')[3] ?? '').split(',').filter(Boolean)) {
      if (member !== 'root' && spawnSync('id', ['-u', member]).status === 0 && idsOf(member).groups.length > 1) return member;
    }
  }
  return 'nobody';
}

describe('lockne apps, end to end', () => {
  let topo: Topology | undefined;
  let world: LockneWorld | undefined;
  let binDir = '';
  /** Copies of socat: one for `lockne rule add`, one listed in the config's apps. */
  let ruleExe = '';
  let configExe = '';

  before(async () => {
    if (missing) return;
    await sweepStale(/^lkt(\d+)a$/);
    // Rules match the exec'd file's path: copies (not symlinks) give paths nothing else uses.
    binDir = fs.mkdtempSync(path.join(os.tmpdir(), `${NAME}-bin-`));
    fs.chmodSync(binDir, 0o755);
    ruleExe = path.join(binDir, 'lktapp');
    configExe = path.join(binDir, 'lktcfgapp');
    for (const exe of [ruleExe, configExe]) fs.copyFileSync('/usr/bin/socat', exe);
    for (const exe of [ruleExe, configExe]) fs.chmodSync(exe, 0o755);
    topo = await createTopology({ prefix: NAME, tunnels: ['vpn'] });
    world = await upWorld(topo, NAME, [{ name: 'p', tunnel: 'vpn', dns: true, apps: [configExe] }]);
  });

  after(async () => {
    try {
      await world?.close();
    } finally {
      await topo?.close();
      if (binDir) fs.rmSync(binDir, { recursive: true, force: true });
    }
  });

  beforeEach(() => topo?.clearRecords());

  const T = (): Topology => topo!;
  const W = (): LockneWorld => world!;

  test('children of `lockne run` are routed: a shell\'s probes, a nested shell\'s, a background one\'s', async (t) => {
    if (skip(t)) return;
    const { v4, v6 } = T().direct.server;
    const first: ProbeRequest = { kind: 'tcp', address: v4 };
    const nested: ProbeRequest = { kind: 'udp-sendto', address: v6 };
    const background: ProbeRequest = { kind: 'udp', address: v4 };
    const script = `${shellLine(probeArgv(first))}; sh -c ${shq(shellLine(probeArgv(nested)))}; ${shellLine(probeArgv(background))} & wait`;
    const r = await tryRunAsync(W().lockneArgv(['run', '--profile', 'p', '--user', 'nobody', '--', 'sh', '-c', script]));
    assert.equal(r.status, 0, `lockne run: ${r.stderr}${r.stdout}`);
    const results = probeLines(r.stdout);
    assert.equal(results.length, 3, `three probe results expected:\n${r.stdout}`);
    for (const res of results) assertVia(res, 'vpn', `child ${res.kind} to ${res.address}`);
    assert.deepEqual(T().connections().map((c) => c.via), ['vpn', 'vpn', 'vpn']);
  });

  test('exe rule: a copy of socat named by `lockne rule add`, started by an unrelated parent, is routed from its first connection', async (t) => {
    if (skip(t)) return;
    const { v4, v6 } = T().direct.server;
    const socatTo = (exe: string, target: string): string[] => W().unroutedArgv([exe, '-u', target, 'STDOUT']);
    const whoami = async (argv: string[]): Promise<{ via: string; address: string }> => {
      const r = await tryRunAsync(argv, { timeoutMs: 10_000 });
      assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout.trim()) as { via: string; address: string };
    };
    // Before the rule, the copy is just another unrouted app.
    assert.equal((await whoami(socatTo(ruleExe, `TCP:${v4}:7777`))).via, 'direct');

    const add = await W().lockne(['rule', 'add', '--exe', ruleExe, '--profile', 'p']);
    assert.equal(add.status, 0, add.stderr);
    const list = await W().lockne(['rule', 'list', '--json']);
    assert.ok((JSON.parse(list.stdout) as Array<{ path: string; profile: string }>).some((x) => x.path === ruleExe && x.profile === 'p'), list.stdout);

    T().clearRecords();
    const [a, b, c, d] = await Promise.all([
      whoami(socatTo(ruleExe, `TCP:${v4}:7777`)),
      whoami(socatTo(ruleExe, `TCP6:[${v6}]:7777`)),
      // The config's `apps` entry works the same, since `up`.
      whoami(socatTo(configExe, `TCP:${v4}:7777`)),
      // The original binary has no rule: direct.
      whoami(socatTo('/usr/bin/socat', `TCP:${v4}:7777`)),
    ]);
    assert.deepEqual([a.via, b.via, c.via, d.via], ['vpn', 'vpn', 'vpn', 'direct']);
    assert.equal(a.address, T().tunnel('vpn').client.v4);
    assert.equal(b.address, T().tunnel('vpn').client.v6);
    // Each process made exactly one connection, so the first one is the one the server saw.
    assert.deepEqual(T().connections().map((x) => x.via).sort(), ['direct', 'vpn', 'vpn', 'vpn']);

    const rm = await W().lockne(['rule', 'remove', '--exe', ruleExe]);
    assert.equal(rm.status, 0, rm.stderr);
    assert.equal((await whoami(socatTo(ruleExe, `TCP:${v4}:7777`))).via, 'direct', 'after `rule remove`');
  });

  test('attach --reset: a running unrouted app\'s open connection is destroyed and the one it makes again goes through the tunnel', async (t) => {
    if (skip(t)) return;
    const { direct } = T();
    const tunnel = T().tunnel('vpn');
    // Server side: every connection is told the address it came from and kept open.
    const serverJs = `const net = require('net');
      net.createServer((s) => { s.on('error', () => {}); s.write(s.remoteAddress.replace(/^::ffff:/, '') + '\\n'); })
        .listen(${HOLD_PORT}, '${direct.server.v4}', () => console.log('listening'));`;
    // The app: one connection at a time, reconnecting when it breaks; prints what the server saw.
    const appJs = `const net = require('net');
      console.log('pid ' + process.pid);
      const go = () => {
        const s = net.connect(${HOLD_PORT}, '${direct.server.v4}');
        s.setEncoding('utf8');
        s.on('data', (d) => process.stdout.write('seen ' + d));
        s.on('error', (e) => console.log('error ' + e.code));
        s.on('close', () => setTimeout(go, 50));
      };
      go();`;
    const started: ChildProcess[] = [];
    const start = (argv: string[]): { child: ChildProcess; out: () => string } => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      started.push(child);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      return { child, out: () => out };
    };
    try {
      const server = start(inNetnsArgv(T().server.name, [process.execPath, '-e', serverJs]));
      await pollUntil('the hold server to listen', 5000, () => (server.out().includes('listening') ? true : undefined));
      const app = start(W().unroutedArgv([process.execPath, '-e', appJs]));
      const seen = (): string[] => app.out().split('\n').filter((l) => l.startsWith('seen ')).map((l) => l.slice(5));
      await pollUntil('the app\'s first connection', 5000, () => (seen().length > 0 ? true : undefined));
      assert.deepEqual(seen(), [direct.client.v4], 'unrouted at first');
      const pid = Number(/^pid (\d+)$/m.exec(app.out())?.[1]);
      assert.equal(pid, app.child.pid, 'nsenter and sh exec into the app: its pid is the child\'s');

      const r = await W().lockne(['attach', String(pid), '--profile', 'p', '--reset']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /moved 1 processes to p, destroyed [1-9]\d* sockets/);
      await pollUntil('the app to reconnect', 5000, () => (seen().length > 1 ? true : undefined));
      assert.deepEqual(seen(), [direct.client.v4, tunnel.client.v4], `app output:\n${app.out()}`);
      assert.match(app.out(), /error ECONNABORTED/, 'the old connection was destroyed under the app');
    } finally {
      for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await Promise.all(started.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    }
  });

  test('privilege: the app runs as --user, or exactly as the sudo caller (with its supplementary groups), never silently as root', async (t) => {
    if (skip(t)) return;
    const ids = ['sh', '-c', 'id -u; id -g; id -G'];
    const parse = (out: string): { uid: string; gid: string; groups: string[] } => {
      const [uid = '', gid = '', groups = ''] = out.trim().split('\n');
      return { uid, gid, groups: groups.split(/\s+/).sort() };
    };
    const asNobody = await W().lockne(['run', '--profile', 'p', '--user', 'nobody', '--', ...ids], { SUDO_UID: '', SUDO_GID: '' });
    assert.equal(asNobody.status, 0, asNobody.stderr);
    assert.deepEqual(parse(asNobody.stdout), idsOf('nobody'));

    const caller = userWithGroups();
    const want = idsOf(caller);
    t.diagnostic(`sudo caller: ${caller} uid ${want.uid} gid ${want.gid} groups ${want.groups.join(',')}`);
    const viaSudo = await W().lockne(['run', '--profile', 'p', '--', ...ids], { SUDO_UID: want.uid, SUDO_GID: want.gid, SUDO_USER: caller });
    assert.equal(viaSudo.status, 0, viaSudo.stderr);
    const got = parse(viaSudo.stdout);
    assert.deepEqual(got, want, `as sudo caller ${caller}`);
    if (!want.groups.includes('0')) assert.ok(!got.groups.includes('0'), 'root\'s group leaked into the app');

    const plainRoot = await W().lockne(['run', '--profile', 'p', '--', 'sh', '-c', 'echo RAN'], { SUDO_UID: '', SUDO_GID: '' });
    assert.notEqual(plainRoot.status, 0);
    assert.match(plainRoot.stderr, /refusing to start the app as root.*--user/);
    assert.doesNotMatch(plainRoot.stdout, /RAN/);
  });

  test('a routed app cannot change its mark (setsockopt SO_MARK → EPERM, even as root); an unrouted root app can', async (t) => {
    if (skip(t)) return;
    const state = readState(stateFileFor(W().pinDir));
    const mark = state?.profiles.find((p) => p.name === 'p')?.mark;
    assert.ok(mark !== undefined, `no mark for profile p in ${stateFileFor(W().pinDir)}`);
    const req = (m: number): ProbeRequest => ({ kind: 'tcp', address: T().direct.server.v4, mark: m });
    const [routed, unrouted, unroutedLockneMark] = await Promise.all([
      // Mark 1 would mean "main table": the routed app tries to leave the tunnel.
      probeVia(routedArgv(W(), 'p', req(1), 'root'), req(1)),
      probeVia(W().unroutedArgv(probeArgv(req(1))), req(1)),
      // The guard is about routed sockets, not the value: an unrouted root app may even pick Lockne's mark.
      probeVia(W().unroutedArgv(probeArgv(req(mark))), req(mark)),
    ]);
    assert.equal(routed.ok, false, `routed root app changed its mark: server saw ${routed.seen?.via}`);
    assert.match(routed.error ?? '', /^EPERM: setsockopt\(SO_MARK\)/);
    assertVia(unrouted, 'direct', 'unrouted root app with mark 1');
    assertVia(unroutedLockneMark, 'vpn', `unrouted root app with mark ${mark}`);
  });
});
