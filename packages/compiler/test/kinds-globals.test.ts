// Globals: rodata()/data()/bss() compile to VARs in .rodata/.data/.bss of the
// ELF object, read and written through LD_IMM64 map-value relocations.
// BpfObject.load(o, { rodata }) changes a constant before load and the test-run
// result follows (the verifier sees the frozen value); .data and .bss counters
// the program bumps are read back from userspace through obj.globals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject, type ObjectLoadOptions } from '@lockne/bpf';
import { parseObject } from '@lockne/obj';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { tc, rodata, data, bss, struct, TcAction, u32, u64, i16 } from '@lockne/kernel';\n`;
const SRC = HEAD + `
export const limit = rodata(u32, 10);
export const offset = rodata(i16, -3);
export const bonus = data(u32, 7);
export const hits = bss(u64);
export const scale = tc((ctx) => {
  hits.value += 1n;
  bonus.value += 1;
  if (limit.value > 100) return 1;
  return limit.value * 2 + u32(offset.value + 3);
});
`;

function objectBytes(): Uint8Array {
  const r = compile('/virtual/globals.bpf.ts', { source: SRC });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return r.object!;
}

function run(opts: ObjectLoadOptions, runs: number, check: (obj: BpfObject, retvals: number[]) => void): void {
  const obj = BpfObject.load(objectBytes(), { requireBtf: true, ...opts });
  try {
    const retvals = Array.from({ length: runs }, () => obj.program('scale').testRun({ data: new Uint8Array(64) }).retval);
    check(obj, retvals);
  } finally {
    obj.close();
  }
}

test('globals land in .rodata/.data/.bss with their initial values', () => {
  const spec = parseObject(objectBytes());
  const names = spec.maps.map((m) => m.name).join(' ');
  for (const s of ['.rodata', '.data', '.bss']) assert.ok(names.includes(s), `${s} map in ${names}`);
});

test('rodata constants: default, and set before load (the test-run result follows)', (t) => {
  if (skipUnless(t, needRoot())) return;
  run({}, 1, (obj, r) => {
    assert.deepEqual(r, [20]);
    assert.equal(obj.globals.get('limit'), 10);
    assert.equal(obj.globals.get('offset'), -3);
  });
  run({ rodata: { limit: 21, offset: 0 } }, 1, (_obj, r) => assert.deepEqual(r, [45]));
  run({ rodata: { limit: 1000 } }, 1, (_obj, r) => assert.deepEqual(r, [1]));
});

test('.data and .bss counters bumped by the program are read from userspace', (t) => {
  if (skipUnless(t, needRoot())) return;
  run({}, 3, (obj, r) => {
    assert.deepEqual(r, [20, 20, 20]);
    assert.equal(obj.globals.get('hits'), 3n);
    assert.equal(obj.globals.get('bonus'), 10);
  });
});

const MISUSE: Array<[string, string, string]> = [
  ['struct globals are not supported yet', `const P = struct('p', { a: u32 });\nexport const g = bss(P);`, 'LK4005'],
  ['initial value must be a constant', `const x = Date.now();\nexport const g = data(u32, x);`, 'LK4005'],
  ['initial value must fit', `export const g = rodata(u32, -1);`, 'LK4005'],
  ['rodata is read-only (tsc)', `export const g = rodata(u32, 1);\nexport const p = tc((ctx) => { g.value = 2; return TcAction.OK; });`, 'TS2540'],
];
for (const [name, body, code] of MISUSE) {
  test(`diagnostic: ${name}`, () => {
    const got = compileSource(HEAD + body).diagnostics.map((d) => d.code);
    assert.ok(got.includes(code), `want ${code}, got ${JSON.stringify(got)}`);
  });
}
