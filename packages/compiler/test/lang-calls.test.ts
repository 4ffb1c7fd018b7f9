// Functions declared in the file (inlined at each call: see src/front/inline.ts)
// and ring buffer output of a struct, read back with @lockne/bpf's RingBufferReader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RingBufferReader, type BpfMap } from '@lockne/bpf';
import { compileOk, compileSource, withProgram } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { xdp, XdpAction, type XdpContext, EthHdr, Ipv4Hdr, UdpHdr, RingBuf, HashMap, struct, type Infer, ntohs, u8, u16, u32, u64, bpf } from '@lockne/kernel';\n`;

const FUNCS = HEAD + `
function clamp(x: u32, lo: u32, hi: u32): u32 {
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}
function sumTo(n: u32): u32 {
  let s: u32 = 0;
  for (let i: u32 = 0; i < 10; i++) { if (i >= n) break; s += i; }
  return s;
}
function l4Offset(ip: Ipv4Hdr): u32 {
  return 14 + u32(ip.verIhl & 0xf) * 4;
}
function udpPort(ctx: XdpContext): u16 {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null || ip.protocol !== 17) return 0;
  const udp = ctx.header(UdpHdr, l4Offset(ip));
  if (udp === null) return 0;
  return ntohs(udp.dest);
}
function bump(x: u32): u32 { x += 100; return x; }
export const calls = xdp((ctx) => {
  const q = u32(ctx.rxQueueIndex);
  const a = clamp(q + 5, 10, 20) + clamp(q + 50, 10, 20) + clamp(q + 15, 10, 20);
  const port = udpPort(ctx);
  const orig: u32 = 1;
  const b = bump(orig);
  return a + sumTo(4) + u32(port) + b - orig;
});
`;

test('functions: inlined calls with early returns, loops, header views passed as parameters, by-value integers', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(FUNCS);
  const pkt = new Uint8Array(64);
  const v = new DataView(pkt.buffer);
  v.setUint16(12, 0x0800);
  v.setUint8(14, 0x46); // IHL 6: UDP at 14 + 24
  v.setUint8(23, 17);
  v.setUint16(14 + 24 + 2, 1000);
  withProgram(m, ({ prog }) => {
    // clamp: 10 + 20 + 15; sumTo(4) = 6; port 1000; bump(1) - 1 = 100 (the argument is copied).
    assert.equal(prog.testRun({ data: pkt }).retval, 45 + 6 + 1000 + 100);
  });
});

const EVENTS = HEAD + `
export const Event = struct('event', { port: u16, proto: u8, len: u32, seq: u64 });
export type Event = Infer<typeof Event>;
export const events = new RingBuf({ size: 4096 });
export const seqs = new HashMap<u32, u64>({ maxEntries: 1 });
export const report = xdp((ctx) => {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.PASS;
  const udp = ctx.header(UdpHdr, 34);
  if (udp === null) return XdpAction.PASS;
  let seq: u64 = 0n;
  const s = seqs.lookup(0);
  if (s !== null) { s.value += 1n; seq = s.value; } else { seqs.update(0, 0n); }
  const r = events.output(Event, { port: ntohs(udp.dest), proto: ip.protocol, len: u32(ntohs(udp.len)), seq });
  return r === 0n ? XdpAction.PASS : XdpAction.ABORTED;
});
`;

test('ring buffer: output(Event, {...}) publishes the struct, C layout, read by RingBufferReader', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(EVENTS);
  withProgram(m, ({ prog, maps }) => {
    const got: Uint8Array[] = [];
    const reader = new RingBufferReader(maps.get('events')! as unknown as BpfMap<never, never>, { onSample: (d) => got.push(d), copy: true, watch: false });
    try {
      for (const port of [53, 443, 8080]) {
        const pkt = new Uint8Array(64);
        const v = new DataView(pkt.buffer);
        v.setUint8(23, 17);
        v.setUint16(36, port);
        v.setUint16(38, 30);
        assert.equal(prog.testRun({ data: pkt }).retval, 2);
      }
      assert.equal(reader.consume(), 3);
    } finally {
      reader.close();
    }
    // struct event: port@0 u16, proto@2 u8, len@4 u32, seq@8 u64: 16 bytes.
    assert.deepEqual(got.map((d) => d.byteLength), [16, 16, 16]);
    const rows = got.map((d) => {
      const v = new DataView(d.buffer, d.byteOffset);
      return [v.getUint16(0, true), v.getUint8(2), v.getUint32(4, true), v.getBigUint64(8, true)];
    });
    assert.deepEqual(rows, [[53, 17, 30, 0n], [443, 17, 30, 1n], [8080, 17, 30, 2n]]);
  });
});

const MISUSE: Array<[string, string, string]> = [
  ['LK1009 recursion', `function f(x: u32): u32 { return x === 0 ? 0 : f(x - 1); }\nexport const p = xdp((ctx) => f(3) === 0 ? XdpAction.PASS : XdpAction.DROP);`, 'LK1009'],
  ['LK5004 more than 5 parameters', `function f(a: u32, b: u32, c: u32, d: u32, e: u32, g: u32): u32 { return a; }\nexport const p = xdp((ctx) => f(1, 2, 3, 4, 5, 6) === 0 ? XdpAction.PASS : XdpAction.DROP);`, 'LK5004'],
  ['LK4005 ring buffer size not a power of two', `export const ev = new RingBuf({ size: 1000 });\nexport const p = xdp((ctx) => XdpAction.PASS);`, 'LK4005'],
];

for (const [name, body, code] of MISUSE) {
  test(`diagnostic ${name}`, () => {
    const got = compileSource(HEAD + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
    assert.ok(got.some((g) => g.endsWith(code)), `want ${code}, got ${JSON.stringify(got)}`);
  });
}
