// Fixed arrays indexed by a variable, run in the kernel: map-value arrays (a
// 256-byte path hashed in a loop with break, as Lockne's exe rules do), writes
// and read-modify-writes at a variable index, nested arrays in a stack struct,
// packet header views, and context arrays (__sk_buff cb[]). An out-of-range
// index reads 0 and writes nothing; the verifier sees `if (i >= N)` on the
// index register before the pointer arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOk, compileSource, withProgram } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { formatAsm } from '../src/index.js';

checkFdLeaks();

const HEAD = `import { xdp, tc, XdpAction, TcAction, ArrayMap, HashMap, EthHdr, struct, array, type Infer, type FixedArray, u8, u16, u32, u64, i32 } from '@lockne/kernel';\n`;

/** FNV-1a, 64-bit, up to the first NUL (the program's hashPath). */
function fnv1a(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of bytes) {
    if (c === 0) break;
    h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  }
  return h;
}

function pathBytes(s: string): Uint8Array {
  const b = new Uint8Array(256);
  b.set(Buffer.from(s));
  return b;
}

const HASH = HEAD + `
export const ExePath = struct('exe_path', { bytes: array(u8, 256) });
export const paths = new ArrayMap<Infer<typeof ExePath>>({ maxEntries: 1, value: ExePath });
export const hashes = new ArrayMap<u64>({ maxEntries: 1, value: u64 });
function hashPath(p: Infer<typeof ExePath>): u64 {
  let h: u64 = 0xcbf29ce484222325n;
  for (let i: u32 = 0; i < 256; i++) {
    const c = p.bytes[i];
    if (c === 0) break;
    h = (h ^ u64(c)) * 0x100000001b3n;
  }
  return h;
}
export const hash = xdp((ctx) => {
  const p = paths.lookup(0);
  if (p === null) return XdpAction.ABORTED;
  hashes.update(0, hashPath(p.value));
  return XdpAction.PASS;
});
`;

test('p.bytes[i] in a 256-iteration loop with break: the FNV-1a hash of a path in a map value', (t) => {
  if (skipUnless(t, needRoot())) return;
  withProgram(compileOk(HASH), ({ prog, maps }) => {
    const paths = maps.get('paths')! as unknown as { set(k: number, v: Uint8Array): void };
    const hashes = maps.get('hashes')!;
    for (const s of ['/usr/bin/true', '/', 'a'.repeat(255)]) {
      paths.set(0, pathBytes(s));
      assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 2);
      assert.equal(hashes.get(0), fnv1a(pathBytes(s)), `hash of ${s.slice(0, 20)}`);
    }
    // No NUL at all: the loop ends at its bound after 256 bytes.
    const full = new Uint8Array(256).fill(0x61);
    paths.set(0, full);
    prog.testRun({ data: new Uint8Array(64) });
    assert.equal(hashes.get(0), fnv1a(full));
  });
});

const RW = HEAD + `
export const Buf = struct('buf', { bytes: array(u8, 8), words: array(u32, 4), wide: array(u64, 2) });
export const bufs = new ArrayMap<Infer<typeof Buf>>({ maxEntries: 1, value: Buf });
export const input = new ArrayMap<u32>({ maxEntries: 1, value: u32 });
export const rw = xdp((ctx) => {
  const b = bufs.lookup(0);
  const n = input.lookup(0);
  if (b === null || n === null) return 0;
  const i = n.value;
  b.value.words[i] = 0x1000 + i;          // write
  b.value.bytes[i] += 5;                  // read-modify-write
  b.value.wide[i & 1] += 1n;              // masked: no range check needed
  const j = b.value.bytes[i]++;           // postfix on an element
  return b.value.words[i + 1] + u32(j);   // read (0 past the end)
});
`;

test('writes, compound assignment and ++ at a variable index; out of range reads 0 and writes nothing', (t) => {
  if (skipUnless(t, needRoot())) return;
  withProgram(compileOk(RW), ({ prog, maps }) => {
    const bufs = maps.get('bufs')! as unknown as { get(k: number): Uint8Array; set(k: number, v: Uint8Array): void };
    const input = maps.get('input')!;
    const init = new Uint8Array(40);
    const dv = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset);
    dv(init).setUint32(8 + 8, 77, true); // words[2] = 77
    bufs.set(0, init);
    input.set(0, 1);
    // words[1] = 0x1001, bytes[1] = 5 then ++ → 6 (j = 5), wide[1] = 1; returns words[2] + 5.
    assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 77 + 5);
    let b = bufs.get(0);
    assert.equal(dv(b).getUint32(8 + 4, true), 0x1001);
    assert.equal(b[1], 6);
    assert.equal(dv(b).getBigUint64(24 + 8, true), 1n);
    input.set(0, 3);
    // words[3] = 0x1003, bytes[3] = 6 (j = 5); words[4] is past the end: reads 0.
    assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 5);
    b = bufs.get(0);
    assert.equal(dv(b).getUint32(8 + 12, true), 0x1003);
    assert.equal(b[3], 6);
    for (const bad of [8, 4, 0xffffffff]) {
      const before = bufs.get(0);
      input.set(0, bad);
      prog.testRun({ data: new Uint8Array(64) });
      const after = bufs.get(0);
      if (bad >= 8) {
        // bytes[i] and words[i] both out of range: only wide[i & 1] changed.
        assert.deepEqual(after.subarray(0, 24), before.subarray(0, 24), `index ${bad}: nothing written`);
      } else {
        // i = 4: bytes[4] is in range (8 bytes), words[4] is not.
        assert.deepEqual(after.subarray(8, 24), before.subarray(8, 24), 'words[4] not written');
        assert.equal(after[4], before[4]! + 6);
      }
    }
  });
});

