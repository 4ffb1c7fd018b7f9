// Middle/back-end optimisations, run in the kernel on their edge cases:
// commutative immediates (back/isel.ts), copy coalescing (back/coalesce.ts),
// ctx->data/data_end reuse (ir/ctx-cse.ts) and branch clean-up (back/branches.ts).
// Inputs come from packet bytes so nothing folds at compile time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAsm } from '../src/index.js';
import { compileOk, withProgram } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { xdp, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, HashMap, bpf, u8, u32, u64, i8, i32 } from '@lockne/kernel';\n`;

/** A 64-byte frame whose first bytes are `head` (the rest zero), truncated to `len`. */
function packet(head: number[], len = 64): Uint8Array {
  const b = new Uint8Array(64);
  b.set(head);
  return b.subarray(0, len);
}

const COMMUTE = HEAD + `
export const commute = xdp((ctx) => {
  const e = ctx.header(EthHdr, 0);
  if (e === null) return 0;
  const x: u8 = e.dst[0];
  const a = 250 + x;
  const b = 3 * x;
  return u32(a) | (u32(b) << 8) | (u32(0xf0 & x) << 16) | (u32(5 ^ x) << 24);
});
export const commuteSigned = xdp((ctx) => {
  const e = ctx.header(EthHdr, 0);
  if (e === null) return 0;
  const s = i8(e.dst[1]);
  return i32(100 + s);
});
`;

test('commutative `K op x` takes the immediate form and still wraps at u8 / i8', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(COMMUTE);
  withProgram(m, ({ prog }) => {
    for (const x of [0, 1, 5, 6, 85, 200, 255]) {
      const want = ((250 + x) & 0xff) | (((3 * x) & 0xff) << 8) | ((0xf0 & x) << 16) | (((5 ^ x) & 0xff) << 24);
      assert.equal(prog.testRun({ data: packet([x]) }).retval >>> 0, want >>> 0, `x=${x}`);
    }
  }, 'commute');
  withProgram(m, ({ prog }) => {
    for (const s of [-128, -101, -100, -1, 0, 27, 28, 127]) {
      const want = ((100 + s + 128) & 0xff) - 128; // i8 wrap, then sign-extended to i32
      assert.equal(prog.testRun({ data: packet([0, s & 0xff]) }).retval | 0, want, `s=${s}`);
    }
  }, 'commuteSigned');
  // `250 + x` must not materialise 250 in a register first.
  const asm = formatAsm(m.programs[0]!);
  assert.doesNotMatch(asm, /: r\d = 250\n/, asm);
});

const SPILL = HEAD + `
export const spill = xdp((ctx) => {
  const e = ctx.header(EthHdr, 0);
  if (e === null) return 0;
  const x0: u32 = u32(e.dst[0]);
  const x1: u32 = u32(e.dst[1]);
  const x2: u32 = u32(e.dst[2]);
  const x3: u32 = u32(e.dst[3]);
  const x4: u32 = u32(e.dst[4]);
  let s: u32 = 0;
  for (let i: u32 = 0; i < 6; i++) {
    const r = bpf.getPrandomU32();
    s += (r & 0) + x0 + x1 + x2 + x3 + x4 + i;
  }
  return s;
});
export const acrossCall = xdp((ctx) => {
  const e = ctx.header(EthHdr, 0);
  if (e === null) return 0;
  const k = u32(e.dst[0]) * 1000;
  const t = bpf.ktimeGetNs();
  if (t === 0n) return 1;
  return k + 7;
});
`;

test('coalescing with values live across helper calls: a loop whose counter and inputs outnumber R6-R9', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(SPILL);
  withProgram(m, ({ prog }) => {
    const xs = [1, 2, 3, 4, 200];
    const want = 6 * xs.reduce((a, b) => a + b, 0) + 15;
    assert.equal(prog.testRun({ data: packet(xs) }).retval, want);
    assert.equal(prog.testRun({ data: packet([0, 0, 0, 0, 0]) }).retval, 15);
  }, 'spill');
  withProgram(m, ({ prog }) => {
    assert.equal(prog.testRun({ data: packet([42]) }).retval, 42007, 'value computed before the call, used after it');
  }, 'acrossCall');
  const spillAsm = formatAsm(m.programs[0]!);
  // Spill slots stay 8-byte and 8-aligned.
  for (const s of spillAsm.matchAll(/\*\((u\d+) \*\)\(r10 - (\d+)\) = r\d/g)) {
    if (s[1] === 'u64') assert.equal(Number(s[2]) % 8, 0, s[0]);
  }
});

const REUSE = HEAD + `
export const seen = new HashMap<u32, u64>({ maxEntries: 4 });
// data/data_end reused from the first header on the straight path; reloaded after the map call.
export const reuse = xdp((ctx) => {
  const e = ctx.header(EthHdr, 0);
  if (e === null) return 1;
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return 2;
  const udp = ctx.header(UdpHdr, 34);
  if (udp === null) return 3;
  seen.update(u32(e.dst[0]), 7n);
  const ip2 = ctx.header(Ipv4Hdr, 14);
  if (ip2 === null) return 4;
  return 100 + u32(ip2.ttl) + u32(ip.protocol);
});
// One path calls a helper, the other does not: after the join the loads must be redone.
export const join = xdp((ctx) => {
  const e = ctx.header(EthHdr, 0);
  if (e === null) return 1;
  let r: u32 = 0;
  if (e.dst[0] === 1) { r = 10; } else { const t = bpf.ktimeGetNs(); r = t > 0n ? 20 : 30; }
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return r + 2;
  return r + u32(ip.ttl);
});
`;

test('ctx->data reuse: bounds checks stay (truncated packets still fail them), loads redone after helper calls', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(REUSE);
  const ipv4 = (ttl: number, proto: number): number[] => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0x45, 0, 0, 0, 0, 0, 0, 0, ttl, proto];
  withProgram(m, ({ prog, maps }) => {
    assert.equal(prog.testRun({ data: packet([5, ...ipv4(9, 17).slice(1)]) }).retval, 100 + 9 + 17);
    assert.equal(maps.get('seen')!.get(5), 7n);
    assert.equal(prog.testRun({ data: packet(ipv4(9, 17), 14 + 20 + 4) }).retval, 3, 'UDP header check must fail at 38 bytes');
    assert.equal(prog.testRun({ data: packet(ipv4(9, 17), 14 + 19) }).retval, 2, 'IPv4 header check must fail at 33 bytes');
  }, 'reuse');
  withProgram(m, ({ prog }) => {
    assert.equal(prog.testRun({ data: packet([1, ...ipv4(7, 6).slice(1)]) }).retval, 17);
    assert.equal(prog.testRun({ data: packet([2, ...ipv4(7, 6).slice(1)]) }).retval, 27);
    assert.equal(prog.testRun({ data: packet([1], 20) }).retval, 12);
  }, 'join');
  const ctxLoads = (name: string): number => {
    const p = m.programs.find((q) => q.name === name)!;
    return p.instructions.filter((i) => i.code === 0x61 && i.off === 0).length; // LDX W [ctx+0]: ctx->data (no other u32 loads at +0 here)
  };
  assert.equal(ctxLoads('reuse'), 2, 'data loaded once before the call and once after');
  assert.equal(ctxLoads('join'), 2, 'data reloaded after the join of a path with a helper call');
});

const BRANCH = HEAD + `
export const ranges = xdp((ctx) => {
  const e = ctx.header(EthHdr, 0);
  if (e === null) return 0;
  const s = i8(e.dst[0]);
  if (s > -3 && s < 5) return 1;
  if (s <= -100 || s >= 100) return 2;
  const u = e.dst[1];
  if (u > 200 || (u < 10 && u !== 3)) return 4;
  return 3;
});
`;

test('branch clean-up: inverted signed/unsigned compares and short-circuit chains keep their meaning', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(BRANCH);
  withProgram(m, ({ prog }) => {
    const run = (s: number, u = 50): number => prog.testRun({ data: packet([s & 0xff, u]) }).retval;
    const want = (s: number, u = 50): number => (s > -3 && s < 5 ? 1 : s <= -100 || s >= 100 ? 2 : u > 200 || (u < 10 && u !== 3) ? 4 : 3);
    for (const s of [-128, -100, -99, -4, -3, -2, 0, 4, 5, 6, 99, 100, 127]) assert.equal(run(s), want(s), `s=${s}`);
    for (const u of [0, 3, 9, 10, 200, 201, 255]) assert.equal(run(50, u), want(50, u), `u=${u}`);
  });
  // No `goto` straight after a conditional jump to the next instruction.
  const asm = formatAsm(m.programs[0]!);
  assert.doesNotMatch(asm, /goto \+1\n\s+\d+: goto/, asm);
});

test('instruction counts of the packet parser stay at or below the optimised numbers', () => {
  const m = compileOk(REUSE);
  const n = (name: string): number => m.programs.find((p) => p.name === name)!.instructions.length;
  console.log(`reuse: ${n('reuse')}, join: ${n('join')} instructions`);
  assert.ok(n('reuse') <= 60, `reuse is ${n('reuse')}`);
});
