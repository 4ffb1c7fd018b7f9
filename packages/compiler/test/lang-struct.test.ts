// Structs as map keys and values: struct() layouts with C alignment, literals
// built on the stack with padding zeroed (hash keys compare every byte), field
// reads/writes through map-value pointers, copies from header views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOk, compileSource, withProgram } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { tc, xdp, TcAction, XdpAction, EthHdr, Ipv4Hdr, UdpHdr, HashMap, ArrayMap, struct, array, type Infer, type FixedArray, be16, be32, u8, u16, u32, u64, ntohs } from '@lockne/kernel';
export const Flow = struct('flow', { saddr: be32, daddr: be32, sport: be16, dport: be16, proto: u8 });
export type Flow = Infer<typeof Flow>;
export const Stats = struct('stats', { packets: u64, bytes: u64, lastLen: u32 });
export type Stats = Infer<typeof Stats>;
`;

/** Ethernet + IPv4 + UDP, `len` bytes in all. */
function udp(src: number, sport: number, dport: number, len = 64): Uint8Array {
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint16(12, 0x0800);
  v.setUint8(14, 0x45);
  v.setUint8(23, 17);
  v.setUint32(26, src);
  v.setUint32(30, 0x0a000002);
  v.setUint16(34, sport);
  v.setUint16(36, dport);
  return b;
}

/** The 16-byte struct flow key as the kernel stores it: addresses and ports in network order, 3 zero padding bytes. */
function flowKey(src: number, sport: number, dport: number): Uint8Array {
  const k = new Uint8Array(16);
  const v = new DataView(k.buffer);
  v.setUint32(0, src);
  v.setUint32(4, 0x0a000002);
  v.setUint16(8, sport);
  v.setUint16(10, dport);
  v.setUint8(12, 17);
  return k;
}

const FLOWS = HEAD + `
export const flows = new HashMap<Flow, Stats>({ maxEntries: 64, key: Flow, value: Stats });
export const perFlow = tc((ctx) => {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null || ip.protocol !== 17) return TcAction.OK;
  const l4 = ctx.header(UdpHdr, 34);
  if (l4 === null) return TcAction.OK;
  const key: Flow = { saddr: ip.saddr, daddr: ip.daddr, sport: l4.source, dport: l4.dest, proto: ip.protocol };
  const v = flows.lookup(key);
  if (v === null) {
    flows.update(key, { packets: 1n, bytes: u64(ctx.len), lastLen: ctx.len });
    return TcAction.OK;
  }
  v.value.packets += 1n;
  v.value.bytes += u64(ctx.len);
  v.value.lastLen = ctx.len;
  return TcAction.OK;
});
`;

test('struct keys and values: per-flow packet/byte counters in a HashMap<Flow, Stats>', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(FLOWS);
  const flows = m.maps.find((x) => x.name === 'flows')!;
  assert.equal(flows.key.kind === 'struct' && flows.key.size, 16);
  assert.equal(flows.value.kind === 'struct' && flows.value.size, 24);
  withProgram(m, ({ prog, maps }) => {
    for (const len of [64, 100, 80]) assert.equal(prog.testRun({ data: udp(0x0a000001, 5000, 53, len) }).retval, 0);
    assert.equal(prog.testRun({ data: udp(0xc0a80101, 6000, 123) }).retval, 0);
    const map = maps.get('flows')! as unknown as { get(k: Uint8Array): Uint8Array | undefined };
    const a = map.get(flowKey(0x0a000001, 5000, 53));
    assert.ok(a, 'the first flow has an entry under the exact C key bytes (padding zero)');
    const av = new DataView(a.buffer, a.byteOffset);
    assert.equal(av.getBigUint64(0, true), 3n);
    assert.equal(av.getBigUint64(8, true), 244n);
    assert.equal(av.getUint32(16, true), 80);
    const b = map.get(flowKey(0xc0a80101, 6000, 123));
    assert.ok(b);
    assert.equal(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true), 1n);
  });
});

const NESTED = HEAD + `
export const Pair = struct('pair', { a: u16, inner: Flow, tag: array(u8, 3), b: u32 });
export type Pair = Infer<typeof Pair>;
export const slots = new ArrayMap<Pair>({ maxEntries: 2, value: Pair });
export const fill = xdp((ctx) => {
  const s = slots.lookup(1);
  if (s === null) return XdpAction.ABORTED;
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.ABORTED;
  const p: Pair = { a: 0x1234, inner: { saddr: 1, daddr: 2, sport: 3, dport: 4, proto: 5 }, tag: [7, 8, eth.src[5]] as FixedArray<u8, 3>, b: 0xdeadbeef };
  slots.update(0, p);
  s.value.inner.dport = eth.proto;
  s.value.tag[2] = p.tag[1] + 1;
  s.value.b = u32(p.inner.proto) + p.b;
  return s.value.a === 0 ? XdpAction.PASS : XdpAction.DROP;
});
`;

test('nested structs and arrays: C offsets, struct literal with nested literal, field paths through map values', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(NESTED);
  const pair = m.maps[0]!.value;
  assert.ok(pair.kind === 'struct');
  // a@0 (u16), inner@4 (align 4, 16 bytes), tag@20 (3 bytes), b@24, size 28.
  assert.deepEqual(pair.fields.map((f) => [f.name, f.off]), [['a', 0], ['inner', 4], ['tag', 20], ['b', 24]]);
  assert.equal(pair.size, 28);
  withProgram(m, ({ prog, maps }) => {
    const data = new Uint8Array(64);
    data.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x33, 0x08, 0x00]);
    assert.equal(prog.testRun({ data }).retval, 2);
    const map = maps.get('slots')! as unknown as { get(k: number): Uint8Array | undefined };
    const zero = new DataView(map.get(0)!.buffer);
    assert.equal(zero.getUint16(0, true), 0x1234);
    assert.equal(zero.getUint32(4, true), 1);
    assert.equal(zero.getUint16(14, true), 4);
    assert.equal(zero.getUint8(16), 5);
    assert.deepEqual([zero.getUint8(20), zero.getUint8(21), zero.getUint8(22)], [7, 8, 0x33]);
    assert.equal(zero.getUint32(24, true), 0xdeadbeef);
    assert.equal(zero.getUint8(23), 0, 'padding is zeroed');
    const one = new DataView(map.get(1)!.buffer);
    assert.equal(one.getUint16(14, false), 0x0800, 'be16 copied in network order');
    assert.equal(one.getUint8(22), 9);
    assert.equal(one.getUint32(24, true), 0xdeadbef4);
  });
});

const MISUSE: Array<[string, string, string]> = [
  ['LK3008 struct literal misses a field',
    `export const m = new HashMap<Flow, u64>({ maxEntries: 4 });\nexport const p = xdp((ctx) => { const k: Flow = { saddr: 1, daddr: 2, sport: 3, dport: 4 } as Flow; m.update(k, 1n); return XdpAction.PASS; });`, 'LK3008'],
  ['LK3010 struct used as a single value',
    `export const m = new HashMap<u32, Stats>({ maxEntries: 4 });\nexport const p = xdp((ctx) => { const v = m.lookup(1); if (v === null) return XdpAction.PASS; const x = v.value; return XdpAction.PASS; });`, 'LK3010'],
];

for (const [name, body, code] of MISUSE) {
  test(`diagnostic ${name}`, () => {
    const got = compileSource(HEAD + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
    assert.ok(got.some((g) => g.endsWith(code)), `want ${code}, got ${JSON.stringify(got)}`);
  });
}
