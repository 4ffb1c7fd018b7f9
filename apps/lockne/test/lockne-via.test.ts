// `lockne run --via IFACE` with no config file: Lockne deploys itself with
// the default settings (cgroup v2 root, marks only in this netns) and an
// ad-hoc profile for the interface; a second --via adds a second profile;
// --dns sends the app's DNS to that server through the tunnel; down removes it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createTopology, inNetnsArgv, probeArgv, sweepStale, tryRunAsync, type ProbeRequest, type Topology } from '../src/topology/index.js';
import { stateFileFor } from '../src/deploy/state.js';
import { CLI } from '../src/demo/world.js';
import { checkFdLeaks, skipUnless } from './support/kernel.js';
import { probeVia, worldMissing } from './support/world.js';

const NAME = `lkt${process.pid}v`;
const PIN_DIR = `/sys/fs/bpf/${NAME}`;
const missing = worldMissing();
let topo: Topology | undefined;

/** `lockne --pin-dir D ARGS` in the client namespace, with no config file at all. */
function lockneArgv(args: readonly string[]): string[] {
  return inNetnsArgv(topo!.client.name, [process.execPath, CLI, '--pin-dir', PIN_DIR, ...args]);
}

before(async () => {
  if (missing) return;
  await sweepStale(/^lkt(\d+)v$/);
  topo = await createTopology({ prefix: NAME, tunnels: ['va', 'vb'] });
});

after(async () => {
  try {
    if (topo) await tryRunAsync(lockneArgv(['down']));
  } finally {
    await topo?.close();
  }
});

checkFdLeaks();

test('run --via with no config routes through that interface, a second --via through another, --dns through the tunnel; down removes it all', async (t) => {
  if (skipUnless(t, missing)) return;
  const a = topo!.tunnel('va');
  const b = topo!.tunnel('vb');
  const server = topo!.direct.server.v4;
  const tcp: ProbeRequest = { kind: 'tcp', address: server };

  const viaA = await probeVia(lockneArgv(['run', '--via', a.clientIf, '--user', 'nobody', '--', ...probeArgv(tcp)]), tcp);
  assert.equal(viaA.ok, true, viaA.error);
  assert.equal(viaA.seen?.via, 'va');
  assert.equal(viaA.seen?.address, a.addresses.client.v4);

  const udp6: ProbeRequest = { kind: 'udp-sendto', address: topo!.direct.server.v6 };
  const viaB = await probeVia(lockneArgv(['run', '--via', b.clientIf, '--user', 'nobody', '--', ...probeArgv(udp6)]), udp6);
  assert.equal(viaB.seen?.via, 'vb', viaB.error);

  const state = JSON.parse(fs.readFileSync(stateFileFor(PIN_DIR), 'utf8')) as { profiles: { name: string; via: string; adHoc: boolean }[] };
  assert.deepEqual(state.profiles.map((p) => [p.name, p.via, p.adHoc]).sort(), [[`via-${a.clientIf}`, a.clientIf, true], [`via-${b.clientIf}`, b.clientIf, true]].sort());

  // --dns on a new deployment: queries to the LAN resolver reach the tunnel's DNS server, via the tunnel.
  await tryRunAsync(lockneArgv(['down']));
  topo!.clearRecords();
  const dns: ProbeRequest = { kind: 'dns', address: server };
  const q = await probeVia(lockneArgv(['run', '--via', a.clientIf, '--dns', a.addresses.server.v4, '--user', 'nobody', '--', ...probeArgv(dns)]), dns);
  assert.equal(q.ok, true, q.error);
  const seen = topo!.dnsQueries();
  assert.ok(seen.length >= 1);
  for (const r of seen) assert.equal(r.via, 'va', JSON.stringify(r));

  const bad = await tryRunAsync(lockneArgv(['run', '--via', 'no/such', '--user', 'nobody', '--', 'true']));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--via/);

  const down = await tryRunAsync(lockneArgv(['down']));
  assert.equal(down.status, 0, down.stderr);
  assert.equal(fs.existsSync(PIN_DIR), false);
  assert.equal(fs.existsSync(stateFileFor(PIN_DIR)), false);
  const rules = JSON.parse(topo!.client.exec(['ip', '-j', 'rule'])) as { protocol?: string }[];
  assert.equal(rules.filter((r) => r.protocol === '76' || r.protocol === '0x4c').length, 0);
});
