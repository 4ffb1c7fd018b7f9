// Runs the examples docs/runtime.md marks `js run` and compares their output with
// the `text output` block that follows, so the guide cannot drift from the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const pkgRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const docPath = path.resolve(pkgRoot, '../../docs/runtime.md');

function examples(): { code: string; output: string; line: number }[] {
  const text = fs.readFileSync(docPath, 'utf8');
  const re = /```js run\n([\s\S]*?)```\s*```text output\n([\s\S]*?)```/g;
  const out = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({ code: m[1]!, output: m[2]!, line: text.slice(0, m.index).split('\n').length });
  }
  return out;
}

test('docs/runtime.md runnable examples print what the guide says', (t) => {
  if (skipUnless(t, needRoot())) return;
  const list = examples();
  assert.ok(list.length >= 1, 'no `js run` examples found');
  for (const ex of list) {
    // Inside the package so '@lockne/bpf' and '@lockne/obj' resolve through the workspace.
    const file = path.join(pkgRoot, `.doc-example-${process.pid}.mjs`);
    fs.writeFileSync(file, ex.code);
    try {
      const stdout = execFileSync(process.execPath, [file], { encoding: 'utf8' });
      assert.equal(stdout.trim(), ex.output.trim(), `docs/runtime.md:${ex.line}`);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }
});
