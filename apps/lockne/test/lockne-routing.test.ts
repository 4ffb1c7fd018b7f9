// Lockne end to end, routing (issue #5 "must show"): real wireguard-go tunnels
// between namespaces this file makes, `lockne up` in the client namespace, and
// the server's own account of where each app's traffic came from.
//   - a routed app's TCP, UDP (connected, sendto) and IPv6 go through its
//     profile's tunnel, an unrouted app goes direct; two profiles at once;
//   - DNS follows the app (rewritten to the profile's server, through the
//     tunnel; the answer still reads as from the server the app asked);
//   - kill switch: tunnel down → fast failure and 0 packets on the direct path;
//   - exclude mode mirrors include mode.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { createTopology, digArgv, pollUntil, probeArgv, sweepStale, tryRunAsync, type ProbeRequest, type Topology } from '../src/topology/index.js';
import type { LockneWorld } from '../src/demo/world.js';
import { checkFdLeaks, skipUnless } from './support/kernel.js';
import { assertVia, Capture, parseProbeSeries, probeSeriesArgv, probeVia, routedArgv, upWorld, worldMissing } from './support/world.js';

checkFdLeaks();

const NAME = `lkt${process.pid}r`;
const EXCLUDE_NAME = `lkt${process.pid}x`;
const missing = worldMissing(['dig', 'tcpdump']);
const skip = (t: TestContext): boolean => skipUnless(t, missing);

