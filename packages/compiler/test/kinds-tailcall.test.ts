// ProgramArray tail calls: `jump.tailCall(ctx, i)` compiles to bpf_tail_call;
// with slot 0 filled (from userspace) the entry program's test run returns the
// target's verdict, an empty slot falls through to the fallback return.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject } from '@lockne/bpf';
import { parseObject } from '@lockne/obj';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { socketFilter, ProgramArray, ArrayMap, u32 } from '@lockne/kernel';\n`;
const SRC = HEAD + `
export const jump = new ProgramArray({ maxEntries: 4 });
export const slotSel = new ArrayMap<u32>({ maxEntries: 1 });
export const entry = socketFilter((ctx) => {
  const s = slotSel.lookup(0);
  const i: u32 = s !== null ? s.value : 0;
  jump.tailCall(ctx, i);
  return 1;
});
export const target = socketFilter((ctx) => 42);
`;

function objectBytes(): Uint8Array {
  const r = compile('/virtual/tail.bpf.ts', { source: SRC });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return r.object!;
}

test('ProgramArray is a PROG_ARRAY (3) with 4-byte key/value sizes', () => {
  const m = parseObject(objectBytes()).maps.find((x) => x.name === 'jump')!;
  assert.equal(m.type, 3);
  assert.equal(m.keySize, 4);
  assert.equal(m.valueSize, 4);
});

test('tailCall jumps to the program in the slot; an empty slot falls through', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectBytes(), { requireBtf: true });
  try {
    const run = (): number => obj.program('entry').testRun({ data: new Uint8Array(64) }).retval;
    assert.equal(run(), 1, 'slot 0 empty: fallback');
    obj.map<number, number>('jump').set(0, obj.program('target').fd);
    assert.equal(run(), 42, 'jumped to target');
    obj.map<number, number>('slotSel').set(0, 3);
    assert.equal(run(), 1, 'slot 3 empty: fallback');
  } finally {
    obj.close();
  }
});

test('diagnostic LK6004: tailCall needs the ctx', () => {
  const got = compileSource(HEAD + `export const jump = new ProgramArray({ maxEntries: 4 });
export const p = socketFilter((ctx) => { jump.tailCall(0, 1); return 0; });`).diagnostics.map((d) => d.code);
  assert.ok(got.includes('LK6004'), JSON.stringify(got));
});
