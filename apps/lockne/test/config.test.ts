// The config file (src/config): valid configs and their defaults and derived numbers; for every
// rule, a config that breaks it and the exact `file:line:col: key: message` it gets; TOML syntax
// errors; loadConfig on real files; adHocConfig for `lockne run --via`. Pure: no root, no kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CONFIG_KEYS, ConfigError, DEFAULT_SETTINGS, adHocConfig, formatConfigKeys, loadConfig, locateKeys, parseConfig,
} from '../src/config/index.js';
import { parseCidr } from '../src/config/checks.js';
import { PROFILE_KEYS, SETTINGS_KEYS } from '../src/config/schema.js';

const FILE = 'test.toml';

/** The ConfigError that parsing `text` throws (fails if it parses). */
function errorOf(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  assert.fail(`expected a ConfigError for:\n${text}`);
}

/** Assert that `text` is refused with a problem at `line:col` on `key` whose message matches. */
function refused(text: string, where: string, key: string, message: RegExp): ConfigError {
  const e = errorOf(text);
  const hit = e.problems.find((p) => p.key === key && `${p.line}:${p.column}` === where && message.test(p.message));
  assert.ok(hit, `no problem ${where} ${key} ~ ${message} in:\n${e.message}`);
  assert.ok(e.message.split('\n').includes(`${FILE}:${where}: ${key}: ${hit.message}`), e.message);
  return e;
}

const EXAMPLE = `[lockne]
cgroup = "/sys/fs/cgroup/unified/lockne.scope"
pin_dir = "/sys/fs/bpf/lk-test"
mark_base = 0x12340000
table_base = 500
rule_priority = 20000

[profile.privacy]
via = "wg0"
mode = "include"
dns = ["10.64.0.1", "fd00::1"]
kill_switch = false
apps = ["/usr/bin/firefox", "/usr/lib/thunderbird/thunderbird"]

[profile.games]
via = "wg1"
mode = "exclude"
apps = ["/usr/bin/steam"]
bypass = ["192.0.2.1/32", "2001:db8::/32", "198.51.100.7"]
`;

test('a full config: every key read, profiles numbered in file order, mark/table/rule priority derived', () => {
  const cfg = parseConfig(EXAMPLE, FILE);
  assert.deepEqual(cfg.settings, {
    cgroup: '/sys/fs/cgroup/unified/lockne.scope', pinDir: '/sys/fs/bpf/lk-test', markBase: 0x12340000, tableBase: 500, rulePriority: 20000,
  });
  assert.deepEqual(cfg.profiles, [
    {
      index: 1, name: 'privacy', via: 'wg0', mode: 'include', dns4: '10.64.0.1', dns6: 'fd00::1', killSwitch: false,
      apps: ['/usr/bin/firefox', '/usr/lib/thunderbird/thunderbird'], bypass: [], mark: 0x12340001, table: 501, rulePriority: 20010,
    },
    {
      index: 2, name: 'games', via: 'wg1', mode: 'exclude', killSwitch: true, apps: ['/usr/bin/steam'],
      bypass: ['192.0.2.1/32', '2001:db8::/32', '198.51.100.7/32'], mark: 0x12340002, table: 502, rulePriority: 20020,
    },
  ]);
});

test('defaults: an empty file, and a profile with only via', () => {
  const empty = parseConfig('', FILE);
  assert.deepEqual(empty, { settings: { pinDir: '/sys/fs/bpf/lockne', markBase: 0x4c4e0000, tableBase: 19700, rulePriority: 10600 }, profiles: [] });
  assert.equal('cgroup' in empty.settings, false, 'cgroup stays unset: the runtime finds the cgroup v2 root');
  const [p] = parseConfig('[profile.vpn]\nvia = "wg0"\n', FILE).profiles;
  assert.deepEqual(p, {
    index: 1, name: 'vpn', via: 'wg0', mode: 'include', killSwitch: true, apps: [], bypass: [],
    mark: DEFAULT_SETTINGS.markBase + 1, table: DEFAULT_SETTINGS.tableBase + 1, rulePriority: DEFAULT_SETTINGS.ruleBase + 10,
  });
});

