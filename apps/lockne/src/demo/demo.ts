// `lockne demo` (the README's main job): a self-contained world — two
// network namespaces, a veth "LAN" between them and two wireguard-go tunnels
// to a test server — with Lockne deployed in the client namespace. Two apps
// are started routed through different tunnels and one unrouted; the server
// reports the address each arrived from; the stats are shown; everything is
// torn down again.
import { createTopology, sweepStale, type ProbeResult } from '../topology/index.js';
import { down } from '../deploy/down.js';
import { removeCgroupMovingOut } from '../deploy/cgroups.js';
import { cgroup2Root } from '@lockne/bpf';
import path from 'node:path';
import { probeArgv, parseProbeOutput, type ProbeRequest } from '../topology/probe.js';
import { tryRunAsync } from '../topology/exec.js';
import { LockneWorld } from './world.js';
import { appFile } from '../paths.js';

const TRAFFIC_APP = appFile('dist/src/demo/traffic-app.js');

const say = (s: string): void => { process.stdout.write(`${s}\n`); };

async function runProbe(argv: string[], req: ProbeRequest): Promise<ProbeResult> {
  const r = await tryRunAsync(argv);
  return parseProbeOutput(req, r.stdout, r.stderr, r.status);
}

function seenText(r: ProbeResult): string {
  if (!r.ok || !r.seen) return `FAILED (${r.error ?? 'no reply'})`;
  return `server saw ${r.seen.address} (${r.seen.via})`;
}

export async function runDemo(): Promise<number> {
  if ((process.getuid?.() ?? 1) !== 0) { say('lockne demo: needs root (network namespaces, bpf)'); return 1; }
  // A demo killed midway (Ctrl-C, a closed pipe) leaves its world behind: remove it first.
  // (Its rules lived in its own namespace, which the sweep deletes: none to remove here.)
  await sweepStale(/^lkd$/);
  down({ pinDir: '/sys/fs/bpf/lkd', routing: false });
  removeCgroupMovingOut(path.join(cgroup2Root(), 'lkd-scope'), cgroup2Root());
  say('lockne demo: building the world: client + server namespaces, veth, two wireguard-go tunnels…');
  const topo = await createTopology({ prefix: 'lkd', tunnels: ['privacy', 'work'] });
  let world: LockneWorld | undefined;
  let failures = 0;
  try {
    const server = topo.direct.server.v4;
    say(`  direct path: client ${topo.direct.client.v4} → server ${server}`);
    for (const t of [topo.tunnel('privacy'), topo.tunnel('work')]) {
      say(`  tunnel ${t.name}: ${t.clientIf} ${t.addresses.client.v4} → ${t.addresses.server.v4}`);
    }
    world = new LockneWorld(topo, 'lkd', [
      { name: 'privacy', tunnel: 'privacy', dns: true },
      { name: 'work', tunnel: 'work' },
    ]);
    say(`\n$ lockne up    (config ${world.configFile})`);
    const up = await world.lockne(['up']);
    process.stdout.write(up.stdout + up.stderr);
    if (up.status !== 0) return 1;

    const cases: Array<{ label: string; profile?: string; req: ProbeRequest; expect: string }> = [
      { label: 'app A (lockne run --profile privacy)', profile: 'privacy', req: { kind: 'tcp', address: server }, expect: 'privacy' },
      { label: 'app B (lockne run --profile work)   ', profile: 'work', req: { kind: 'udp-sendto', address: server }, expect: 'work' },
      { label: 'app C (not routed)                  ', req: { kind: 'tcp', address: server }, expect: 'direct' },
      { label: 'app A over IPv6                      ', profile: 'privacy', req: { kind: 'tcp', address: topo.direct.server.v6 }, expect: 'privacy' },
    ];
    say('\nThe server reports where each app came from:');
    for (const c of cases) {
      const argv = c.profile
        ? world.lockneArgv(['run', '--profile', c.profile, '--user', 'nobody', '--', ...probeArgv(c.req)])
        : world.unroutedArgv(probeArgv(c.req));
      const r = await runProbe(argv, c.req);
      const ok = r.ok && r.seen?.via === c.expect;
      if (!ok) failures++;
      say(`  ${c.label} ${c.req.kind.padEnd(10)} → ${seenText(r)} ${ok ? '✓' : `✗ (expected ${c.expect})`}`);
    }
    const dnsReq: ProbeRequest = { kind: 'dns', address: server };
    topo.clearRecords();
    const dns = await runProbe(world.lockneArgv(['run', '--profile', 'privacy', '--user', 'nobody', '--', ...probeArgv(dnsReq)]), dnsReq);
    const q = topo.dnsQueries().at(-1);
    const dnsOk = dns.ok && q?.via === 'privacy';
    if (!dnsOk) failures++;
    say(`  app A asks DNS at ${server} (the LAN resolver) → answered; the query reached the server via ${q?.via ?? 'nothing'} ${dnsOk ? '✓' : '✗'}`);

    say('\nTwo apps sending UDP for 8 s, started with `lockne run --detach` (no lockne process stays):');
    for (const profile of ['privacy', 'work']) {
      const r = await world.lockne(['run', '--profile', profile, '--user', 'nobody', '--detach', '--', process.execPath, TRAFFIC_APP, server, '7777', '8000', profile === 'privacy' ? '900' : '300']);
      say(`  ${profile}: pid ${r.stdout.trim()}${r.status === 0 ? '' : ` FAILED: ${r.stderr.trim()}`}`);
      if (r.status !== 0) failures++;
    }
    await new Promise((res) => setTimeout(res, 1000));
    say('\n$ lockne status');
    process.stdout.write((await world.lockne(['status'])).stdout);
    say('\n$ lockne top --once');
    process.stdout.write((await world.lockne(['top', '--once', '--interval', '1000'])).stdout);
    await new Promise((res) => setTimeout(res, 5000));
  } finally {
    say('\n$ lockne down');
    if (world) {
      const d = await world.lockne(['down']);
      process.stdout.write(d.stdout + d.stderr);
      await world.close();
    }
    await topo.close();
    say('lockne demo: world removed');
  }
  say(failures === 0 ? '\nlockne demo: every app went the way its profile says' : `\nlockne demo: ${failures} checks FAILED`);
  return failures === 0 ? 0 : 1;
}
