// Atomics run in the kernel: atomicAdd on a field of a map value (u64, u32,
// nested struct, array element at a constant and a variable index), on a Ref
// (map value, global) and on a global's `.value`; the fetch forms, and/or/xor,
// xchg and cmpxchg (success and failure) with the old values they return; and
// LK3010 for targets outside map-value memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileOk, compileSource, withProgram } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { xdp, XdpAction, ArrayMap, HashMap, EthHdr, struct, array, bss, type Infer, u32, u64,
  atomicAdd, atomicFetchAdd, atomicAnd, atomicOr, atomicXor, atomicXchg, atomicCmpXchg } from '@lockne/kernel';\n`;

const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

const FIELDS = HEAD + `
export const Inner = struct('inner', { x: u64 });
export const Stats = struct('stats', { packets: u64, small: u32, pad: u32, inner: Inner, arr: array(u64, 4) });
export const stats = new HashMap<u32, Infer<typeof Stats>>({ maxEntries: 4, key: u32, value: Stats });
export const counter = new ArrayMap<u64>({ maxEntries: 1, value: u64 });
export const input = new ArrayMap<u32>({ maxEntries: 1, value: u32 });
export const count = xdp((ctx) => {
  const s = stats.lookup(7);
  const c = counter.lookup(0);
  const n = input.lookup(0);
  if (s === null || c === null || n === null) return XdpAction.ABORTED;
  atomicAdd(s.value.packets, 1n);
  atomicAdd(s.value.small, 3);
  atomicAdd(s.value.inner.x, 5n);
  atomicAdd(s.value.arr[1], 7n);
  atomicAdd(s.value.arr[n.value], 100n);   // variable index: skipped when out of range
  atomicAdd(c, 2n);                        // a Ref<u64>
  return XdpAction.PASS;
});
`;

test('atomicAdd on map-value fields (u64, u32, nested, array elements) and on a Ref', (t) => {
  if (skipUnless(t, needRoot())) return;
  withProgram(compileOk(FIELDS), ({ prog, maps }) => {
    const stats = maps.get('stats')! as unknown as { get(k: number): Uint8Array; set(k: number, v: Uint8Array): void };
    stats.set(7, new Uint8Array(56));
    maps.get('input')!.set(0, 2);
    for (let k = 0; k < 3; k++) assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 2);
    maps.get('input')!.set(0, 4); // out of range: arr untouched by that add
    prog.testRun({ data: new Uint8Array(64) });
    const v = dv(stats.get(7));
    assert.equal(v.getBigUint64(0, true), 4n, 'packets');
    assert.equal(v.getUint32(8, true), 12, 'small (u32)');
    assert.equal(v.getUint32(12, true), 0, 'the u32 add did not spill into pad');
    assert.equal(v.getBigUint64(16, true), 20n, 'inner.x');
    assert.deepEqual([0, 1, 2, 3].map((k) => v.getBigUint64(24 + 8 * k, true)), [0n, 28n, 300n, 0n], 'arr[1] += 7 x4, arr[2] += 100 x3');
    assert.equal(maps.get('counter')!.get(0), 8n, 'Ref form');
  });
});

const OPS = HEAD + `
export const W = struct('w', { a: u64, b: u64, c: u64, d: u32, e: u32, f: u64, g: u64 });
export const words = new ArrayMap<Infer<typeof W>>({ maxEntries: 1, value: W });
export const olds = new ArrayMap<u64>({ maxEntries: 8, value: u64 });
export const ops = xdp((ctx) => {
  const w = words.lookup(0);
  if (w === null) return XdpAction.ABORTED;
  olds.update(0, atomicFetchAdd(w.value.a, 10n));
  atomicAnd(w.value.b, 0xf0n);
  atomicOr(w.value.c, 0x0fn);
  atomicXor(w.value.d, 0xff);
  olds.update(1, u64(atomicXchg(w.value.e, 42)));
  olds.update(2, atomicCmpXchg(w.value.f, 5n, 6n));   // f === 5: swapped
  olds.update(3, atomicCmpXchg(w.value.g, 5n, 6n));   // g !== 5: left alone
  olds.update(4, u64(atomicFetchAdd(w.value.d, 1)));
  return XdpAction.PASS;
});
`;

test('atomicFetchAdd/And/Or/Xor/Xchg/CmpXchg: memory after, and the old values returned', (t) => {
  if (skipUnless(t, needRoot())) return;
  withProgram(compileOk(OPS), ({ prog, maps }) => {
    const words = maps.get('words')! as unknown as { get(k: number): Uint8Array; set(k: number, v: Uint8Array): void };
    const init = new Uint8Array(48);
    const iv = dv(init);
    iv.setBigUint64(0, 100n, true);
    iv.setBigUint64(8, 0xffn, true);
    iv.setBigUint64(16, 0xf0n, true);
    iv.setUint32(24, 0x0f, true);
    iv.setUint32(28, 7, true);
    iv.setBigUint64(32, 5n, true);
    iv.setBigUint64(40, 9n, true);
    words.set(0, init);
    assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 2);
    const v = dv(words.get(0));
    const olds = maps.get('olds')!;
    assert.equal(v.getBigUint64(0, true), 110n);
    assert.equal(olds.get(0), 100n, 'fetch add returns the old value');
    assert.equal(v.getBigUint64(8, true), 0xf0n, 'and');
    assert.equal(v.getBigUint64(16, true), 0xffn, 'or');
    assert.equal(v.getUint32(24, true), 0xf0 + 1, 'xor (u32), then fetch add 1');
    assert.equal(olds.get(4), 0xf0n, 'u32 fetch add returns the old value');
    assert.equal(v.getUint32(28, true), 42);
    assert.equal(olds.get(1), 7n, 'xchg returns the old value');
    assert.equal(v.getBigUint64(32, true), 6n, 'cmpxchg swapped when equal');
    assert.equal(olds.get(2), 5n);
    assert.equal(v.getBigUint64(40, true), 9n, 'cmpxchg left a different value alone');
    assert.equal(olds.get(3), 9n, 'and returned it');
  });
});

test('atomicAdd on a global: the Ref (hits) and its .value', (t) => {
  if (skipUnless(t, needRoot())) return;
  const r = compile('/virtual/atomic-global.bpf.ts', { source: HEAD + `
