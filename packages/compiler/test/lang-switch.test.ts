// switch over integers and top-level enums, for effect: each program is test-run
// on packets of different lengths (ctx.len is the switch value) and returns what
// the JavaScript semantics give — matching case, fall-through, default in the
// middle, break, continue of an enclosing loop — checked against the same
// function written out in Node. Misuse: non-constant cases, continue without a loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const SRC = `import { tc, u32 } from '@lockne/kernel';
export enum Size { SMALL = 20, MEDIUM = 40 }
export const classify = tc((ctx) => {
  let r: u32 = 0;
  switch (ctx.len) {
    case Size.SMALL: r = 1; break;
    case 30:
    case 31: r = 2; break;                 // two labels, one body
    default: r = 7;                        // default in the middle falls through
    case Size.MEDIUM: r += 100; break;
    case 50: r = 5;                        // last case: falls off the end
  }
  for (let i: u32 = 0; i < 6; i++) {
    switch (i % 3) {
      case 0: continue;                    // the loop's continue, from inside the switch
      case 1: r += 10; break;
      default: r += 1000;
    }
  }
  return r;
});
`;

/** The same logic in JavaScript. */
function expected(len: number): number {
  let r = 0;
  switch (len) {
    case 20: r = 1; break;
    case 30:
    case 31: r = 2; break;
    case 40: r = 100; break;
    case 50: r = 5; break;
    default: r = 107;                      // the kernel's default falls through into case 40
  }
  for (let i = 0; i < 6; i++) {
    switch (i % 3) {
      case 0: continue;
      case 1: r += 10; break;
      default: r += 1000;
    }
  }
  return r;
}

test('switch: cases, shared labels, default in the middle, fall-through, break, continue — as in JavaScript', (t) => {
  if (skipUnless(t, needRoot())) return;
  const r = compile('/virtual/switch.bpf.ts', { source: SRC });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const obj = BpfObject.load(r.object!, { requireBtf: true });
  try {
    for (const len of [20, 30, 31, 40, 50, 14, 60]) {
      const got = obj.program('classify').testRun({ data: new Uint8Array(len) }).retval;
      assert.equal(got, expected(len), `len ${len}`);
    }
  } finally {
    obj.close();
  }
});

test('switch misuse: a case that is not a constant (LK1001); continue with no loop around is tsc\'s TS1107', () => {
  const diag = (body: string) => compileSource(`import { tc, u32 } from '@lockne/kernel';\n${body}`).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
  assert.deepEqual(diag(`export const p = tc((ctx) => { switch (ctx.len) { case ctx.mark: return 1; } return 0; });`), ['2:56 LK1001']);
  assert.deepEqual(diag(`export const p = tc((ctx) => { switch (ctx.len) { case 1: continue; } return 0; });`), ['2:59 TS1107']);
});