// One topology for the file; inside a describe so checkFdLeaks' hooks run outside its before/after.
describe('lockne routing, end to end', () => {
  let topo: Topology | undefined;
  let world: LockneWorld | undefined;
  let excludeWorld: LockneWorld | undefined;

  before(async () => {
    if (missing) return;
    await sweepStale(/^lkt(\d+)r$/);
    topo = await createTopology({ prefix: NAME, tunnels: ['alpha', 'beta'] });
    world = await upWorld(topo, NAME, [
      { name: 'pa', tunnel: 'alpha', dns: true },
      { name: 'pb', tunnel: 'beta' },
    ]);
  });

  after(async () => {
    try {
      await world?.close();
    } finally {
      try {
        await excludeWorld?.close();
      } finally {
        await topo?.close();
      }
    }
  });

  beforeEach(() => topo?.clearRecords());

  const T = (): Topology => topo!;
  const W = (): LockneWorld => world!;

  test('a routed app\'s TCP, UDP (connected and sendto) and IPv6 arrive through its profile\'s tunnel; an unrouted app goes direct', async (t) => {
    if (skip(t)) return;
    const { direct } = T();
    const alpha = T().tunnel('alpha');
    const kinds = ['tcp', 'udp', 'udp-sendto'] as const;
    const routed: ProbeRequest[] = [direct.server.v4, direct.server.v6].flatMap((address) => kinds.map((kind) => ({ kind, address })));
    const results = await Promise.all(routed.map((req) => probeVia(routedArgv(W(), 'pa', req), req)));
    for (const r of results) {
      assertVia(r, 'alpha', `routed ${r.kind} to ${r.address}`);
      assert.equal(r.seen!.address, r.address.includes(':') ? alpha.client.v6 : alpha.client.v4);
    }
    // The server's own log agrees: six arrivals, all through alpha.
    assert.deepEqual(T().connections().map((c) => c.via), routed.map(() => 'alpha'));

    T().clearRecords();
    const unrouted: ProbeRequest[] = [
      { kind: 'tcp', address: direct.server.v4 }, { kind: 'udp-sendto', address: direct.server.v4 }, { kind: 'tcp', address: direct.server.v6 },
    ];
    const plain = await Promise.all(unrouted.map((req) => probeVia(W().unroutedArgv(probeArgv(req)), req)));
    for (const r of plain) {
      assertVia(r, 'direct', `unrouted ${r.kind} to ${r.address}`);
      assert.equal(r.seen!.address, r.address.includes(':') ? direct.client.v6 : direct.client.v4);
    }
    assert.deepEqual(T().connections().map((c) => c.via), unrouted.map(() => 'direct'));
  });

  test('two profiles at once: each app through its own tunnel', async (t) => {
    if (skip(t)) return;
    const { v4, v6 } = T().direct.server;
    const cases: Array<{ profile: string; req: ProbeRequest; via: string }> = [
      { profile: 'pa', req: { kind: 'tcp', address: v4 }, via: 'alpha' },
      { profile: 'pb', req: { kind: 'tcp', address: v4 }, via: 'beta' },
      { profile: 'pa', req: { kind: 'udp-sendto', address: v6 }, via: 'alpha' },
      { profile: 'pb', req: { kind: 'udp-sendto', address: v6 }, via: 'beta' },
      { profile: 'pb', req: { kind: 'udp', address: v4 }, via: 'beta' },
    ];
    const results = await Promise.all(cases.map((c) => probeVia(routedArgv(W(), c.profile, c.req), c.req)));
    results.forEach((r, i) => assertVia(r, cases[i]!.via, `${cases[i]!.profile}: ${r.kind} to ${r.address}`));
    const seen = T().connections().map((c) => c.via).sort();
    assert.deepEqual(seen, ['alpha', 'alpha', 'beta', 'beta', 'beta']);
  });

  test('DNS follows the app: a routed app\'s queries reach the profile\'s DNS through the tunnel, none direct, and the answer is accepted', async (t) => {
    if (skip(t)) return;
    const { direct } = T();
    const alpha = T().tunnel('alpha');
    const run = (argv: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> => tryRunAsync(argv, { timeoutMs: 20_000 });
    const dig4 = digArgv(direct.server.v4, 'v4.routed.test');
    const dig6 = digArgv(direct.server.v6, 'v6.routed.test', 'AAAA');
    const probeReq: ProbeRequest = { kind: 'dns', address: direct.server.v4, name: 'probe.routed.test' };
    const [d4, d6, p] = await Promise.all([
      run(W().lockneArgv(['run', '--profile', 'pa', '--user', 'nobody', '--', ...dig4])),
      run(W().lockneArgv(['run', '--profile', 'pa', '--user', 'nobody', '--', ...dig6])),
      probeVia(routedArgv(W(), 'pa', probeReq), probeReq),
    ]);
    // dig checks that the reply comes from the server it asked: recvmsg4/6 restored it.
    assert.equal(d4.status, 0, `dig -4: ${d4.stderr}${d4.stdout}`);
    assert.equal(d4.stdout.trim(), direct.server.v4, `dig @${direct.server.v4} answered: ${d4.stdout}`);
    assert.doesNotMatch(d4.stdout + d4.stderr, /unexpected source/);
    assert.equal(d6.status, 0, `dig -6: ${d6.stderr}${d6.stdout}`);
    assert.equal(d6.stdout.trim(), direct.server.v6, `dig @${direct.server.v6} AAAA answered: ${d6.stdout}`);
    assert.doesNotMatch(d6.stdout + d6.stderr, /unexpected source/);
    assert.ok(p.ok, `probe dns: ${p.error}`);
    assert.deepEqual(p.answers, [direct.server.v4]);

    const queries = T().dnsQueries();
    const byName = (n: string) => queries.filter((q) => q.qname === n);
    // dig may retry; every copy must have come through the tunnel to the profile's server.
    for (const [name, server] of [['v4.routed.test', alpha.server.v4], ['v6.routed.test', alpha.server.v6], ['probe.routed.test', alpha.server.v4]] as const) {
      const qs = byName(name);
      assert.ok(qs.length >= 1, `no query for ${name} reached the server: ${JSON.stringify(queries)}`);
      for (const q of qs) {
        assert.equal(q.via, 'alpha', `${name}: arrived via ${q.via} from ${q.address}`);
        assert.equal(q.server, server, `${name}: asked ${q.server}, expected the profile's DNS ${server}`);
      }
    }
    assert.deepEqual(queries.filter((q) => q.via === 'direct'), [], 'no routed query on the direct path');

    // An unrouted app's DNS keeps its own server and path.
    T().clearRecords();
    const u = await run(W().unroutedArgv(digArgv(direct.server.v4, 'plain.test')));
    assert.equal(u.stdout.trim(), direct.server.v4, `unrouted dig: ${u.stderr}${u.stdout}`);
    assert.deepEqual(T().dnsQueries().map((q) => [q.qname, q.via, q.server]), [['plain.test', 'direct', direct.server.v4]]);
  });

  test('kill switch: with the tunnel down the routed app fails fast and sends 0 packets on the direct path; after up it flows again', async (t) => {
    if (skip(t)) return;
    const { direct } = T();
    const wgPorts = T().tunnels.map((x) => `udp port ${x.serverPort}`).join(' or ');
    // Every TCP/UDP packet on the LAN side except the tunnels' own encapsulation.
    const cap = await Capture.start(T().client.name, T().plan.vethClient, `(tcp or udp) and not (${wgPorts})`);
    let tunnelDown = false;
    try {
      // A direct app first: proves the capture sees traffic before it has to see none.
      const controlReq: ProbeRequest = { kind: 'tcp', address: direct.server.v4 };
      assertVia(await probeVia(W().unroutedArgv(probeArgv(controlReq)), controlReq), 'direct', 'control');
      await pollUntil('the control connection in the capture', 3000, () => (cap.lines().some((l) => l.includes('.7777')) ? true : undefined));
      await new Promise((r) => setTimeout(r, 200)); // the control's FIN/ACK tail
      const before = cap.lines().length;

      T().setTunnelUp('alpha', false);
      tunnelDown = true;
      // Long on purpose: a hang would show as the full timeout, a refusal takes milliseconds.
      const timeoutMs = 8000;
      const attempts: ProbeRequest[] = [
        { kind: 'tcp', address: direct.server.v4, timeoutMs },
        { kind: 'udp', address: direct.server.v4, timeoutMs },
        { kind: 'udp-sendto', address: direct.server.v4, timeoutMs },
        { kind: 'dns', address: direct.server.v4, timeoutMs },
        { kind: 'tcp', address: direct.server.v6, timeoutMs },
        { kind: 'udp', address: direct.server.v6, timeoutMs },
        { kind: 'udp-sendto', address: direct.server.v6, timeoutMs },
        { kind: 'dns', address: direct.server.v6, qtype: 'AAAA', timeoutMs },
      ];
      // One routed app (a shell) making every attempt in turn, each timed on its own.
      const app = await tryRunAsync(W().lockneArgv(['run', '--profile', 'pa', '--user', 'nobody', '--', ...probeSeriesArgv(attempts)]), { timeoutMs: 120_000 });
      const results = parseProbeSeries(attempts, app.stdout);
      for (const r of results) {
        const what = `${r.kind} to ${r.address} with alpha down`;
        t.diagnostic(`${what}: ${r.error ?? 'ok'} after ${r.elapsedMs} ms`);
        assert.equal(r.ok, false, `${what}: succeeded (server saw ${r.seen?.address} via ${r.seen?.via})`);
        assert.match(r.error ?? '', /^(ENETUNREACH|EPERM|EHOSTUNREACH)\b/, `${what}: want an immediate unreachable error, got: ${r.error}`);
        // Node's start-up included, far below the probe's own timeout.
        assert.ok(r.elapsedMs < timeoutMs / 4, `${what}: took ${r.elapsedMs} ms (probe timeout ${timeoutMs} ms)`);
      }
      await new Promise((r) => setTimeout(r, 300)); // let a late leak show up
      const leaked = (await cap.stop()).slice(before);
      assert.deepEqual(leaked, [], 'packets of the routed app on the direct path');
      assert.deepEqual(T().connections().filter((c) => c.via !== 'direct'), [], 'nothing arrived through the down tunnel either');
      assert.deepEqual(T().dnsQueries(), []);

      // Tunnel back: its routes are gone with the link; `lockne up` puts them back.
      T().setTunnelUp('alpha', true);
      tunnelDown = false;
      const up = await W().lockne(['up']);
      assert.equal(up.status, 0, up.stderr);
      const again: ProbeRequest[] = [{ kind: 'tcp', address: direct.server.v4, timeoutMs: 3000 }, { kind: 'udp-sendto', address: direct.server.v6, timeoutMs: 3000 }];
      for (const r of await Promise.all(again.map((req) => probeVia(routedArgv(W(), 'pa', req), req)))) {
        assertVia(r, 'alpha', `routed ${r.kind} to ${r.address} after the tunnel came back`);
      }
    } finally {
      await cap.stop();
      if (tunnelDown) {
        T().setTunnelUp('alpha', true);
        await W().lockne(['up']);
      }
    }
  });

  test('exclude mode mirrors include mode: an unlisted app goes through the tunnel, an excluded one direct (DNS too)', async (t) => {
    if (skip(t)) return;
    // One deployment per namespace: the include world makes way (its rules share Lockne's tag).
    await world!.close();
    world = undefined;
    excludeWorld = await upWorld(T(), EXCLUDE_NAME, [
      { name: 'all', tunnel: 'alpha', mode: 'exclude', dns: true },
      { name: 'work', tunnel: 'beta' },
    ]);
    const x = excludeWorld;
    const { direct } = T();
    const alpha = T().tunnel('alpha');
    const reqs: ProbeRequest[] = [
      { kind: 'tcp', address: direct.server.v4 }, { kind: 'udp-sendto', address: direct.server.v4 }, { kind: 'tcp', address: direct.server.v6 },
    ];
    const unlisted = await Promise.all(reqs.map((req) => probeVia(x.unroutedArgv(probeArgv(req)), req)));
    for (const r of unlisted) assertVia(r, 'alpha', `unlisted ${r.kind} to ${r.address}`);
    const excluded = await Promise.all(reqs.map((req) => probeVia(routedArgv(x, 'all', req), req)));
    for (const r of excluded) assertVia(r, 'direct', `excluded ${r.kind} to ${r.address}`);
    // An include profile next to the exclude one still wins for its apps.
    const wreq: ProbeRequest = { kind: 'tcp', address: direct.server.v4 };
    assertVia(await probeVia(routedArgv(x, 'work', wreq), wreq), 'beta', 'work app in an exclude deployment');

    T().clearRecords();
    const dnsReq: ProbeRequest = { kind: 'dns', address: direct.server.v4, name: 'unlisted.test' };
    const exReq: ProbeRequest = { kind: 'dns', address: direct.server.v4, name: 'excluded.test' };
    const [du, de] = await Promise.all([probeVia(x.unroutedArgv(probeArgv(dnsReq)), dnsReq), probeVia(routedArgv(x, 'all', exReq), exReq)]);
    assert.ok(du.ok && de.ok, `dns: unlisted ${du.error ?? 'ok'}, excluded ${de.error ?? 'ok'}`);
    const q = T().dnsQueries().map((r) => [r.qname, r.via, r.server]).sort();
    assert.deepEqual(q, [['excluded.test', 'direct', direct.server.v4], ['unlisted.test', 'alpha', alpha.server.v4]]);
  });
});
