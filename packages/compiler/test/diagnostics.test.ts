// One test per diagnostic the compiler emits: code and line:column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSource } from './support/run.js';
import { formatDiagnostic } from '../src/index.js';

const HEAD = `import { xdp, XdpAction, HashMap, u8, u16, u32, u64, i32 } from '@lockne/kernel';\n`;

function diag(body: string): string[] {
  return compileSource(HEAD + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
}

const CASES: Array<[string, string, string]> = [
  ['LK2001 mixed widths', `export const p = xdp((ctx) => { const a = u8(1); const b = u16(2); return u32(a + b); });`, '2:79 LK2001'],
  ['LK2002 literal out of range', `export const p = xdp((ctx) => { const a = u8(1); return u32(a + 300); });`, '2:61 LK2002'],
  ['LK2004 signedness mix', `export const p = xdp((ctx) => { const a = u32(1); const b = i32(2); return a < b ? 1 : 0; });`, '2:76 LK2004'],
  ['LK2005 bare literal let', `export const p = xdp((ctx) => { let i = 0; return i; });`, '2:37 LK2005'],
  ['LK2006 shift out of range', `export const p = xdp((ctx) => { const a = u8(1); return u32(a << 8); });`, '2:61 LK2006'],
  ['LK2007 constant division by zero', `export const p = xdp((ctx) => { const a = u32(1); return a / 0; });`, '2:58 LK2007'],
  ['LK3001 unchecked null', `export const m = new HashMap<u32, u64>({ maxEntries: 4 });\nexport const p = xdp((ctx) => { const v = m.lookup(1); v!.value += 1n; return XdpAction.PASS; });`, '3:56 LK3001'],
  ['LK3009 unknown ctx field', `export const p = xdp((ctx) => (ctx as unknown as { len: u32 }).len);`, '2:31 LK3009'],
  ['LK5003 non-constant loop bound', `export const p = xdp((ctx) => { let s: u32 = 0; for (let i: u32 = 0; i < ctx.rxQueueIndex; i++) s += i; return s; });`, '2:49 LK5003'],
  ['LK1001 unsupported syntax', `export const p = xdp((ctx) => { debugger; return XdpAction.PASS; });`, '2:33 LK1001'],
  ['LK1005 dynamic allocation', `export const p = xdp((ctx) => { const o = { a: 1 }; return XdpAction.PASS; });`, '2:43 LK1005'],
  ['LK4007 module state', `export let n = 5;\nexport const p = xdp((ctx) => XdpAction.PASS);`, '2:12 LK4007'],
];

for (const [name, body, want] of CASES) {
  test(`diagnostic ${name}`, () => {
    const got = diag(body);
    assert.ok(got.includes(want), `want ${want}, got ${JSON.stringify(got)}`);
  });
}

test('diagnostics print as file:line:col: LKxxxx message, and tsc errors keep their TS code', () => {
  const m = compileSource(HEAD + `export const p = xdp((ctx) => { const a: u8 = u16(1); return XdpAction.PASS; });`);
  assert.equal(m.diagnostics.length, 1);
  assert.match(formatDiagnostic(m.diagnostics[0]!), /^\/virtual\/test\.bpf\.ts:2:\d+: TS2322 /);
  assert.equal(m.programs.length, 0);
});