export const hits = bss(u64);
export const small = bss(u32);
export const g = xdp((ctx) => { atomicAdd(hits, 1n); atomicAdd(hits.value, 2n); atomicAdd(small.value, 5); return XdpAction.PASS; });
` });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const obj = BpfObject.load(r.object!);
  try {
    for (let k = 0; k < 4; k++) obj.program('g').testRun({ data: new Uint8Array(64) });
    assert.equal(obj.globals.get('hits'), 12n);
    assert.equal(obj.globals.get('small'), 20);
  } finally {
    obj.close();
  }
});

test('LK3010: atomics on a local, a stack struct field, packet data or the context', () => {
  const diag = (body: string) => compileSource(HEAD + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
  assert.deepEqual(diag(`export const p = xdp((ctx) => { let x: u64 = 0n; atomicAdd(x, 1n); return XdpAction.PASS; });`), ['3:60 LK3010']);
  assert.deepEqual(diag(`export const S = struct('s', { n: u64 });
export const p = xdp((ctx) => { const s: Infer<typeof S> = { n: 0n }; atomicAdd(s.n, 1n); return XdpAction.PASS; });`), ['4:81 LK3010']);
  assert.deepEqual(diag(`export const H = struct('h', { n: u32 });
export const p = xdp((ctx) => { const h = ctx.header(H, 0); if (h === null) return XdpAction.PASS; atomicAdd(h.n, 1); return XdpAction.PASS; });`), ['4:110 LK3010']);
  assert.deepEqual(diag(`export const p = xdp((ctx) => { atomicAdd(ctx.rxQueueIndex, 1); return XdpAction.PASS; });`), ['3:43 LK3010']);
  const m = compileSource(HEAD + `export const S = struct('s', { n: u64 });
export const p = xdp((ctx) => { const s: Infer<typeof S> = { n: 0n }; atomicAdd(s.n, 1n); return XdpAction.PASS; });`);
  assert.match(m.diagnostics[0]!.message, /atomicAdd takes a u32\/u64 field of a map value or global .*'s\.n' is in a stack value/);
});
