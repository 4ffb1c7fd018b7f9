// Semantic tests: compile *.bpf.ts programs, load them and run them in the kernel
// (BPF_PROG_TEST_RUN), and check what they compute.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOk, withProgram } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { xdp, tc, XdpAction, TcAction, type XdpContext, type TcContext, HashMap, ArrayMap, u8, u16, u32, u64, i8, i16, i32, i64, bpf } from '@lockne/kernel';\n`;

// One module, many programs: one TS compile for the whole file. A zero the
// compiler cannot fold comes from ctx (rx_queue_index is 0 in a test run).
const ARITH = HEAD + `
export const u8wrap = xdp((ctx) => { const a: u8 = u8(250); const b = a + 10; return u32(b); });
export const u16mul = xdp((ctx) => { const a = u16(300); return u32(a * 300); });
export const i8wrap = xdp((ctx) => { const a = i8(127); return i32(a + 1); });
export const u32wrap = xdp((ctx) => { const a = u32(0xffffffff); return a + 2; });
export const u64big = xdp((ctx) => { const a = u64(0xffffffff); const b = a * 16n + 1n; return u32(b >> 32n) + u32(b & 0xffn); });
export const sdiv = xdp((ctx) => { const a = i32(-7); return a / 2; });
export const smod = xdp((ctx) => { const a = i32(-7); return a % 3; });
export const udiv = xdp((ctx) => { const a = u32(0xfffffff9); return a / 2; });
export const divzero = xdp((ctx) => { const z = u32(ctx.rxQueueIndex); const a = u32(77); return a / z; });
export const modzero = xdp((ctx) => { const z = u32(ctx.rxQueueIndex); const a = u32(77); return a % z; });
export const sar = xdp((ctx) => { const a = i32(-16); return a >> 2; });
export const shr = xdp((ctx) => { const a = i32(-16); return a >>> 28; });
export const shl8 = xdp((ctx) => { const a = u8(0x81); return u32(a << 1); });
export const i64sar = xdp((ctx) => { const a = i64(-256n); return i32(a >> 4n); });
export const scmp = xdp((ctx) => { const a = i32(-1); return a < 0 ? 1 : 0; });
export const ucmp = xdp((ctx) => { const a = u32(0xffffffff); return a > 0 ? 1 : 0; });
export const ucmp64 = xdp((ctx) => { const a = u64(0x8000000000000000n); return a > 1n ? 1 : 0; });
export const scmp64 = xdp((ctx) => { const a = i64(-5n); return a < 1n ? 1 : 0; });
export const trunc8 = xdp((ctx) => { const a = i32(-1); return u32(u8(a)); });
export const sext16 = xdp((ctx) => { const a = u32(0x18000); return i32(i16(a)); });
export const zext = xdp((ctx) => { const a = i32(-1); const w = u64(a); return u32(w >> 32n); });
export const neg = xdp((ctx) => { const a = u8(1); return u32(-a); });
export const bitnot = xdp((ctx) => { const a = u16(0x00ff); return u32(~a); });
`;

const EXPECT: Record<string, number> = {
  u8wrap: 4, u16mul: (300 * 300) & 0xffff, i8wrap: 0xffffff80, u32wrap: 1, u64big: 0xf + 0xf1, sdiv: 0xfffffffd, smod: 0xffffffff,
  udiv: 0x7ffffffc, divzero: 0, modzero: 77, sar: 0xfffffffc, shr: 15, shl8: 2, i64sar: 0xfffffff0, scmp: 1, ucmp: 1,
  ucmp64: 1, scmp64: 1, trunc8: 255, sext16: 0xffff8000, zext: 0xffffffff, neg: 255, bitnot: 0xff00,
};

