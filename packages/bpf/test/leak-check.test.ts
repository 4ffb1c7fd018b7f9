// The fd-leak check must be able to fail: a test file that leaves a map open is
// run under node's test runner and has to be reported as failing, naming the fd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const here = path.dirname(fileURLToPath(import.meta.url));

function runProbeFile(body: string): { status: number | null; output: string } {
  // Next to this file so its relative imports resolve to the compiled sources.
  const file = path.join(here, `.leak-probe-${process.pid}.mjs`);
  fs.writeFileSync(file, `import { test } from 'node:test';
import { checkFdLeaks } from './support/kernel.js';
import { BpfMap } from '../src/index.js';
checkFdLeaks();
${body}
`);
  try {
    // A plain run (not --test) still executes node:test tests; NODE_TEST_CONTEXT
    // is cleared so the child does not think it is nested in our runner.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', env });
    return { status: r.status, output: r.stdout + r.stderr };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

test('a test file that leaks a map fd fails, naming the fd', (t) => {
  if (skipUnless(t, needRoot())) return;
  const leaky = runProbeFile(`test('leaks', () => { BpfMap.create({ type: 'ARRAY', keySize: 4, valueSize: 4, maxEntries: 1 }); });`);
  assert.notEqual(leaky.status, 0, leaky.output);
  assert.match(leaky.output, /leaked file descriptors/);
  assert.match(leaky.output, /anon_inode:bpf-map/);
});

test('the same file closing its map passes', (t) => {
  if (skipUnless(t, needRoot())) return;
  const clean = runProbeFile(`test('closes', () => { BpfMap.create({ type: 'ARRAY', keySize: 4, valueSize: 4, maxEntries: 1 }).close(); });`);
  assert.equal(clean.status, 0, clean.output);
  assert.match(clean.output, /# pass 1/);
});
