// Mutation fuzzing of parseConfig, shared by test/config-fuzz.test.ts and fuzz/lockne-config.mjs.
// Not exported from the package index: it is test machinery kept here so both can import it.
//
// A case is derived from (seed, index) alone: a corpus config with 1-6 stacked mutations (byte
// flips, deletions, duplicated/swapped lines, random values for keys, renamed keys, inserted
// headers and tokens, extra profiles). Property: parseConfig returns a config that keeps every
// rule, or throws a ConfigError whose problems lie inside the text and whose message is exactly
// those problems; anything else is a failure.
import { ConfigError, formatProblem, formatProblems } from './error.js';
import { parseConfig } from './parse.js';
import { PROFILE_NAME } from './schema.js';
import { MAX_PROFILES, RULE_PRIORITY_STRIDE, type LockneConfig } from './types.js';

/** Valid configs the mutations start from (each parses). */
export const CONFIG_CORPUS: readonly string[] = [
  // The documented example.
  `[lockne]
cgroup = "/sys/fs/cgroup/unified/lockne.scope"
pin_dir = "/sys/fs/bpf/lockne"
mark_base = 0x4c4e0000
table_base = 19700
rule_priority = 10600

[profile.privacy]
via = "wg0"
mode = "include"
dns = ["10.64.0.1", "fd00::1"]
kill_switch = true
apps = ["/usr/bin/firefox"]

[profile.games]
via = "wg1"
mode = "exclude"
bypass = ["192.0.2.1/32", "2001:db8::/32"]
`,
  // Minimal.
  `[profile.a]\nvia = "tun0"\n`,
  // Nothing at all (no profiles is valid).
  ``,
  // Comments, quoting, dotted keys, inline tables, multi-line arrays, literal strings, CRLF.
  `# lockne config\r\n[lockne] # settings\r\nmark_base = 0x1234_0000\r\n"table_base" = 100\r\n\r\n[profile]\r\nwork = { via = 'wg-work', dns = ['10.0.0.53'], kill_switch = false }\r\n"home-1".via = "wg2"\r\n"home-1".apps = [\r\n  "/usr/bin/ssh",  # remote\r\n  '/opt/app/bin/x',\r\n]\r\n`,
  // Several include profiles, IPv6 DNS only, no [lockne].
  `[profile.p1]
via = "wg1"
apps = ["/usr/bin/curl", "/usr/bin/wget"]
[profile.p2]
via = "wg2"
dns = ["2001:db8::53"]
apps = ["/usr/lib/firefox/firefox"]
[profile.p3]
via = "tun3"
kill_switch = false
[profile.3d]
via = "wg3"
mode = "include"
`,
  // Multi-line strings and a table defined through dotted keys at the top.
  `lockne.pin_dir = """/sys/fs/bpf/lk"""
lockne.rule_priority = 1
profile.x.via = '''wgx'''
profile.x.mode = "exclude"
profile.x.bypass = ["0.0.0.0/0", "::/0"]
`,
];

/** Text the mutations insert or substitute. */
const TOKENS = [
  '"', "'", '"""', "'''", '[', ']', '[[', ']]', '{', '}', '=', ',', '.', '#', '\\', '\n', '\r\n', '\r', '\t', ' ',
  '0', '1', 'x', 'é', '\u0000', '\u2028', '\ud800', 'true', 'nan', '-inf', '0x', '1e9', '1979-05-27', '07:32:00',
  '\n[lockne]\n', '\n[profile]\n', '\n[[profile]]\n', '\n[profile.x.y]\n', '\n[profile.new]\nvia = "wgn"\n', '\n[lockne.x]\n',
  '\nvia = "wg9"\n', '\nmode = "exclude"\n', '\nbypass = ["10.0.0.0/8"]\n', '\napps = ["/usr/bin/firefox"]\n', '\n__proto__ = 1\n',
  '\nconstructor = { a = 1 }\n', '\ntoString = "x"\n', '\n"profile".x.via = "wg0"\n', 'a.b.c', '"key"', "'key'",
];