test('integer arithmetic at every width wraps, divides and shifts like C', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(ARITH);
  for (const [name, want] of Object.entries(EXPECT)) {
    const got = withProgram(m, ({ prog }) => prog.testRun({ data: new Uint8Array(64) }).retval, name);
    assert.equal(got, want, `${name}: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
  }
});

const CONTROL = HEAD + `
export const loopSum = xdp((ctx) => {
  let sum: u32 = 0;
  for (let i: u32 = 0; i < 10; i++) { sum += i; }
  return sum;
});
export const loopBreak = xdp((ctx) => {
  let sum: u32 = 0;
  for (let i: u32 = 0; i < 100; i++) { if (i === 5) break; if (i === 2) continue; sum += i; }
  return sum;
});
export const shortCircuit = xdp((ctx) => {
  const z = u32(ctx.rxQueueIndex);
  let r: u32 = 0;
  if (z === 0 && z + 1 === 1) r += 1;
  if (z === 1 || z === 0) r += 10;
  if (z === 1 && z / z === 0) r += 100;
  if (!(z === 1)) r += 1000;
  return r;
});
export const earlyReturn = xdp((ctx) => {
  const z = u32(ctx.rxQueueIndex);
  if (z === 0) return XdpAction.DROP;
  return XdpAction.PASS;
});
export const ternary = xdp((ctx: XdpContext): XdpAction => ctx.rxQueueIndex === 0 ? XdpAction.TX : XdpAction.ABORTED);
export const boolValue = xdp((ctx) => {
  const z = u32(ctx.rxQueueIndex);
  const b = z === 0 || z === 7;
  return b ? XdpAction.TX : XdpAction.DROP;
});
`;

test('control flow: loops, break/continue, && || !, early return, ternary, bool values', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(CONTROL);
  const want: Record<string, number> = { loopSum: 45, loopBreak: 0 + 1 + 3 + 4, shortCircuit: 1011, earlyReturn: 1, ternary: 3, boolValue: 3 };
  for (const [name, w] of Object.entries(want)) {
    assert.equal(withProgram(m, ({ prog }) => prog.testRun({ data: new Uint8Array(64) }).retval, name), w, name);
  }
});

const MAPS = HEAD + `
export const counts = new HashMap<u32, u64>({ maxEntries: 16 });
export const slots = new ArrayMap<u32>({ maxEntries: 4 });
export const countPackets = xdp((ctx: XdpContext): XdpAction => {
  const key: u32 = u32(ctx.rxQueueIndex);
  const v = counts.lookup(key);
  if (v !== null) { v.value += 1n; } else { counts.update(key, 1n); }
  const s = slots.lookup(2);
  if (s === null) return XdpAction.ABORTED;
  s.value = s.value + 5;
  return XdpAction.PASS;
});
export const deleter = xdp((ctx) => {
  const r = counts.delete(0);
  const again = counts.delete(0);
  return r === 0n && again !== 0n ? XdpAction.DROP : XdpAction.PASS;
});
`;

test('maps: lookup narrowed by null checks, update, delete, increment through the pointer', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(MAPS);
  withProgram(m, ({ prog, maps }) => {
    for (let n = 0; n < 3; n++) assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 2);
    assert.equal(maps.get('counts')!.get(0), 3n);
    assert.equal(maps.get('slots')!.get(2), 15);
  }, 'countPackets');
  withProgram(m, ({ prog, maps }) => {
    maps.get('counts')!.set(0, 9n);
    assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 1);
    assert.equal(maps.get('counts')!.get(0), undefined);
  }, 'deleter');
});

const HELPERS = HEAD + `
export const clock = xdp((ctx) => { const t0 = bpf.ktimeGetNs(); const t1 = bpf.ktimeGetNs(); return t1 >= t0 && t0 > 0n ? 1 : 0; });
export const random = xdp((ctx) => { let same: u32 = 0; const a = bpf.getPrandomU32(); for (let i: u32 = 0; i < 4; i++) { if (bpf.getPrandomU32() === a) same++; } return same < 4 ? 1 : 0; });
export const cookie = tc((ctx: TcContext): TcAction => { const c = bpf.getSocketCookie(ctx); return c === 0n ? TcAction.SHOT : TcAction.OK; });
export const skbLen = tc((ctx: TcContext): TcAction => ctx.len === 64 && ctx.ifindex === 1 ? TcAction.SHOT : TcAction.OK);
`;

test('helpers and ctx fields: ktimeGetNs, getPrandomU32, getSocketCookie, __sk_buff len', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(HELPERS);
  const run = (name: string) => withProgram(m, ({ prog }) => prog.testRun({ data: new Uint8Array(64) }).retval, name);
  assert.equal(run('clock'), 1);
  assert.equal(run('random'), 1);
  // A test-run skb carries a socket the kernel allocates for it: its cookie is non-zero.
  assert.equal(run('cookie'), 0);
  assert.equal(run('skbLen'), 2);
});
