// Pure pieces of the deployment: exe-rule hashing, address encoding for the
// kernel maps, the rules a profile needs, profile values, who an app runs as.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exeHash } from '../src/kernel/exe-hash.js';
import { addressText, ipv4Be32, ipv6Be32, portOf } from '../src/deploy/addresses.js';
import { profileRules } from '../src/deploy/routing.js';
import { kernelProfileOf, profileValue } from '../src/deploy/profiles.js';
import { DIRECT_PROFILE, ProfileFlag } from '../src/kernel/layout.js';
import { dropPrivileges, targetUser } from '../src/apps/users.js';
import { adHocProfile } from '../src/deploy/adhoc.js';
import { adHocConfig } from '../src/config/index.js';

test('exeHash is 64-bit FNV-1a over the bytes up to a NUL', () => {
  // Reference values of FNV-1a 64 ("" is the offset basis; "a" is a published test vector).
  assert.equal(exeHash(''), 0xcbf29ce484222325n);
  assert.equal(exeHash('a'), 0xaf63dc4c8601ec8cn);
  assert.equal(exeHash(new Uint8Array([0x61, 0, 0x62])), exeHash('a'));
  assert.notEqual(exeHash('/usr/bin/firefox'), exeHash('/usr/bin/firefox2'));
});

test('addresses are stored as the program sees network-order words', () => {
  assert.equal(ipv4Be32('10.64.0.1'), 0x0100400a);
  assert.deepEqual(ipv6Be32('fd00::1'), [0x000000fd, 0, 0, 0x01000000]);
  assert.equal(addressText(2, [0x0100400a, 0, 0, 0]), '10.64.0.1');
  assert.equal(addressText(10, ipv6Be32('fd4c:78:1::2')), 'fd4c:78:1::2');
  assert.equal(portOf(0x3500), 53);
  assert.throws(() => ipv4Be32('fd00::1'), /not an IPv4 address/);
  assert.throws(() => ipv6Be32('nope'), /nope/);
});

test('a profile gets fwmark → table and the kill-switch rule for both families, in order', () => {
  const rules = profileRules({ mark: 0x4c4e0001, table: 19701, rulePriority: 10610, killSwitch: true, mode: 'include', bypass: [] });
  assert.deepEqual(rules.map((r) => [r.family, r.priority, r.action ?? 'to_tbl', r.table ?? null]), [
    [4, 10611, 'to_tbl', 19701], [4, 10612, 'unreachable', null],
    [6, 10611, 'to_tbl', 19701], [6, 10612, 'unreachable', null],
  ]);
  for (const r of rules) assert.equal(r.fwmark, 0x4c4e0001);
  const noKill = profileRules({ mark: 1, table: 2, rulePriority: 10, killSwitch: false, mode: 'include', bypass: [] });
  assert.ok(noKill.every((r) => r.action !== 'unreachable'));
  const ex = profileRules({ mark: 1, table: 2, rulePriority: 10, killSwitch: true, mode: 'exclude', bypass: ['192.0.2.1/32', 'fd00::/64'] });
  assert.deepEqual(ex.filter((r) => r.dst).map((r) => [r.family, r.priority, r.dst, r.table]), [[4, 10, '192.0.2.1/32', 254], [6, 10, 'fd00::/64', 254]]);
});

test('profile values: DNS flags, and excluded apps map to DIRECT', () => {
  assert.deepEqual(profileValue({ mark: 5, dns4: '10.0.0.1' }), { mark: 5, flags: ProfileFlag.DNS4 | ProfileFlag.REFUSE_DNS6, dns4: ipv4Be32('10.0.0.1'), dns6: [0, 0, 0, 0] });
  assert.equal(profileValue({ mark: 5, dns4: '10.0.0.1', dns6: 'fd00::1' }).flags, ProfileFlag.DNS4 | ProfileFlag.DNS6);
  assert.equal(profileValue({ mark: 5 }).flags, 0);
  assert.equal(kernelProfileOf({ index: 3, mode: 'include' }), 3);
  assert.equal(kernelProfileOf({ index: 3, mode: 'exclude' }), DIRECT_PROFILE);
});

test('ad-hoc profiles take the highest free slot with derived mark, table and priority', () => {
  const cfg = adHocConfig({ via: 'wg0' });
  const p = adHocProfile({ ...cfg, profiles: [] }, 'wg9', { dns4: '10.0.0.53' });
  assert.equal(p.index, 15);
  assert.equal(p.name, 'via-wg9');
  assert.equal(p.mark, cfg.settings.markBase + 15);
  assert.equal(p.table, cfg.settings.tableBase + 15);
  assert.equal(p.dns4, '10.0.0.53');
});

test('the launched app runs as the sudo caller or --user, never silently as root', () => {
  const sudo = targetUser({}, { SUDO_UID: '65534', SUDO_GID: '65534' });
  assert.equal(sudo.uid, 65534);
  assert.equal(sudo.source, 'sudo');
  assert.equal(targetUser({ user: 'nobody' }, {}).uid, 65534);
  assert.throws(() => targetUser({ user: 'lk-no-such-user' }, {}), /--user lk-no-such-user: no such user/);
  assert.throws(() => targetUser({}, { SUDO_UID: 'x', SUDO_GID: '1' }), /not numeric/);
  if ((process.getuid?.() ?? 1) === 0) assert.throws(() => targetUser({}, {}), /refusing to start the app as root/);
  const d = dropPrivileges({ uid: 65534, gid: 65534, name: 'nobody', home: '/nonexistent', source: '--user' }, { SUDO_UID: '0', PATH: '/bin' });
  assert.deepEqual(d.argv, ['setpriv', '--reuid=65534', '--regid=65534', '--init-groups', '--']);
  assert.equal(d.env.USER, 'nobody');
  assert.equal(d.env.SUDO_UID, undefined);
  assert.equal(d.env.PATH, '/bin');
});