/** Values substituted for a key's value. */
const VALUES = [
  '0', '1', '-1', '253', '254', '255', '19700', '32000', '32001', '2147483647', '2147483648', '4294967295', '4294967296',
  '9223372036854775807', '-9223372036854775808', '0x4c4e0000', '0x4c4e0001', '0xffff0000', '1_000', '0o17', '0b101',
  '1.5', '1.0', 'inf', '-inf', 'nan', '-0.0', '1e300', 'true', 'false',
  '""', '"wg0"', '"wg1"', '"a-very-long-interface-name"', '"wg 0"', '"wg/0"', '"wg:0"', '"."', '".."', '"include"', '"exclude"',
  '"inclde"', '"/usr/bin/firefox"', '"usr/bin/x"', '"/usr/bin/../bin/x"', `"/${'a'.repeat(300)}"`, '"/"', '"10.64.0.1"', '"fd00::1"',
  '"999.1.1.1"', '"10.0.0.0/8"', '"10.0.0.1/8"', '"::/0"', '"fe80::1%eth0"', '"\\u0000"', '"éééééééé"', '"\\uD800"',
  '[]', '["/usr/bin/a", "/usr/bin/a"]', '["10.0.0.1", "10.0.0.2"]', '[1, 2]', '[[]]', '["fd00::1", "10.0.0.1", "::1"]',
  '["1.2.3.4/33", "::ffff:1.2.3.4/96", "::ffff:1.2.3.4"]', '{}', '{ via = "wg0" }', '{ a = { b = 1 } }',
  '1979-05-27', '1979-05-27T07:32:00Z', '1979-05-27 07:32:00', '07:32:00', '[' .repeat(40) + ']'.repeat(40),
];

const KEYS = ['via', 'mode', 'dns', 'kill_switch', 'apps', 'bypass', 'cgroup', 'pin_dir', 'mark_base', 'table_base', 'rule_priority', 'lockne', 'profile'];