test('TOML spellings: dotted keys, inline tables, quoted keys, literal and multi-line strings, CRLF, BOM, hex with _', () => {
  const text = '\ufeff# c\r\nlockne.mark_base = 0x0001_0000\r\n[profile]\r\n"9" = { via = \'tun9\', dns = ["::1"] }\r\nb.via = """wgb"""\r\nb.apps = [\r\n  \'/opt/b\',  # the b app\r\n]\r\n';
  const cfg = parseConfig(text, FILE);
  assert.equal(cfg.settings.markBase, 0x10000);
  // "9" is written first: file order, although JS puts integer-like keys first anyway; "b" second.
  assert.deepEqual(cfg.profiles.map((p) => [p.index, p.name, p.via, p.dns6, p.apps]), [[1, '9', 'tun9', '::1', []], [2, 'b', 'wgb', undefined, ['/opt/b']]]);
  // Integer-like names that JS would reorder keep file order.
  const order = parseConfig('[profile.zz]\nvia = "a"\n[profile.10]\nvia = "b"\n[profile.2]\nvia = "c"\n', FILE).profiles.map((p) => p.name);
  assert.deepEqual(order, ['zz', '10', '2']);
});

test('[lockne] rules: each refused with its key and line:col', () => {
  refused('[lockne]\ncgroup = "sys/fs/cgroup"\n', '2:10', 'lockne.cgroup', /absolute cgroup directory/);
  refused('[lockne]\npin_dir = "/sys/fs/bpf/../x/"\n', '2:11', 'lockne.pin_dir', /not normalized: write "\/sys\/fs\/x"/);
  refused('[lockne]\nmark_base = 0x4c4e0001\n', '2:13', 'lockne.mark_base', /low 16 bits must be zero.*try 0x4c4e0000/);
  refused('[lockne]\nmark_base = 0x100000000\n', '2:13', 'lockne.mark_base', /must be in 0\.\.4294967295, got 4294967296/);
  refused('[lockne]\nmark_base = -65536\n', '2:13', 'lockne.mark_base', /must be in 0\.\./);
  refused('[lockne]\n  table_base = 254\n', '2:16', 'lockne.table_base', /253\.\.255 are the kernel's default, main and local/);
  refused('[lockne]\ntable_base = 0\n', '2:14', 'lockne.table_base', /must be in 1\.\.2147483647, got 0/);
  refused('[lockne]\ntable_base = 2147483648\n', '2:14', 'lockne.table_base', /must be in 1\.\.2147483647/);
  refused('[lockne]\ntable_base = 1.0\n', '2:14', 'lockne.table_base', /expected an integer, got float 1\.0/);
  refused('[lockne]\nrule_priority = 32001\n', '2:17', 'lockne.rule_priority', /must be in 1\.\.32000, got 32001/);
  refused('[lockne]\nrule_priority = "10"\n', '2:17', 'lockne.rule_priority', /expected an integer, got string "10"/);
  // Derived tables must avoid 253..255 too: profile 3 of table_base 250 would get 253.
  refused('[lockne]\ntable_base = 250\n[profile.a]\nvia="a"\n[profile.b]\nvia="b"\n[profile.c]\nvia="c"\n', '2:14', 'lockne.table_base', /profile "c" \(index 3\) would get routing table 253 is reserved/);
  refused('lockne = 5\n', '1:10', 'lockne', /expected a table, got integer 5/);
});

test('[profile.NAME] rules: each refused with its key and line:col', () => {
  const p = (body: string): string => `# header comment\n[profile.vpn]\n${body}\n`;
  refused(p('mode = "include"'), '2:1', 'profile.vpn.via', /missing: every profile needs its tunnel interface/);
  refused(p('via = 5'), '3:7', 'profile.vpn.via', /expected a string, got integer 5/);
  refused(p('via = ""'), '3:7', 'profile.vpn.via', /must not be empty/);
  refused(p('via = "wireguard-tunnel"'), '3:7', 'profile.vpn.via', /too long: 16 bytes, an interface name has at most 15/);
  refused(p('via = "wg/0"'), '3:7', 'profile.vpn.via', /must not contain "\/"/);
  refused(p('via = "wg 0"'), '3:7', 'profile.vpn.via', /must not contain " "/);
  refused(p('via = "wg0"\nmode = "inclusive"'), '4:8', 'profile.vpn.mode', /expected "include" or "exclude", got string "inclusive"/);
  refused(p('via = "wg0"\nmode = "exlude"'), '4:8', 'profile.vpn.mode', /did you mean "exclude"\?/);
  refused(p('via = "wg0"\nkill_switch = "yes"'), '4:15', 'profile.vpn.kill_switch', /expected a boolean \(true or false\), got string "yes"/);
  refused(p('via = "wg0"\ndns = ["10.0.0.1", "10.0.0.2"]'), '4:20', 'profile.vpn.dns[1]', /a second IPv4 server \(dns\[0\] is the first\)/);
  refused(p('via = "wg0"\ndns = ["fd00::1", "::1"]'), '4:19', 'profile.vpn.dns[1]', /a second IPv6 server/);
  refused(p('via = "wg0"\ndns = ["10.0.0.256"]'), '4:8', 'profile.vpn.dns[0]', /not an IPv4 or IPv6 address/);
  refused(p('via = "wg0"\ndns = "10.0.0.1"'), '4:7', 'profile.vpn.dns', /expected an array, got string "10\.0\.0\.1"/);
  refused(p('via = "wg0"\napps = ["firefox"]'), '4:9', 'profile.vpn.apps[0]', /must be an absolute executable path/);
  refused(p('via = "wg0"\napps = [\n  "/usr/bin/a",\n  "/usr/bin/./b",\n]'), '6:3', 'profile.vpn.apps[1]', /not normalized: write "\/usr\/bin\/b"/);
  refused(p(`via = "wg0"\napps = ["/${'x'.repeat(255)}"]`), '4:9', 'profile.vpn.apps[0]', /too long: 256 bytes, at most 255/);
  refused(p('via = "wg0"\napps = ["/usr/bin/a", "/usr/bin/a"]'), '4:23', 'profile.vpn.apps[1]', /listed twice \(apps\[0\]\)/);
  refused(p('via = "wg0"\nmode = "exclude"\nbypass = ["10.1.2.3/8"]'), '5:11', 'profile.vpn.bypass[0]', /host bits set: the network is "10\.0\.0\.0\/8"/);
  refused(p('via = "wg0"\nmode = "exclude"\nbypass = ["2001:db8::1/32"]'), '5:11', 'profile.vpn.bypass[0]', /the network is "2001:db8::\/32"/);
  refused(p('via = "wg0"\nmode = "exclude"\nbypass = ["10.0.0.0/33"]'), '5:11', 'profile.vpn.bypass[0]', /prefix length must be 0\.\.32, got "33"/);
  refused(p('via = "wg0"\nmode = "exclude"\nbypass = ["example.com"]'), '5:11', 'profile.vpn.bypass[0]', /"example\.com" is not an IPv4 or IPv6 address/);
  refused('[profile.Work]\nvia = "wg0"\n', '1:1', 'profile.Work', /a profile name is 1-32 characters of a-z, 0-9/);
  refused(`[profile.${'a'.repeat(33)}]\nvia = "wg0"\n`, '1:1', `profile.${'a'.repeat(33)}`, /profile name/);
  refused('[profile]\nvpn = "wg0"\n', '2:7', 'profile.vpn', /expected a table, got string "wg0"/);
  refused('[[profile]]\nvia = "wg0"\n', '1:1', 'profile', /expected a table of profiles, got an array.*not \[\[profile\]\]/);
});

test('rules across profiles: count, one exclude, unique via, unique apps, bypass only when excluding', () => {
  const many = Array.from({ length: 16 }, (_, i) => `[profile.p${i}]\nvia = "wg${i}"\n`).join('');
  refused(many, '31:1', 'profile.p15', /profile 16 of at most 15/);
  assert.equal(parseConfig(Array.from({ length: 15 }, (_, i) => `[profile.p${i}]\nvia = "wg${i}"\n`).join(''), FILE).profiles.length, 15);

  const two = '[profile.a]\nvia = "wg0"\nmode = "exclude"\n\n[profile.b]\nvia = "wg1"\nmode = "exclude"\n';
  refused(two, '7:8', 'profile.b.mode', /a second exclude profile: "a" \(line 3\) is one already/);

  const sameVia = '[profile.a]\nvia = "wg0"\n[profile.b]\n  via = "wg0"\n';
  refused(sameVia, '4:9', 'profile.b.via', /"wg0" is already the via of profile "a" \(line 2\): one profile per tunnel/);

  const sameApp = '[profile.a]\nvia = "wg0"\napps = ["/usr/bin/x", "/usr/bin/firefox"]\n[profile.b]\nvia = "wg1"\napps = ["/usr/bin/firefox"]\n';
  refused(sameApp, '6:9', 'profile.b.apps[0]', /"\/usr\/bin\/firefox" is already in profile "a" \(line 3\): an app belongs to one profile/);

  refused('[profile.a]\nvia = "wg0"\nbypass = ["10.0.0.0/8"]\n', '3:1', 'profile.a.bypass', /only an exclude profile \(mode = "exclude"\) has bypass/);
  refused('[profile.a]\nvia = "wg0"\nmode = "include"\nbypass = []\n', '4:1', 'profile.a.bypass', /only an exclude profile/);
});

test('unknown keys: named, with "did you mean" for near misses and where misplaced keys belong', () => {
  refused('[lockne]\npin-dir = "/x"\n', '2:1', 'lockne.pin-dir', /unknown key; did you mean "pin_dir"\?/);
  refused('[profile.a]\nvia = "wg0"\nkillswitch = false\n', '3:1', 'profile.a.killswitch', /did you mean "kill_switch"\?/);
  refused('[profile.a]\nvia = "wg0"\nApps = []\n', '3:1', 'profile.a.Apps', /did you mean "apps"\?/);
  refused('[profiles.a]\nvia = "wg0"\n', '1:1', 'profiles', /did you mean "profile"\?/);
  refused('[profile.a]\nvia = "wg0"\nmark_base = 0\n', '3:1', 'profile.a.mark_base', /belongs in the \[lockne\] table/);
  refused('via = "wg0"\n', '1:1', 'via', /belongs in a \[profile\.NAME\] table/);
  refused('[lockne]\nfrobnicate = 1\n', '2:1', 'lockne.frobnicate', /unknown key \(expected "cgroup", "pin_dir", "mark_base", "table_base", "rule_priority"\)/);
  refused('[profile.a]\nvia = "wg0"\n[profile.a.extra]\n', '3:1', 'profile.a.extra', /unknown key/);
  refused('[profile.a]\nvia = "wg0"\ndns = ["10.0.0.1"]\nx = { y = 1 }\n', '4:1', 'profile.a.x', /unknown key/);
});

test('several problems: all listed, one per line, sorted by position; fields are those of the first', () => {
  const e = errorOf('[profile.b]\nvia = 7\n[lockne]\nmark_base = 1\n[profile.a]\nvia = "wg0"\nmode = "x"\n');
  assert.deepEqual(e.message.split('\n'), [
    'test.toml:2:7: profile.b.via: expected a string, got integer 7',
    'test.toml:4:13: lockne.mark_base: the low 16 bits must be zero (they carry the profile index), got 0x1: try 0x0',
    'test.toml:7:8: profile.a.mode: expected "include" or "exclude", got string "x"',
  ]);
  assert.deepEqual([e.file, e.line, e.column, e.key], ['test.toml', 2, 7, 'profile.b.via']);
  assert.equal(e.problems.length, 3);
  assert.equal(e.name, 'ConfigError');
  assert.ok(e instanceof Error);
});

test('TOML syntax errors carry smol-toml\'s line:col; a redefined key is named with its first line', () => {
  let e = errorOf('[profile.a]\nvia = "wg0\n');
  assert.equal(`${e.line}:${e.column}`, '2:11'); // smol-toml points after the unfinished string
  assert.equal(e.message, 'test.toml:2:11: invalid TOML: control characters are not allowed in strings');
  assert.equal(e.key, '');
  e = errorOf('[lockne]\nmark_base = 0x4c4e0000\ntable_base = = 5\n');
  assert.equal(e.line, 3);
  assert.match(e.message, /^test\.toml:3:\d+: invalid TOML: /);
  e = errorOf('[profile.a]\nvia = "wg0"\napps = []\nvia = "wg1"\n');
  assert.equal(e.message, 'test.toml:4:1: profile.a.via: invalid TOML: already defined at line 2');
  e = errorOf('[profile.a]\nvia = "wg0"\n\n[profile.a]\n');
  assert.equal(e.message, 'test.toml:4:2: profile.a: invalid TOML: already defined at line 1');
});

test('loadConfig: reads a file; a missing or unreadable file is a ConfigError naming the path and errno', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lk-config-'));
  try {
    const file = path.join(dir, 'config.toml');
    writeFileSync(file, EXAMPLE);
    assert.equal(loadConfig(file).profiles[1]!.name, 'games');

    const missing = path.join(dir, 'nope.toml');
    assert.throws(() => loadConfig(missing), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.file, missing);
      assert.match(e.message, new RegExp(`^${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT: no such file`));
      return true;
    });
    assert.throws(() => loadConfig(dir), (e: unknown) => e instanceof ConfigError && e.code === 'EISDIR' && e.message.startsWith(`${dir}: EISDIR`));

    const bad = path.join(dir, 'bad.toml');
    writeFileSync(bad, '[profile.a]\nvia = "wg0"\nmode = "sideways"\n');
    assert.throws(() => loadConfig(bad), (e: unknown) => e instanceof ConfigError && e.message === `${bad}:3:8: profile.a.mode: expected "include" or "exclude", got string "sideways"`);

    const latin1 = path.join(dir, 'latin1.toml');
    writeFileSync(latin1, Buffer.concat([Buffer.from('[profile.a]\nvia = "wg'), Buffer.from([0xe9]), Buffer.from('"\n')]));
    assert.throws(() => loadConfig(latin1), (e: unknown) => e instanceof ConfigError && e.message === `${latin1}:2:10: not valid UTF-8 (byte 21)`);

    if (process.getuid?.() !== 0) {
      chmodSync(file, 0);
      assert.throws(() => loadConfig(file), (e: unknown) => e instanceof ConfigError && e.code === 'EACCES');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('adHocConfig: one profile from flags, checked like a file, errors name the flag', () => {
  const cfg = adHocConfig({ via: 'wg0', dns: ['10.64.0.1', 'fd00::1'] });
  assert.deepEqual(cfg.profiles, [{
    index: 1, name: 'cli', via: 'wg0', mode: 'include', dns4: '10.64.0.1', dns6: 'fd00::1', killSwitch: true, apps: [], bypass: [],
    mark: 0x4c4e0001, table: 19701, rulePriority: 10610,
  }]);
  assert.equal(cfg.settings.pinDir, '/sys/fs/bpf/lockne');
  const custom = adHocConfig({ via: 'tun1', dns: '10.0.0.1', mode: 'exclude' }, { pinDir: '/sys/fs/bpf/x', markBase: 0x10000, tableBase: 7, rulePriority: 5 });
  assert.deepEqual([custom.profiles[0]!.mark, custom.profiles[0]!.table, custom.profiles[0]!.rulePriority, custom.profiles[0]!.mode], [0x10001, 8, 15, 'exclude']);
  assert.throws(() => adHocConfig({ via: 'a/b' }), (e: unknown) => e instanceof ConfigError && e.message === '<command line>: --via: must not contain "/" (not a valid interface name)');
  assert.throws(() => adHocConfig({ via: 'wg0', dns: ['1.1.1.1', '8.8.8.8'] }), (e: unknown) =>
    e instanceof ConfigError && e.message === '<command line>: --dns "8.8.8.8": a second IPv4 server (dns[0] is the first): at most one IPv4 and one IPv6');
  assert.throws(() => adHocConfig({ via: 'wg0', mode: 'all' as 'include' }), (e: unknown) => e instanceof ConfigError && /--mode: expected "include" or "exclude"/.test(e.message));
});

test('locateKeys: headers, dotted keys, array elements, inline tables, arrays of tables, multi-line strings', () => {
  const text = '[a]\nx = """one\ntwo"""\ny.z = [1, { k = "v" },\n  3]\n[[t]]\n[[t]]\nq = 1\n';
  const loc = locateKeys(text);
  assert.deepEqual(loc.keyAt(['a']), { line: 1, column: 1 });
  assert.deepEqual(loc.valueAt(['a', 'x']), { line: 2, column: 5 });
  assert.deepEqual(loc.keyAt(['a', 'y']), { line: 4, column: 1 });
  assert.deepEqual(loc.valueAt(['a', 'y', 'z', 1]), { line: 4, column: 11 });
  assert.deepEqual(loc.keyAt(['a', 'y', 'z', 1, 'k']), { line: 4, column: 13 });
  assert.deepEqual(loc.valueAt(['a', 'y', 'z', 2]), { line: 5, column: 3 });
  assert.deepEqual(loc.keyAt(['t', 1, 'q']), { line: 8, column: 1 });
  assert.deepEqual(loc.keyAt(['t', 1]), { line: 7, column: 1 });
  // Unknown paths fall back to their nearest located parent, then 1:1.
  assert.deepEqual(loc.locate(['a', 'nope', 'deeper'], 'value'), { line: 1, column: 1 });
  assert.deepEqual(loc.locate(['t', 1, 'nope'], 'key'), { line: 7, column: 1 });
});

test('parseCidr: bare addresses, host bits, IPv6 with embedded IPv4', () => {
  assert.deepEqual(parseCidr('0.0.0.0/0'), { ok: true, version: 4, addr: 0n, len: 0, text: '0.0.0.0/0' });
  assert.equal((parseCidr('::ffff:192.0.2.1') as { text: string }).text, '::ffff:192.0.2.1/128');
  assert.deepEqual(parseCidr('::ffff:192.0.2.1/120'), { ok: false, why: 'host bits set: the network is "::ffff:c000:200/120"' });
  assert.deepEqual(parseCidr('fd00:1:2:3::9/64'), { ok: false, why: 'host bits set: the network is "fd00:1:2:3::/64"' });
  assert.deepEqual(parseCidr('10.0.0.0/8x'), { ok: false, why: 'prefix length must be 0..32, got "8x"' });
});

test('CONFIG_KEYS describes exactly the keys the schema accepts, and formats as help text', () => {
  const documented = CONFIG_KEYS.map((k) => k.key).filter((k) => k.includes('.')).sort();
  const accepted = [...SETTINGS_KEYS.map((k) => `lockne.${k}`), ...PROFILE_KEYS.map((k) => `profile.NAME.${k}`), 'profile.NAME'].sort();
  assert.deepEqual(documented, accepted);
  const help = formatConfigKeys();
  assert.match(help, /profile\.NAME\.via\s+string, required/);
  assert.match(help, /lockne\.mark_base\s+integer, default 0x4c4e0000/);
});
