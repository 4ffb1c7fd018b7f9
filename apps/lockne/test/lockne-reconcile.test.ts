// `lockne up` again after the config changed: a removed profile loses its
// rules, routes, cgroup and kernel slot; the profiles that stay keep routing,
// with the same programs (no reload).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { readState, stateFileFor } from '../src/deploy/state.js';
import { checkFdLeaks, skipUnless } from './support/kernel.js';
import { assertVia, probeVia, routedArgv, worldMissing, worldPerFile } from './support/world.js';

const NAME = `lkt${process.pid}c`;
const missing = worldMissing(['ip']);
const fx = worldPerFile({ tag: 'c', tunnels: ['ca', 'cb'], profiles: [{ name: 'pa', tunnel: 'ca' }, { name: 'pb', tunnel: 'cb' }], missing });

checkFdLeaks();

test('up after removing a profile from the config removes its rules, routes and cgroup and keeps the rest routing', async (t) => {
  if (skipUnless(t, missing)) return;
  const before = readState(stateFileFor(fx.world().pinDir))!;
  const pb = before.profiles.find((p) => p.name === 'pb')!;
  const pa = before.profiles.find((p) => p.name === 'pa')!;
  const linkIds = fs.readdirSync(fx.world().pinDir).filter((n) => n.startsWith('link_')).sort();
  assert.ok(fs.existsSync(pb.cgroup));

  // The same config without [profile.pb].
  const text = fs.readFileSync(fx.world().configFile, 'utf8');
  fs.writeFileSync(fx.world().configFile, text.replace(/\[profile\.pb\][^[]*/, ''));
  const up = await fx.world().lockne(['up']);
  assert.equal(up.status, 0, up.stderr);
  assert.match(up.stdout, /already loaded; profiles reconciled/);

  const after = readState(stateFileFor(fx.world().pinDir))!;
  assert.deepEqual(after.profiles.map((p) => p.name), ['pa']);
  assert.equal(fs.existsSync(pb.cgroup), false, 'the removed profile\'s cgroup is gone');
  assert.deepEqual(fs.readdirSync(fx.world().pinDir).filter((n) => n.startsWith('link_')).sort(), linkIds, 'programs stay attached');

  for (const fam of ['-4', '-6']) {
    const rules = JSON.parse(fx.topo().client.exec(['ip', '-j', fam, 'rule'])) as { fwmark?: string; protocol?: string }[];
    const ours = rules.filter((r) => r.fwmark !== undefined && Number(r.fwmark) === pb.mark);
    assert.deepEqual(ours, [], `no ${fam} rule for the removed profile's mark`);
    assert.ok(rules.some((r) => r.fwmark !== undefined && Number(r.fwmark) === pa.mark), `pa keeps its ${fam} rules`);
    const routes = JSON.parse(fx.topo().client.exec(['ip', '-j', fam, 'route', 'show', 'table', String(pb.table)]) || '[]') as unknown[];
    assert.deepEqual(routes, [], `table ${pb.table} (${fam}) is empty`);
  }
  const r = await probeVia(routedArgv(fx.world(), 'pa', { kind: 'tcp', address: fx.topo().direct.server.v4 }), { kind: 'tcp', address: fx.topo().direct.server.v4 });
  assertVia(r, 'ca');
  const gone = await fx.world().lockne(['run', '--profile', 'pb', '--user', 'nobody', '--', 'true']);
  assert.equal(gone.status, 1);
  assert.match(gone.stderr, /no profile 'pb' \(have: pa\)/);
});