/** A small PRNG (mulberry32) seeded from (seed, index). */
export function caseRng(seed: number, index: number): () => number {
  let a = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ConfigCase {
  readonly seed: number;
  readonly index: number;
  /** Which corpus entry it started from. */
  readonly base: number;
  /** The mutations applied, in order, for the reproducer. */
  readonly ops: readonly string[];
  readonly text: string;
}

type Rng = () => number;
const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;

/** Mutations: each takes text and returns [new text, description]. */
const MUTATIONS: readonly ((t: string, r: Rng) => [string, string])[] = [
  (t, r) => { // replace one character
    const i = int(r, t.length + 1);
    const tok = pick(r, TOKENS);
    return [t.slice(0, i) + tok + t.slice(i + 1), `replace char ${i} with ${JSON.stringify(tok)}`];
  },
  (t, r) => { // flip a bit of a character
    if (!t) return [t, 'flip (empty)'];
    const i = int(r, t.length);
    const c = String.fromCharCode(t.charCodeAt(i) ^ (1 << int(r, 7)));
    return [t.slice(0, i) + c + t.slice(i + 1), `flip a bit at ${i}`];
  },
  (t, r) => { // delete a range
    const i = int(r, t.length + 1);
    const n = 1 + int(r, r() < 0.7 ? 4 : 40);
    return [t.slice(0, i) + t.slice(i + n), `delete ${n} at ${i}`];
  },
  (t, r) => { // insert a token
    const i = int(r, t.length + 1);
    const tok = pick(r, TOKENS);
    return [t.slice(0, i) + tok + t.slice(i), `insert ${JSON.stringify(tok)} at ${i}`];
  },
  (t, r) => { // duplicate a line (after itself or elsewhere)
    const lines = t.split('\n');
    const i = int(r, lines.length);
    const j = r() < 0.5 ? i + 1 : int(r, lines.length + 1);
    lines.splice(j, 0, lines[i]!);
    return [lines.join('\n'), `duplicate line ${i + 1} to ${j + 1}`];
  },
  (t, r) => { // delete a line
    const lines = t.split('\n');
    const i = int(r, lines.length);
    lines.splice(i, 1);
    return [lines.join('\n'), `delete line ${i + 1}`];
  },
  (t, r) => { // swap two lines
    const lines = t.split('\n');
    const i = int(r, lines.length);
    const j = int(r, lines.length);
    [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    return [lines.join('\n'), `swap lines ${i + 1} and ${j + 1}`];
  },
  (t, r) => { // a random value for a key
    const lines = t.split('\n');
    const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s*[^\s#[=][^=]*=/.test(l));
    if (candidates.length === 0) return [t, 'value (no key)'];
    const [line, i] = pick(r, candidates);
    const v = pick(r, VALUES);
    lines[i] = `${line.slice(0, line.indexOf('=') + 1)} ${v}`;
    return [lines.join('\n'), `line ${i + 1}: value ${v.length > 40 ? `${v.slice(0, 40)}...` : v}`];
  },
  (t, r) => { // rename a key: a typo, kebab-case, upper case, or another known key
    const lines = t.split('\n');
    const candidates = lines.map((l, i) => [l, i] as const).filter(([l]) => /^\s*[A-Za-z_][\w-]*\s*=/.test(l));
    if (candidates.length === 0) return [t, 'rename (no key)'];
    const [line, i] = pick(r, candidates);
    const key = /^\s*([\w-]+)/.exec(line)![1]!;
    const how = int(r, 4);
    const renamed = how === 0 ? key.slice(0, -1) : how === 1 ? key.replace(/_/g, '-') : how === 2 ? key.toUpperCase() : pick(r, KEYS);
    lines[i] = line.replace(key, renamed);
    return [lines.join('\n'), `line ${i + 1}: key ${key} -> ${renamed}`];
  },
  (t, r) => { // append profiles, often clashing with each other
    const n = 1 + int(r, r() < 0.3 ? 18 : 3);
    let add = '';
    for (let k = 0; k < n; k++) {
      add += `\n[profile.f${k}]\nvia = "${r() < 0.3 ? 'wg0' : `wf${k}`}"\n`;
      if (r() < 0.3) add += 'mode = "exclude"\n';
      if (r() < 0.3) add += `apps = ["/usr/bin/${r() < 0.5 ? 'firefox' : `app${k}`}"]\n`;
      if (r() < 0.1) add += 'bypass = ["10.0.0.0/8"]\n';
    }
    return [t + add, `append ${n} profiles`];
  },
  (t, r) => { // truncate
    const i = int(r, t.length + 1);
    return [t.slice(0, i), `truncate at ${i}`];
  },
];

/** Build case `index` of a campaign with `seed`. */
export function makeConfigCase(seed: number, index: number): ConfigCase {
  const r = caseRng(seed, index);
  const base = int(r, CONFIG_CORPUS.length);
  let text = CONFIG_CORPUS[base]!;
  const ops: string[] = [];
  const count = r() < 0.5 ? 1 : 1 + int(r, 6);
  for (let k = 0; k < count; k++) {
    const [next, op] = pick(r, MUTATIONS)(text, r);
    text = next;
    ops.push(op);
  }
  return { seed, index, base, ops, text };
}

/** What a case did: parsed ('ok') or refused with a ConfigError ('rejected'). */
export type ConfigOutcome = 'ok' | 'rejected';

/**
 * Parse `text` and check the property; returns the outcome, throws (anything) on a violation:
 * the caller reports whatever escapes as a failure.
 */
export function checkConfigCase(text: string): ConfigOutcome {
  const file = 'fuzz.toml';
  let cfg: LockneConfig;
  try {
    cfg = parseConfig(text, file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    checkError(e, text, file);
    return 'rejected';
  }
  checkConfig(cfg);
  // Deterministic: the same text gives the same config.
  if (JSON.stringify(parseConfig(text, file)) !== JSON.stringify(cfg)) throw new Error('property: parsing twice gave different configs');
  return 'ok';
}

function fail(what: string): never {
  throw new Error(`property: ${what}`);
}

function checkError(e: ConfigError, text: string, file: string): void {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = src.split('\n');
  if (e.problems.length === 0) fail('ConfigError without problems');
  for (const p of e.problems) {
    if (p.file !== file) fail(`problem names file ${p.file}`);
    if (!Number.isInteger(p.line) || p.line < 1 || p.line > lines.length) fail(`line ${p.line} outside 1..${lines.length}: ${formatProblem(p)}`);
    const width = lines[p.line - 1]!.length + 1;
    if (!Number.isInteger(p.column) || p.column < 1 || p.column > width) fail(`column ${p.column} outside 1..${width}: ${formatProblem(p)}`);
    if (!p.message || p.message.includes('\n')) fail(`empty or multi-line message: ${JSON.stringify(p.message)}`);
    if (!p.message.startsWith('invalid TOML') && !p.key) fail(`validation problem without a key: ${formatProblem(p)}`);
  }
  if (e.message !== formatProblems(e.problems)) fail('message is not the list of problems');
  if (e.line !== e.problems[0]!.line || e.key !== e.problems[0]!.key) fail('first-problem fields disagree with problems[0]');
}

function checkConfig(cfg: LockneConfig): void {
  const s = cfg.settings;
  const u32 = (v: number): boolean => Number.isSafeInteger(v) && v >= 0 && v <= 0xffffffff;
  if (!u32(s.markBase) || s.markBase % 0x10000 !== 0) fail(`markBase ${s.markBase}`);
  if (!u32(s.tableBase) || s.tableBase < 1 || s.tableBase > 0x7fffffff || (s.tableBase >= 253 && s.tableBase <= 255)) fail(`tableBase ${s.tableBase}`);
  if (!Number.isSafeInteger(s.rulePriority) || s.rulePriority < 1 || s.rulePriority > 32000) fail(`rulePriority ${s.rulePriority}`);
  if (!s.pinDir.startsWith('/') || (s.cgroup !== undefined && !s.cgroup.startsWith('/'))) fail('relative path in settings');
  if (cfg.profiles.length > MAX_PROFILES) fail(`${cfg.profiles.length} profiles`);
  const vias = new Set<string>();
  const apps = new Set<string>();
  let excludes = 0;
  cfg.profiles.forEach((p, i) => {
    if (p.index !== i + 1) fail(`profile ${p.name} has index ${p.index}, expected ${i + 1}`);
    if (!PROFILE_NAME.test(p.name)) fail(`profile name ${JSON.stringify(p.name)}`);
    if (!p.via || Buffer.byteLength(p.via) > 15 || /[/\s:]/.test(p.via) || vias.has(p.via)) fail(`via ${JSON.stringify(p.via)}`);
    vias.add(p.via);
    if (p.mode !== 'include' && p.mode !== 'exclude') fail(`mode ${String(p.mode)}`);
    if (p.mode === 'exclude') excludes++;
    if (p.mode === 'include' && p.bypass.length > 0) fail('bypass in an include profile');
    for (const a of p.apps) {
      if (!a.startsWith('/') || Buffer.byteLength(a) > 255 || apps.has(a)) fail(`app ${JSON.stringify(a)}`);
      apps.add(a);
    }
    if (p.dns4 !== undefined && p.dns4.includes(':')) fail(`dns4 ${p.dns4}`);
    if (p.dns6 !== undefined && !p.dns6.includes(':')) fail(`dns6 ${p.dns6}`);
    if (p.bypass.some((b) => !/\/\d+$/.test(b))) fail(`bypass ${p.bypass.join(',')}`);
    if (typeof p.killSwitch !== 'boolean') fail('killSwitch');
    if (p.mark !== s.markBase + p.index || p.table !== s.tableBase + p.index || p.rulePriority !== s.rulePriority + RULE_PRIORITY_STRIDE * p.index) fail('derived numbers');
    if (p.table >= 253 && p.table <= 255) fail(`table ${p.table}`);
  });
  if (excludes > 1) fail(`${excludes} exclude profiles`);
}
