// Size/speed work of issue 4's last gaps, each run in the kernel against a JS
// reference on several inputs (packet bytes, so nothing folds at compile time):
//  - ir/load-cse.ts: ctx store forwarding needs the program's ctx kind (tc's
//    mark/priority), stack stores no longer forget ctx loads, and queue_mapping
//    (whose store of 0xffff the kernel skips) is never forwarded;
//  - back/coalesce-live.ts: a copy whose source stays live merges with it;
//  - back/peephole-phys.ts: operand masks, dead sign extensions, copy forwarding
//    and propagation across blocks;
//  - ir/pkt-fold.ts + the unrolled `for` of statements.ts: constant header
//    offsets fold into ctx->data (`r3 = data; r3 += 15; if r3 > end; *(u8 *)(data + 14)`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAsm } from '../src/index.js';
import { compileOk, withProgram } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import type { CompiledModule } from '../src/index.js';

checkFdLeaks();

const HEAD = `import { xdp, tc, TcAction, struct, type Infer, u8, u16, u32, u64, i32 } from '@lockne/kernel';\n`;
/** sizeof(struct __sk_buff): ctx_in/ctx_out of a tc test run. */
const SKB_SIZE = 192;

const asmOf = (m: CompiledModule): string => m.programs.map((p) => formatAsm(p)).join('\n');
const count = (asm: string, re: RegExp): number => asm.split('\n').filter((l) => re.test(l)).length;

test('tc: a ctx store is forwarded to the next load of the field (mark read back once, not reloaded)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(HEAD + `
export const fwd = tc((ctx) => {
  ctx.mark = ctx.len + 0x1000;
  ctx.priority = 7;
  ctx.mark |= 0x10000;
  return i32(ctx.mark & 0xfffff);
});
`);
  const asm = asmOf(m);
  assert.equal(count(asm, /= \*\(u32 \*\)\(r\d \+ 8\)/), 0, `mark is never loaded back:\n${asm}`);
  withProgram(m, ({ prog }) => {
    for (const len of [14, 64, 200]) {
      const r = prog.testRun({ data: new Uint8Array(len), ctx: new Uint8Array(SKB_SIZE), ctxOutSize: SKB_SIZE });
      assert.equal(r.retval, (len + 0x1000) | 0x10000, `len ${len}`);
      assert.equal(new DataView(r.ctx.buffer, r.ctx.byteOffset).getUint32(8, true), (len + 0x1000) | 0x10000);
    }
  });
});

test('tc: queue_mapping is read back from the kernel (a store of 0xffff is skipped there)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(HEAD + `
export const Byte = struct('byte1', { v: u8 });
export const qm = tc((ctx) => {
  const e = ctx.header(Byte, 0);
  if (e === null) return i32(99);
  ctx.queueMapping = u32(e.v) * 0x101;
  return i32(ctx.queueMapping);
});
`);
  withProgram(m, ({ prog }) => {
    const run = (b: number): number => prog.testRun({ data: new Uint8Array([b, ...new Array(63).fill(0)]) }).retval;
    assert.equal(run(1), 0x101, 'an ordinary queue index is stored');
    assert.equal(run(0xff), 0, '0xffff (NO_QUEUE_MAPPING) is not stored: the field stays 0');
  });
});

test('a stack store does not forget a ctx load; copies that stay live merge (one len load per path)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(HEAD + `
export const Pair = struct('pair', { wide: u64, narrow: u32 });
export type Pair = Infer<typeof Pair>;
export const st = tc((ctx) => {
  const p: Pair = { wide: u64(ctx.len), narrow: ctx.len };
  return i32(u32(p.wide + u64(p.narrow)) + ctx.len);
});
`);
  const asm = asmOf(m);
  assert.equal(count(asm, /= \*\(u32 \*\)\(r\d \+ 0\)/), 1, `ctx->len is loaded once:\n${asm}`);
  withProgram(m, ({ prog }) => {
    for (const len of [14, 77, 300]) assert.equal(prog.testRun({ data: new Uint8Array(len) }).retval, 3 * len, `len ${len}`);
  });
});

test('masks, sign extensions and copies that only the low bits reach are dropped, same results', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(HEAD + `
export const Word = struct('word', { a: u32, b: u32 });
export const ar = xdp((ctx) => {
  const w = ctx.header(Word, 0);
  if (w === null) return 0;
  const a: u32 = w.a;
  const b: u64 = u64(a) * 2654435761n + u64(w.b);
  const c: u16 = u16(a) * 3 + u16(b >> 7n);
  const d: i32 = i32(a) - 1000;
  const e: i32 = d >> 3;
  const f: u8 = u8(a ^ 0x5a) >> 1;
  return i32(u32(b >> 32n) ^ u32(c) ^ u32(e) ^ u32(f));
});
`);
  const asm = asmOf(m);
  assert.equal(count(asm, /\(s32\)/), count(asm, /r0 = \(s32\)/), `only the i32 verdict is sign-extended (e's low 32 bits are all that is read):\n${asm}`);
  const ref = (a: number, bw: number): number => {
    const b = (BigInt(a) * 2654435761n + BigInt(bw)) & 0xffffffffffffffffn;
    const c = ((a & 0xffff) * 3 + Number((b >> 7n) & 0xffffn)) & 0xffff;
    const d = (a - 1000) | 0;
    const e = d >> 3;
    const f = ((a ^ 0x5a) & 0xff) >>> 1;
    return (Number(b >> 32n) ^ c ^ (e >>> 0) ^ f) >>> 0; // retval reads back as u32
  };
  withProgram(m, ({ prog }) => {
    for (const [a, bw] of [[0, 0], [1, 2], [999, 7], [1000, 0xffffffff], [0xffffffff, 0x12345678], [0x80000000, 1], [0x1234abcd, 0xdeadbeef]] as const) {
      const data = new Uint8Array(64);
      const v = new DataView(data.buffer);
      v.setUint32(0, a, true);
      v.setUint32(4, bw, true);
      assert.equal(prog.testRun({ data }).retval, ref(a, bw), `a=${a} b=${bw}`);
    }
  });
});

