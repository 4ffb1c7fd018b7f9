// Defect fixes: module-level numeric constants (`const PORT = 53;`) are untyped
// compile-time constants adopting the use-site width, and constant expressions fold
// where a constant is required (`size: 1 << 12`, `maxEntries: 4 * 1024`, rodata
// initial values). Compiled to an object, loaded with BpfObject.load and test-run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { xdp, XdpAction, HashMap, ArrayMap, RingBuf, rodata, u8, u16, u32, u64, i32 } from '@lockne/kernel';\n`;
const SRC = HEAD + `
const PORT = 53;
export const BASE = 1000;
const SHIFT = 4;
const PAGES = 1 << SHIFT;
const SLOTS = 4 * 1024;
const MASK = ~0xff & 0xffff;
const NEG = -(PORT % 10) - 1;
const BIG = 1n << 40n;
const MIX = ((PORT + BASE) * 3 - 7) / 2 ^ 0x10 | 0x100;
const SLOTS_PLUS = SLOTS + XdpAction.TX;
export const seen = new HashMap<u32, u64>({ maxEntries: SLOTS });
export const ring = new RingBuf({ size: PAGES * 4096 });
export const table = new ArrayMap<u32>({ maxEntries: SLOTS_PLUS });
export const limit = rodata(u32, BASE * 2 + 1);
export const port16 = xdp((ctx) => { const p = u16(ctx.rxQueueIndex) + PORT; return u32(p); });
export const port8 = xdp((ctx) => { const p: u8 = u8(PORT); return u32(p + PORT); });
export const mask = xdp((ctx) => { const a = u32(0x12345) & MASK; return a; });
export const neg = xdp((ctx) => { const a = i32(0) + NEG; return a; });
export const big = xdp((ctx) => { const a = u64(ctx.rxQueueIndex) + BIG; return u32(a >> 32n); });
export const mix = xdp((ctx) => MIX);
export const loop = xdp((ctx) => { let s: u32 = 0; for (let i: u32 = 0; i < SHIFT; i++) s += PORT; return s; });
export const glob = xdp((ctx) => limit.value - BASE);
export const count = xdp((ctx) => { seen.update(PORT, BIG); const v = seen.lookup(PORT); if (v === null) return 0; return u32(v.value >> 32n) + SLOTS; });
`;

const EXPECT: Record<string, number> = {
  port16: 53, port8: 106, mask: 0x2300, neg: -4 >>> 0, big: 0x100, mix: ((((53 + 1000) * 3 - 7) / 2) ^ 0x10) | 0x100,
  loop: 4 * 53, glob: 1001, count: 0x100 + 4096,
};

test('module constants and folded expressions: maps sized, programs compute with them', (t) => {
  if (skipUnless(t, needRoot())) return;
  const r = compile('/virtual/consts.bpf.ts', { source: SRC });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const obj = BpfObject.load(r.object!, { requireBtf: true });
  try {
    assert.equal(obj.map('seen').maxEntries, 4096);
    assert.equal(obj.map('ring').maxEntries, 65536);
    assert.equal(obj.map('table').maxEntries, 4096 + 3);
    for (const [name, want] of Object.entries(EXPECT)) {
      const got = obj.program(name).testRun({ data: new Uint8Array(64) }).retval;
      assert.equal(got, want, `${name}: got ${got}, want ${want}`);
    }
  } finally {
    obj.close();
  }
});

const BAD: Array<[string, string, string]> = [
  ['a module constant that does not fit its use site', `const K = 300;\nexport const p = xdp((ctx) => { const a = u8(ctx.rxQueueIndex); return u32(a + K); });`, 'LK2002'],
  ['module-level let is still mutable state', `export let n = 5;\nexport const p = xdp((ctx) => XdpAction.PASS);`, 'LK4007'],
  ['a non-constant expression', `const n = Date.now();\nexport const p = xdp((ctx) => XdpAction.PASS);`, 'LK4007'],
  ['a folded size that is not a power of two', `export const rb = new RingBuf({ size: 3 * 4096 });\nexport const p = xdp((ctx) => XdpAction.PASS);`, 'LK4005'],
  ['a folded maxEntries out of range', `export const m = new HashMap<u32, u32>({ maxEntries: 1 << 40 });\nexport const p = xdp((ctx) => XdpAction.PASS);`, 'LK4005'],
  ['a constant shift count past the width', `const S = 2 * 16;\nexport const p = xdp((ctx) => { const a = u32(ctx.rxQueueIndex); return a << S; });`, 'LK2006'],
];

for (const [name, body, code] of BAD) {
  test(`diagnostic: ${name} (${code})`, () => {
    const codes = compileSource(HEAD + body).diagnostics.map((d) => d.code);
    assert.ok(codes.includes(code), `want ${code}, got ${JSON.stringify(codes)}`);
  });
}
