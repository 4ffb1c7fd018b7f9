// Functions exported by another *.bpf.ts module: inlined at the call like
// same-file functions, with their own file in line info (so verifier errors and
// `--emit asm` point into that module), run in the kernel for effect. A map of
// the other module is refused with a message that says where it lives.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfObject } from '@lockne/bpf';
import { compile, compileToInstructions, formatDiagnostic } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

// Real files under this package, so '@lockne/kernel' and the relative import resolve as for users.
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = fs.mkdtempSync(path.join(here, 'lk-fnimports-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, 'util.bpf.ts'), `import { u32, HashMap } from '@lockne/kernel';
export const SCALE = 3;
/** Clamp to 100, then scale. */
export function scaled(x: u32): u32 {
  const y: u32 = x > 100 ? 100 : x;
  return y * SCALE;
}
export const counts = new HashMap<u32, u32>({ maxEntries: 4, key: u32, value: u32 });
export function countOf(k: u32): u32 {
  const v = counts.lookup(k);
  return v === null ? 0 : v.value;
}
`);
const main = path.join(dir, 'main.bpf.ts');

test('a function imported from another *.bpf.ts module is inlined, runs, and keeps its file in line info', (t) => {
  const src = `import { tc, u32 } from '@lockne/kernel';\nimport { scaled } from './util.bpf.js';\nexport const p = tc((ctx) => scaled(ctx.len) + 1);\n`;
  const asm = compile(main, { source: src, emit: 'asm' });
  assert.deepEqual(asm.diagnostics.map(formatDiagnostic), []);
  assert.match(asm.asm!, /; util\.bpf\.ts:5 const y: u32 = x > 100 \? 100 : x;/, 'line info names the imported module');
  assert.match(asm.asm!, /; main\.bpf\.ts:3 /);
  if (skipUnless(t, needRoot())) return;
  const r = compile(main, { source: src });
  const obj = BpfObject.load(r.object!, { requireBtf: true });
  try {
    for (const len of [14, 60, 100, 150]) {
      assert.equal(obj.program('p').testRun({ data: new Uint8Array(len) }).retval, Math.min(len, 100) * 3 + 1, `len ${len}`);
    }
  } finally {
    obj.close();
  }
});

test('an imported function that uses its own module\'s map: LK1001 in that module, naming where the map lives', () => {
  const m = compileToInstructions(main, { source: `import { tc } from '@lockne/kernel';\nimport { countOf } from './util.bpf.js';\nexport const p = tc((ctx) => countOf(ctx.len));\n` });
  assert.deepEqual(m.diagnostics.map((d) => `${path.basename(d.file)}:${d.line}:${d.column} ${d.code}`), ['util.bpf.ts:10:13 LK1001']);
  assert.match(m.diagnostics[0]!.message, /'counts' is declared in util\.bpf\.ts: a program uses only its own module's maps/);
});
