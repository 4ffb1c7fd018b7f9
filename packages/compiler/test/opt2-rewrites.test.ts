// Size optimisations of issue 4, run in the kernel on their boundary values:
// `ntohs(x) == K` compared against a swapped constant (ir/swap-compare.ts),
// shared `r0 = K; exit` returns (ir/returns.ts) and the extension peepholes on
// allocated machine IR (back/peephole.ts). Inputs come from packet bytes so
// nothing folds at compile time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAsm } from '../src/index.js';
import { compileOk, withProgram } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { xdp, EthHdr, Ipv4Hdr, ntohs, ntohl, u8, u16, u32, i32 } from '@lockne/kernel';\n`;

function packet(head: number[]): Uint8Array {
  const b = new Uint8Array(64);
  b.set(head);
  return b;
}

const SWAP = HEAD + `
export const swap16 = xdp((ctx) => {
  const e = ctx.header(EthHdr, 0);
  if (e === null) return 4;
  if (ntohs(e.proto) === 53) return 1;
  if (ntohs(e.proto) !== 0xff00) return 2;
  return 3;
});
export const swap32 = xdp((ctx) => {
  const ip = ctx.header(Ipv4Hdr, 0);
  if (ip === null) return 4;
  return ntohl(ip.saddr) === 0x0a000001 ? 1 : 2;
});
`;

test('ntohs/ntohl(x) == K compares x with the swapped constant, same answers at the byte boundaries', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(SWAP);
  const at = (b0: number, b1: number): number[] => [...new Array(12).fill(0), b0, b1];
  withProgram(m, ({ prog }) => {
    const run = (b0: number, b1: number): number => prog.testRun({ data: packet(at(b0, b1)) }).retval;
    assert.equal(run(0x00, 0x35), 1, 'port 53 in network order');
    assert.equal(run(0x35, 0x00), 2, 'bytes reversed is 0x3500, not 53');
    assert.equal(run(0xff, 0x00), 3, '0xff00 in network order');
    assert.equal(run(0x00, 0xff), 2);
    assert.equal(run(0xff, 0xff), 2);
    assert.equal(run(0x00, 0x00), 2);
  }, 'swap16');
  withProgram(m, ({ prog }) => {
    const run = (a: number[]): number => prog.testRun({ data: packet([...new Array(12).fill(0), ...a]) }).retval;
    assert.equal(run([10, 0, 0, 1]), 1);
    assert.equal(run([1, 0, 0, 10]), 2);
    assert.equal(run([10, 0, 0, 2]), 2);
    assert.equal(run([0xff, 0xff, 0xff, 0xff]), 2);
  }, 'swap32');
  const asm = m.programs.map((p) => formatAsm(p)).join('\n');
  assert.doesNotMatch(asm, /be16|be32/, asm);
  assert.match(asm, /!= 13568|== 13568/, asm);
});

const RETS = HEAD + `
export const rets = xdp((ctx) => {
  const e = ctx.header(EthHdr, 6);
  if (e === null) return 2;
  if (e.dst[0] === 1) return 2;
  if (e.dst[1] === 1) return 2;
  if (e.dst[2] === 1) return 3;
  return e.dst[3] === 1 ? 2 : 3;
});
`;

test('early returns of the same constant share one `r0 = K; exit`', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(RETS);
  withProgram(m, ({ prog }) => {
    const run = (a: number[]): number => prog.testRun({ data: packet([0, 0, 0, 0, 0, 0, ...a]) }).retval;
    assert.equal(run([1, 0, 0, 0]), 2);
    assert.equal(run([0, 1, 0, 0]), 2);
    assert.equal(run([0, 0, 1, 0]), 3);
    assert.equal(run([0, 0, 0, 1]), 2);
    assert.equal(run([0, 0, 0, 0]), 3);
    assert.equal(prog.testRun({ data: new Uint8Array(14) }).retval, 2, 'short packet: the null return');
  });
  const asm = formatAsm(m.programs[0]!);
  assert.equal(asm.match(/exit/g)?.length, 2, asm);
});

const EXT = HEAD + `
export const ext = xdp((ctx) => {
  const e = ctx.header(EthHdr, 0);
  if (e === null) return 0;
  const a: u32 = u32(e.dst[0]) | (u32(e.dst[1]) << 8) | (u32(e.dst[2]) << 16) | (u32(e.dst[3]) << 24);
  const c: u16 = u16(a) * 3 + 0xfff0;
  const d: i32 = i32(a) - 1000;
  const g: i32 = d >> 3;
  const f: u8 = u8(a ^ 0x5a) >> 1;
  const h: u8 = u8(a) * 7 - 9;
  return u32(c) ^ (u32(g) << 7) ^ (u32(f) << 20) ^ (u32(h) << 24);
});
`;

test('extensions dropped before 32-bit ops keep u16 / u8 wrap and i32 sign at the boundaries', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(EXT);
  const model = (a: number): number => {
    const c = (((a & 0xffff) * 3) + 0xfff0) & 0xffff;
    const d = (a - 1000) | 0;
    const g = d >> 3;
    const f = ((a ^ 0x5a) & 0xff) >> 1;
    const h = (((a & 0xff) * 7) - 9) & 0xff;
    return (c ^ (g << 7) ^ (f << 20) ^ (h << 24)) >>> 0;
  };
  withProgram(m, ({ prog }) => {
    for (const a of [0, 1, 999, 1000, 1001, 0x5555, 0x5556, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x800003e7, 0xfffffc18, 0xffffffff, 0x12345678]) {
      const bytes = [a & 0xff, (a >>> 8) & 0xff, (a >>> 16) & 0xff, a >>> 24];
      assert.equal(prog.testRun({ data: packet(bytes) }).retval >>> 0, model(a), `a=0x${a.toString(16)}`);
    }
  });
  const asm = formatAsm(m.programs[0]!);
  assert.doesNotMatch(asm, /w(\d+) = w\1\n/, asm);
});

const LOADS = `import { xdp, tc, TcAction, EthHdr, bpf, u32 } from '@lockne/kernel';
export const flags = xdp((ctx) => {
  const e = ctx.header(EthHdr, 0);
  if (e === null) return 0;
  if ((e.dst[5] & 2) === 0) return 1;
  if ((e.dst[5] & 16) !== 0) return 2;
  if (bpf.getPrandomU32() === 0xdeadbeef) return 0;
  const e2 = ctx.header(EthHdr, 0);
  if (e2 === null) return 0;
  return (e2.dst[5] & 1) === 0 ? 3 : 4;
});
export const marks = tc((ctx) => {
  const a: u32 = ctx.mark;
  ctx.mark = a + 5;
  ctx.priority = 9;
  const b: u32 = ctx.mark;
  ctx.mark = b * 2 + u32(ctx.mark === a + 5 ? 1 : 0);
  return TcAction.OK;
});
`;

test('a packet field tested twice is loaded once; loads after a helper call or a store to the field are redone', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(LOADS);
  withProgram(m, ({ prog }) => {
    const run = (f: number): number => prog.testRun({ data: packet([0, 0, 0, 0, 0, f]) }).retval;
    for (const f of [0, 1, 2, 3, 16, 18, 19, 0xff, 0xfd, 0xef, 0xee]) {
      const want = (f & 2) === 0 ? 1 : (f & 16) !== 0 ? 2 : (f & 1) === 0 ? 3 : 4;
      assert.equal(run(f), want, `flags=0x${f.toString(16)}`);
    }
  }, 'flags');
  const flagsAsm = formatAsm(m.programs[0]!);
  assert.equal(flagsAsm.match(/\(u8 \*\)\(r\d \+ 5\)/g)?.length, 2, `one load before the call, one after:\n${flagsAsm}`);
  withProgram(m, ({ prog }) => {
    for (const mark of [0, 1, 0x7ffffffa, 0xfffffffa, 0xfffffffb, 0xffffffff]) {
      const ctx = new Uint8Array(192);
      new DataView(ctx.buffer).setUint32(8, mark, true);
      const r = prog.testRun({ data: new Uint8Array(64), ctx, ctxOutSize: 192 });
      const out = new DataView(r.ctx.buffer, r.ctx.byteOffset);
      const b = (mark + 5) >>> 0;
      assert.equal(out.getUint32(8, true), ((b * 2) + 1) >>> 0, `mark=0x${mark.toString(16)}`);
      assert.equal(out.getUint32(32, true), 9);
    }
  }, 'marks');
});
