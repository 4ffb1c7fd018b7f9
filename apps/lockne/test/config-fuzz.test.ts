// parseConfig under mutation: a short run of fuzz/lockne-config.mjs (engine in
// src/config/fuzz.ts). Valid configs get byte flips, deletions, duplicated and swapped lines,
// random values for keys, renamed keys, inserted headers and extra (clashing) profiles; each must
// parse into a config that keeps every rule, or throw a ConfigError whose problems lie inside the
// text. Any other exception, or a case over 1 s, fails.
//
// LOCKNE_FUZZ_SEED=<n> runs another seed; LOCKNE_FUZZ_CASES=<n> another count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_CORPUS, checkConfigCase, makeConfigCase } from '../src/config/fuzz.js';
import { ConfigError, MAX_LISTED_PROBLEMS, parseConfig } from '../src/config/index.js';

const SEED = Number(process.env.LOCKNE_FUZZ_SEED ?? 0x10c4e) >>> 0;
const CASES = Number(process.env.LOCKNE_FUZZ_CASES ?? 4000);
const SLOW_MS = 1000;

test('fuzz corpus: every unmutated config parses', () => {
  for (const text of CONFIG_CORPUS) assert.equal(checkConfigCase(text), 'ok', text);
});

test(`fuzz: ${CASES} mutated configs end in a valid config or a ConfigError inside the text (seed ${SEED})`, { timeout: 120_000 }, (t) => {
  t.diagnostic(`seed ${SEED} (LOCKNE_FUZZ_SEED=${SEED} replays it)`);
  let ok = 0;
  let rejected = 0;
  let maxMs = 0;
  const failures: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const c = makeConfigCase(SEED, i);
    const t0 = performance.now();
    try {
      if (checkConfigCase(c.text) === 'ok') ok++;
      else rejected++;
    } catch (e) {
      failures.push(`case ${i} (${c.ops.join('; ')}): ${e instanceof Error ? e.stack : String(e)}\n  text: ${JSON.stringify(c.text)}`);
    }
    const ms = performance.now() - t0;
    maxMs = Math.max(maxMs, ms);
    if (ms > SLOW_MS) failures.push(`case ${i} (${c.ops.join('; ')}): slow, ${ms.toFixed(0)} ms`);
  }
  t.diagnostic(`${ok} ok, ${rejected} rejected, ${failures.length} failed; slowest case ${maxMs.toFixed(1)} ms`);
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of ${CASES} cases failed`);
  // The campaign must exercise both outcomes, or the mutations are too weak (or too strong).
  assert.ok(ok > CASES / 20 && rejected > CASES / 2, `${ok} ok / ${rejected} rejected`);
});

test('fuzz regressions: deep nesting, prototype keys, huge values and many problems stay ConfigErrors', () => {
  const inputs = [
    'a = ' + '['.repeat(5000) + ']'.repeat(5000) + '\n',
    'lockne = ' + '{ b = '.repeat(800) + '1' + ' }'.repeat(800) + '\n',
    '[profile.__proto__]\nvia = "wg0"\n',
    '[profile.a]\nvia = "wg0"\n__proto__ = { polluted = true }\n',
    '[lockne]\nconstructor = 1\n',
    `[profile.a]\nvia = "${'x'.repeat(200_000)}"\n`,
    '[profile.a]\nvia = "\\u0000"\n',
  ];
  for (const text of inputs) {
    assert.throws(() => parseConfig(text, 'r.toml'), ConfigError);
    assert.equal(checkConfigCase(text), 'rejected');
  }
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  // Names that are Object.prototype members are ordinary profiles.
  assert.deepEqual(parseConfig('[profile.constructor]\nvia = "wg0"\n[profile.tostring]\nvia = "wg1"\n', 'r.toml').profiles.map((p) => p.name), ['constructor', 'tostring']);

  const many = Array.from({ length: 200 }, (_, i) => `[profile.p${i}]\nvia = "wg${i}"\napps = ["/usr/bin/same"]\n`).join('');
  const e = (() => { try { parseConfig(many, 'm.toml'); } catch (err) { return err as ConfigError; } return assert.fail('parsed'); })();
  assert.equal(e.problems.length, 1 + 199);
  const lines = e.message.split('\n');
  assert.equal(lines.length, MAX_LISTED_PROBLEMS + 1);
  assert.equal(lines.at(-1), `m.toml: (${200 - MAX_LISTED_PROBLEMS} more problems)`);
});