test('a short loop over ctx.header(T, k + i) is unrolled to constant offsets from ctx->data (break/continue kept)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(HEAD + `
export const Byte = struct('byte1', { v: u8 });
export const sum = xdp((ctx) => {
  let s: u32 = 0;
  for (let i: u32 = 0; i < 8; i++) {
    const p = ctx.header(Byte, 14 + i);
    if (p === null) return i32(1000);
    if (p.v === 0xee) continue;
    if (p.v === 0xff) break;
    s += u32(p.v) * (i + 1);
  }
  return i32(s);
});
`);
  const asm = asmOf(m);
  assert.doesNotMatch(asm, /65535/, `constant offsets need no range check:\n${asm}`);
  assert.equal(count(asm, /= \*\(u32 \*\)\(r1 \+ 0\)/), 1, `ctx->data is loaded once:\n${asm}`);
  assert.match(asm, /\*\(u8 \*\)\(r\d \+ 21\)/, 'the last byte is read at data + 21');
  const ref = (bytes: number[]): number => {
    if (bytes.length < 22) {
      // Null view at the first byte past the packet, unless a break came first.
      for (let i = 0; i < 8; i++) { if (14 + i >= bytes.length) return 1000; if (bytes[14 + i] === 0xff) break; }
    }
    let s = 0;
    for (let i = 0; i < 8; i++) {
      const v = bytes[14 + i]!;
      if (v === 0xee) continue;
      if (v === 0xff) break;
      s += v * (i + 1);
    }
    return s;
  };
  withProgram(m, ({ prog }) => {
    const cases: number[][] = [
      [...new Array(14).fill(0), 1, 2, 3, 4, 5, 6, 7, 8],
      [...new Array(14).fill(0), 10, 0xee, 30, 0xff, 50, 60, 70, 80],
      [...new Array(14).fill(0), 9, 9, 9],
      [...new Array(14).fill(0), 9, 0xff, 9],
      [...new Array(14).fill(0), 200, 200, 200, 200, 200, 200, 200, 200, 1, 2],
    ];
    for (const c of cases) assert.equal(prog.testRun({ data: new Uint8Array(c) }).retval, ref(c), c.join(','));
  });
});

test('a lookup result is used in r0 itself when only the miss path calls again (copy propagated across blocks)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(`import { tc, TcAction, HashMap, u32, u64 } from '@lockne/kernel';
export const counts = new HashMap<u32, u64>({ maxEntries: 16, key: u32, value: u64 });
export const cnt = tc((ctx) => {
  const v = counts.lookup(ctx.len);
  if (v === null) {
    counts.update(ctx.len, 1n);
    return TcAction.OK;
  }
  v.value += u64(ctx.len);
  return TcAction.OK;
});
`);
  const asm = asmOf(m);
  assert.doesNotMatch(asm, /r\d = r0$/m, `no copy of the lookup result:\n${asm}`);
  withProgram(m, ({ prog, maps }) => {
    for (let k = 0; k < 3; k++) prog.testRun({ data: new Uint8Array(60) });
    prog.testRun({ data: new Uint8Array(90) });
    assert.equal(maps.get('counts')!.get(60), 1n + 60n + 60n, 'created once, then +len twice');
    assert.equal(maps.get('counts')!.get(90), 1n);
  });
});
