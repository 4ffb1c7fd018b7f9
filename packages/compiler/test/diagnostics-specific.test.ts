// The specific codes that replaced the generic LK1001 (and what only a cast got
// past tsc to): more shapes of each than diagnostics-all's one case — classes
// (LK1003), exceptions (LK1004), allocation (LK1005), strings (LK1006), imports
// (LK1010: what is allowed and what is not, with real files), iteration
// (LK1013; for..of over a FixedArray runs in the kernel), rodata writes
// (LK4009), and the 16-bit jump limit (LK5005) with its in-range neighbour
// loaded by the verifier.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfObject } from '@lockne/bpf';
import { compileToInstructions, formatDiagnostic } from '../src/index.js';
import { buildObject } from '../src/object/build.js';
import { compileOk, compileSource, withProgram } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { xdp, XdpAction, ArrayMap, HashMap, EthHdr, struct, array, rodata, type Infer, u8, u16, u32, u64 } from '@lockne/kernel';\n`;
const codes = (body: string): string[] => compileSource(HEAD + body).diagnostics.map((d) => d.code);
const prog = (inner: string): string => `export const p = xdp((ctx) => { ${inner} return XdpAction.PASS; });`;

test('LK1003: class declarations and class expressions, anywhere', () => {
  assert.deepEqual(codes(`class C {}\n${prog('')}`), ['LK1003']);
  assert.deepEqual(codes(prog('class D {}')), ['LK1003']);
  assert.deepEqual(codes(prog('const E = class {};')), ['LK1003']);
});

test('LK1004: throw and try, in programs and in inlined functions', () => {
  assert.deepEqual(codes(prog('try { ctx.rxQueueIndex; } catch { }')), ['LK1004']);
  assert.deepEqual(codes(`function f(a: u32): u32 { if (a > 3) throw a; return a; }\n${prog('f(ctx.rxQueueIndex);')}`), ['LK1004']);
  assert.match(compileSource(HEAD + prog('throw 1;')).diagnostics[0]!.message, /return an error code or the program's verdict/);
});

test('LK1005: object/array literals without a layout, new; a struct literal with one is fine', () => {
  assert.deepEqual(codes(prog('const a = [1, 2, 3];')), ['LK1005']);
  assert.deepEqual(codes(prog('const d = new Uint8Array(4);')), ['LK1005']);
  assert.deepEqual(codes(prog('const o = { a: 1 };')), ['LK1005']);
  assert.match(compileSource(HEAD + prog('const o = { a: 1 };')).diagnostics[0]!.message, /needs a declared layout/);
  compileOk(HEAD + `export const P = struct('pt', { a: u32, b: u32 });\nexport const m = new HashMap<u32, Infer<typeof P>>({ maxEntries: 1, key: u32, value: P });\n` +
    prog('const o: Infer<typeof P> = { a: 1, b: 2 }; m.update(0, o);'));
});

test('LK1006: strings and template strings in code', () => {
  assert.deepEqual(codes(prog("const s = 'x';")), ['LK1006']);
  assert.deepEqual(codes(prog('const s = `n=${ctx.rxQueueIndex}`;')), ['LK1006']);
});

// Imports: real files in a directory under this package (so 'typescript' resolves from node_modules).
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = fs.mkdtempSync(path.join(here, 'lk-imports-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
fs.writeFileSync(path.join(dir, 'consts.ts'), `import { struct, u16, u32 } from '@lockne/kernel';\nexport const PORT = 53;\nexport const Pair = struct('pair', { a: u32, b: u16 });\nexport type Id = number;\nexport enum Mode { A = 1, B = 2 }\n`);
fs.writeFileSync(path.join(dir, 'code.ts'), `export const N = 3;\nexport function helper(): number { return 1; }\n`);
fs.writeFileSync(path.join(dir, 'shared.bpf.ts'), `import { u32 } from '@lockne/kernel';\nexport const LIMIT = 9;\nexport function twice(a: u32): u32 { return a + a; }\n`);
const compileIn = (src: string): string[] => compileToInstructions(path.join(dir, 'main.bpf.ts'), { source: src }).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
const K = `import { xdp, XdpAction, u32 } from '@lockne/kernel';\n`;

test('LK1010: packages other than @lockne/kernel, compiled JS and modules with code are refused at the specifier', () => {
  assert.deepEqual(compileIn(`import ts from 'typescript';\n${K}export const p = xdp((ctx) => XdpAction.PASS);\nvoid ts;`).filter((d) => d.endsWith('LK1010')), ['1:16 LK1010']);
  assert.deepEqual(compileIn(`import { N } from './code.js';\n${K}export const p = xdp((ctx) => N);`), ['1:19 LK1010']);
  const m = compileToInstructions(path.join(dir, 'main.bpf.ts'), { source: `import { N } from './code.js';\n${K}export const p = xdp((ctx) => N);` });
  assert.match(formatDiagnostic(m.diagnostics[0]!), /main\.bpf\.ts:1:19: LK1010 '\.\/code\.js' is neither a \*\.bpf\.ts module nor a module of constants \(it declares function helper at line 2\)/);
});

test('LK1010: constant modules, other *.bpf.ts modules and type-only imports are allowed (and work)', () => {
  const src = `import { PORT, Pair, Mode, type Id } from './consts.js';\nimport { LIMIT } from './shared.bpf.js';\nimport type { helper } from './code.js';\n` +
    `import { xdp, XdpAction, HashMap, type Infer, u32 } from '@lockne/kernel';\n` +
    `export const m = new HashMap<u32, Infer<typeof Pair>>({ maxEntries: 1, key: u32, value: Pair });\n` +
    `export const p = xdp((ctx) => { const a: u32 = u32(Mode.B) + ctx.rxQueueIndex; const b: u32 = LIMIT + PORT; m.update(0, { a, b: 1 }); return a > b ? XdpAction.DROP : XdpAction.PASS; });\n`;
  assert.deepEqual(compileIn(src), []);
});

test('LK1013: for..in; for..of over anything but a FixedArray of integers', () => {
  assert.deepEqual(codes(prog('for (const k in ctx) { }')), ['LK1013']);
  const S = `export const S = struct('s', { b: array(u8, 4), q: array(struct('q', { x: u32 }), 2) });\nexport const m = new ArrayMap<Infer<typeof S>>({ maxEntries: 1, value: S });\n`;
  assert.deepEqual(codes(S + prog('const v = m.lookup(0); if (v === null) return XdpAction.PASS; for (const x of v.value.q as unknown as u32[]) { }')), ['LK1013']);
});

test('for..of over a FixedArray (through the cast tsc needs) sums the bytes of a map value and of a header field', (t) => {
  if (skipUnless(t, needRoot())) return;
  const src = HEAD + `export const S = struct('s', { b: array(u8, 6) });\nexport const m = new ArrayMap<Infer<typeof S>>({ maxEntries: 1, value: S });\n` +
    `export const p = xdp((ctx) => {\n  const v = m.lookup(0);\n  const e = ctx.header(EthHdr, 0);\n  if (v === null || e === null) return 0;\n  let sum: u32 = 0;\n` +
    `  for (const x of v.value.b as unknown as u8[]) sum += u32(x);\n  for (const y of e.dst as unknown as u8[]) { if (y === 0) continue; sum += u32(y) << 8; }\n  return sum;\n});\n`;
  withProgram(compileOk(src), ({ prog: pr, maps }) => {
    (maps.get('m')! as unknown as { set(k: number, v: Uint8Array): void }).set(0, Uint8Array.from([1, 2, 3, 4, 5, 6]));
    const pkt = new Uint8Array(64);
    pkt.set([0, 7, 0, 9, 0, 0]); // dst MAC: 7 + 9 counted, zeros skipped by continue
    assert.equal(pr.testRun({ data: pkt }).retval, 21 + ((7 + 9) << 8));
  });
});

test('LK4009: writes to a rodata() global through casts: assignment, compound assignment, increment', () => {
  const src = `export const port = rodata(u16, 53);\n`;
  assert.deepEqual(codes(src + prog('(port as unknown as { value: u16 }).value = 1;')), ['LK4009']);
  assert.deepEqual(codes(src + prog('(port as unknown as { value: u16 }).value += 1;')), ['LK4009']);
  assert.deepEqual(codes(src + prog('(port as unknown as { value: u16 }).value++;')), ['LK4009']);
  assert.deepEqual(codes(src + prog('const x: u16 = port.value + 1;')), [], 'reading is fine');
});

/** As diagnostics-all's LK5005 case: `chunks` inlined bodies of 200 five-slot atomics under one `if`. */
function bigJump(chunks: number): string {
  const fns = Array.from({ length: chunks }, (_, f) => `function chunk${f}(): void {\n${Array.from({ length: 200 }, (_, k) => `  atomicAdd(hits, ${0x100000000 + k}n);`).join('\n')}\n}`);
  return `import { xdp, XdpAction, bss, atomicAdd, u64 } from '@lockne/kernel';\nexport const hits = bss(u64);\n${fns.join('\n')}\n` +
    `export const p = xdp((ctx) => {\n  if (ctx.rxQueueIndex > 7) {\n${Array.from({ length: chunks }, (_, f) => `    chunk${f}();`).join('\n')}\n  }\n  return XdpAction.PASS;\n});\n`;
}

test('LK5005 at 33,000 instructions under one jump; 32,000 is in range, encodes, and the verifier loads it', (t) => {
  const over = compileSource(bigJump(33));
  assert.deepEqual(over.diagnostics.map((d) => d.code), ['LK5005']);
  assert.match(over.diagnostics[0]!.message, /a jump spans 33000 instructions; eBPF jump offsets are 16-bit \(at most 32767\)/);
  assert.equal(over.programs.length, 0);
  const under = compileOk(bigJump(32));
  assert.equal(under.programs[0]!.instructions.length, 32_004);
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(buildObject(under), { requireBtf: true });
  try {
    assert.equal(obj.program('p').testRun({ data: new Uint8Array(64) }).retval, 2, 'XDP_PASS (rxQueueIndex 0 skips the block)');
  } finally {
    obj.close();
  }
});