const NESTED = HEAD + `
export const Row = struct('row', { cols: array(u16, 4) });
export const Grid = struct('grid', { tag: u32, rows: array(Row, 3) });
export type Grid = Infer<typeof Grid>;
export const input = new ArrayMap<u32>({ maxEntries: 2, value: u32 });
export const nested = xdp((ctx) => {
  const a = input.lookup(0);
  const b = input.lookup(1);
  if (a === null || b === null) return 0;
  const i = a.value;
  const j = i32(b.value);
  const g: Grid = { tag: 9, rows: [{ cols: [1, 2, 3, 4] as FixedArray<u16, 4> }, { cols: [5, 6, 7, 8] as FixedArray<u16, 4> }, { cols: [9, 10, 11, 12] as FixedArray<u16, 4> }] as FixedArray<Infer<typeof Row>, 3> };
  g.rows[i].cols[j] = 100;
  return u32(g.rows[i].cols[j]) + u32(g.rows[2].cols[3]) * 1000;
});
`;

test('nested arrays in a stack struct: g.rows[i].cols[j] (signed j: negative is out of range)', (t) => {
  if (skipUnless(t, needRoot())) return;
  withProgram(compileOk(NESTED), ({ prog, maps }) => {
    const input = maps.get('input')!;
    const run = (i: number, j: number): number => {
      input.set(0, i);
      input.set(1, j >>> 0);
      return prog.testRun({ data: new Uint8Array(64) }).retval;
    };
    assert.equal(run(0, 1), 100 + 12000);
    assert.equal(run(2, 3), 100 + 100 * 1000, 'the write landed in rows[2].cols[3]');
    assert.equal(run(3, 0), 12000, 'row 3 does not exist: read 0, nothing written');
    assert.equal(run(1, 4), 12000, 'column 4 does not exist');
    assert.equal(run(1, -1), 12000, 'j = -1 is out of range');
  });
});

const PACKET = HEAD + `
export const input = new ArrayMap<u32>({ maxEntries: 1, value: u32 });
export const pkt = xdp((ctx) => {
  const n = input.lookup(0);
  const e = ctx.header(EthHdr, 0);
  if (n === null || e === null) return 0;
  return u32(e.src[n.value]) * 256 + u32(e.dst[n.value + 2]);
});
`;

test('header views: e.src[i] at a variable offset (re-checked against data_end); past the array reads 0', (t) => {
  if (skipUnless(t, needRoot())) return;
  withProgram(compileOk(PACKET), ({ prog, maps }) => {
    const input = maps.get('input')!;
    const data = new Uint8Array(64);
    for (let k = 0; k < 12; k++) data[k] = 0x10 + k; // dst 0x10..0x15, src 0x16..0x1b
    for (const [i, want] of [[0, 0x16 * 256 + 0x12], [3, 0x19 * 256 + 0x15], [4, 0x1a * 256], [6, 0]] as const) {
      input.set(0, i);
      assert.equal(prog.testRun({ data }).retval, want, `i = ${i}`);
    }
  });
});

const CB = HEAD + `
export const input = new ArrayMap<u32>({ maxEntries: 1, value: u32 });
export const cb = tc((ctx) => {
  const n = input.lookup(0);
  if (n === null) return TcAction.OK;
  const i = n.value;
  ctx.cb[i] += 1;
  return ctx.cb[i + 1] === 0 ? TcAction.OK : TcAction.SHOT;
});
`;

test('context arrays: ctx.cb[i] read and written at a variable index (one constant offset per element)', (t) => {
  if (skipUnless(t, needRoot())) return;
  withProgram(compileOk(CB), ({ prog, maps }) => {
    const input = maps.get('input')!;
    const ctx = new Uint8Array(192); // struct __sk_buff
    const cbAt = (b: Uint8Array, k: number) => new DataView(b.buffer, b.byteOffset).getUint32(48 + 4 * k, true);
    new DataView(ctx.buffer).setUint32(48 + 4 * 3, 40, true); // cb[3] = 40
    for (const [i, ret] of [[2, 2], [3, 0], [4, 0]] as const) {
      input.set(0, i);
      const r = prog.testRun({ data: new Uint8Array(64), ctx });
      assert.equal(r.retval, ret, `cb[${i + 1}] ${ret === 2 ? 'is set' : 'is 0 or past the end'}`);
      for (let k = 0; k < 5; k++) assert.equal(cbAt(r.ctx, k), (k === i ? 1 : 0) + (k === 3 ? 40 : 0), `cb[${k}] after cb[${i}] += 1`);
    }
    input.set(0, 5);
    const r = prog.testRun({ data: new Uint8Array(64), ctx });
    for (let k = 0; k < 5; k++) assert.equal(cbAt(r.ctx, k), k === 3 ? 40 : 0, 'cb[5] does not exist: nothing written');
  });
});

