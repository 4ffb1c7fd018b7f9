// The diagnostic code table is defined twice (code and docs): keep them identical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIAGNOSTICS, diagnosticInfo } from '@lockne/kernel';

const doc = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../../../docs/language.md'), 'utf8');

test('codes are well-formed, unique by name, grouped by family', () => {
  const names = new Set<string>();
  for (const [code, info] of Object.entries(DIAGNOSTICS)) {
    assert.match(code, /^LK[1-6]\d{3}$/);
    assert.match(info.name, /^[a-z0-9]+(-[a-z0-9]+)*$/);
    assert.ok(!names.has(info.name), `duplicate name ${info.name}`);
    names.add(info.name);
  }
  assert.equal(diagnosticInfo('LK2001')?.name, 'mixed-widths');
  assert.equal(diagnosticInfo('LK9999'), undefined);
});

test('docs/language.md lists exactly the exported table', () => {
  const rows = [...doc.matchAll(/^\| (LK\d{4}) \| ([a-z0-9-]+) \| (error|warning) \| (.+) \|$/gm)]
    .map((m) => [m[1], m[2], m[3], (m[4] ?? '').replace(/\\\|/g, '|')]);
  const expected = Object.entries(DIAGNOSTICS).map(([code, i]) => [code, i.name, i.severity, i.summary]);
  assert.deepEqual(rows, expected);
});

test('every code the docs mention elsewhere exists', () => {
  for (const m of doc.matchAll(/LK\d{4}/g)) assert.ok(m[0] in DIAGNOSTICS, `docs mention unknown ${m[0]}`);
});