test('a masked index (i & 3 into 4 elements) is not range-checked again; an unmasked one is', () => {
  const prog = (idx: string) => compileOk(HEAD + `
export const vals = new ArrayMap<Infer<typeof V>>({ maxEntries: 1 });
export const V = struct('v', { a: array(u32, 4) });
export const p = xdp((ctx) => { const v = vals.lookup(0); if (v === null) return 0; return v.value.a[${idx}]; });
`).programs[0]!;
  const masked = formatAsm(prog('ctx.rxQueueIndex & 3'));
  const plain = formatAsm(prog('ctx.rxQueueIndex'));
  assert.doesNotMatch(masked, /if r\d+ (>=|<) 4 goto/);
  assert.match(plain, /if r\d+ (>=|<) 4 goto/);
});

test('LK3003: a constant index out of range, a variable-indexed helper buffer', () => {
  const diag = (body: string) => compileSource(HEAD + `import { bpf } from '@lockne/kernel';\n` + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
  assert.deepEqual(diag(`export const B = struct('b', { x: array(u8, 4) });
export const m = new ArrayMap<Infer<typeof B>>({ maxEntries: 1 });
export const p = xdp((ctx) => { const v = m.lookup(0); if (v === null) return 0; return v.value.x[4]; });`), ['5:99 LK3003']);
  assert.deepEqual(diag(`export const B = struct('b', { names: array(array(u8, 16), 4) });
export const m = new ArrayMap<Infer<typeof B>>({ maxEntries: 1 });
export const p = xdp((ctx) => { const v = m.lookup(0); if (v === null) return 0; bpf.getCurrentComm(v.value.names[ctx.rxQueueIndex]); return 0; });`), ['5:101 LK3003']);
});

const COPY = HEAD + `
export const Item = struct('item', { a: u8, b: u32 });               // 8 bytes, 3 of them padding
export const Items = struct('items', { list: array(Item, 4), odd: array(array(u8, 3), 4) });
export type Item = Infer<typeof Item>;
export const src = new ArrayMap<Infer<typeof Items>>({ maxEntries: 1, value: Items });
export const byKey = new HashMap<Item, u32>({ maxEntries: 8, key: Item, value: u32 });
export const Odd = struct('odd', { b: array(u8, 3) });
export const odd = new ArrayMap<Infer<typeof Odd>>({ maxEntries: 1, value: Odd });
export const input = new ArrayMap<u32>({ maxEntries: 1, value: u32 });
export const copy = xdp((ctx) => {
  const s = src.lookup(0);
  const n = input.lookup(0);
  if (s === null || n === null) return 0;
  const i = n.value;
  byKey.update(s.value.list[i], i + 100);          // a struct element copied into a stack key: padding zero
  const local: Infer<typeof Items> = s.value;        // the whole struct onto the stack
  odd.update(0, { b: local.odd[i] });                // 3-byte elements at a variable stack offset
  return 1;
});
`;

test('copies of variable-indexed struct elements: padding stays zero (hash keys), odd-sized stack elements', (t) => {
  if (skipUnless(t, needRoot())) return;
  withProgram(compileOk(COPY), ({ prog, maps }) => {
    const src = maps.get('src')! as unknown as { set(k: number, v: Uint8Array): void };
    const byKey = maps.get('byKey')! as unknown as { get(k: Uint8Array): number | undefined };
    const odd = maps.get('odd')! as unknown as { get(k: number): Uint8Array };
    const v = new Uint8Array(44).fill(0xee); // padding bytes of the source are garbage
    for (let k = 0; k < 4; k++) { v[8 * k] = 10 + k; new DataView(v.buffer).setUint32(8 * k + 4, 1000 + k, true); }
    for (let k = 0; k < 12; k++) v[32 + k] = 0x30 + k;
    src.set(0, v);
    for (const i of [1, 3]) {
      maps.get('input')!.set(0, i);
      assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 1);
      const key = new Uint8Array(8);
      key[0] = 10 + i;
      new DataView(key.buffer).setUint32(4, 1000 + i, true);
      assert.equal(byKey.get(key), i + 100, `item ${i} found under its key with zero padding`);
      assert.deepEqual([...odd.get(0).subarray(0, 3)], [0x30 + 3 * i, 0x31 + 3 * i, 0x32 + 3 * i], `odd[${i}]`);
    }
    maps.get('input')!.set(0, 4);
    prog.testRun({ data: new Uint8Array(64) });
    assert.equal(byKey.get(new Uint8Array(8)), 104, 'out of range: an all-zero element was copied');
    assert.deepEqual([...odd.get(0).subarray(0, 3)], [0, 0, 0]);
  });
});
