// Packet access: ctx.header(T, off) with the verifier's bounds-check shape,
// network-order fields with ntohs/ntohl, variable (IHL) offsets, writes into
// packet memory. Real Ethernet/IPv4/UDP/TCP frames, run with BPF_PROG_TEST_RUN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileOk, compileSource, withProgram } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { xdp, tc, XdpAction, TcAction, EthHdr, Ipv4Hdr, UdpHdr, TcpHdr, EtherType, IpProto, TcpFlag, HashMap, atomicAdd, ntohs, ntohl, htons, u8, u32, u64 } from '@lockne/kernel';\n`;

/** Ethernet + IPv4 (with `optWords` 4-byte option words) + a UDP or TCP header and 8 bytes of payload. */
function frame(opts: { proto: 'udp' | 'tcp'; src?: number; dport?: number; flags?: number; optWords?: number; ttl?: number; etherType?: number }): Uint8Array {
  const ihl = 5 + (opts.optWords ?? 0);
  const l4 = opts.proto === 'udp' ? 8 : 20;
  const buf = new Uint8Array(14 + ihl * 4 + l4 + 8);
  const v = new DataView(buf.buffer);
  buf.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  v.setUint16(12, opts.etherType ?? 0x0800);
  v.setUint8(14, 0x40 | ihl);
  v.setUint16(16, ihl * 4 + l4 + 8);
  v.setUint8(22, opts.ttl ?? 64);
  v.setUint8(23, opts.proto === 'udp' ? 17 : 6);
  v.setUint32(26, opts.src ?? 0x0a000001);
  v.setUint32(30, 0x0a000002);
  const l4off = 14 + ihl * 4;
  v.setUint16(l4off, 40000);
  v.setUint16(l4off + 2, opts.dport ?? 80);
  if (opts.proto === 'tcp') {
    v.setUint8(l4off + 12, 5 << 4);
    v.setUint8(l4off + 13, opts.flags ?? 0);
  } else v.setUint16(l4off + 4, 16);
  return buf;
}

const DNS = HEAD + `
export const dropDns = xdp((ctx) => {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.PASS;
  if (eth.proto !== htons(EtherType.IPV4)) return XdpAction.PASS;
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null || ip.protocol !== IpProto.UDP) return XdpAction.PASS;
  const ihl = u32(ip.verIhl & 0xf) * 4;
  const udp = ctx.header(UdpHdr, 14 + ihl);
  if (udp === null) return XdpAction.PASS;
  return ntohs(udp.dest) === 53 ? XdpAction.DROP : XdpAction.PASS;
});
`;

test('xdp: drops UDP to port 53 after a variable-length IPv4 header, passes everything else', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(DNS);
  withProgram(m, ({ prog }) => {
    const run = (data: Uint8Array) => prog.testRun({ data }).retval;
    const DROP = 1;
    const PASS = 2;
    assert.equal(run(frame({ proto: 'udp', dport: 53 })), DROP);
    assert.equal(run(frame({ proto: 'udp', dport: 53, optWords: 3 })), DROP, 'IHL 8: UDP header found at 14 + 32');
    assert.equal(run(frame({ proto: 'udp', dport: 5353 })), PASS);
    assert.equal(run(frame({ proto: 'tcp', dport: 53 })), PASS, 'TCP to 53 is not UDP');
    assert.equal(run(frame({ proto: 'udp', dport: 53, etherType: 0x86dd })), PASS, 'not IPv4');
    // Truncated: the UDP header would end past data_end, so the view is null and the packet passes.
    assert.equal(run(frame({ proto: 'udp', dport: 53 }).subarray(0, 14 + 20 + 4)), PASS);
  });
});

const SYN = HEAD + `
export const synBySource = new HashMap<u32, u64>({ maxEntries: 64 });
export const countSyn = tc((ctx) => {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.proto !== htons(EtherType.IPV4)) return TcAction.OK;
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null || ip.protocol !== IpProto.TCP) return TcAction.OK;
  const tcp = ctx.header(TcpHdr, 14 + u32(ip.verIhl & 0xf) * 4);
  if (tcp === null) return TcAction.OK;
  if ((tcp.flags & TcpFlag.SYN) !== 0 && (tcp.flags & TcpFlag.ACK) === 0) {
    const src = ntohl(ip.saddr);
    const v = synBySource.lookup(src);
    if (v !== null) { atomicAdd(v, 1n); } else { synBySource.update(src, 1n); }
  }
  return TcAction.OK;
});
`;

test('tc: counts TCP SYNs (not SYN-ACKs, not UDP) per source address in a HashMap, host order keys', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(SYN);
  withProgram(m, ({ prog, maps }) => {
    const send = (f: Uint8Array) => assert.equal(prog.testRun({ data: f }).retval, 0);
    for (let i = 0; i < 3; i++) send(frame({ proto: 'tcp', src: 0x0a000001, flags: 0x02 }));
    send(frame({ proto: 'tcp', src: 0x0a000001, flags: 0x12 }));
    send(frame({ proto: 'tcp', src: 0xc0a80105, flags: 0x02, optWords: 2 }));
    send(frame({ proto: 'udp', src: 0x0a000009 }));
    const counts = maps.get('synBySource')!;
    assert.equal(counts.get(0x0a000001), 3n);
    assert.equal(counts.get(0xc0a80105), 1n);
    assert.equal(counts.get(0x0a000009), undefined);
  });
});

const TTL = HEAD + `
export const decTtl = xdp((ctx) => {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.ABORTED;
  if (ip.ttl <= 1) return XdpAction.DROP;
  ip.ttl -= 1;
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.ABORTED;
  const last: u8 = eth.dst[5];
  eth.dst[5] = eth.src[5];
  eth.src[5] = last;
  return XdpAction.TX;
});
`;

test('xdp: writes through header views (TTL decrement, MAC bytes swapped via constant array indexes)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(TTL);
  withProgram(m, ({ prog }) => {
    const r = prog.testRun({ data: frame({ proto: 'udp', ttl: 9 }) });
    assert.equal(r.retval, 3);
    assert.equal(r.data[22], 8);
    assert.equal(r.data[5], 2, 'dst[5] took src[5]');
    assert.equal(r.data[11], 1, 'src[5] took dst[5]');
    assert.equal(prog.testRun({ data: frame({ proto: 'udp', ttl: 1 }) }).retval, 1);
  });
});

test('header() bounds checks: instruction shape is data + off, + size, compared with data_end', () => {
  const m = compileOk(DNS);
  const n = m.programs[0]!.instructions.length;
  console.log(`dropDns: ${n} instructions`);
  assert.ok(n <= 45, `dropDns is ${n} instructions (43 when written)`);
});

const MISUSE: Array<[string, string, string]> = [
  ['LK3001 header view used before the null check',
    `export const p = xdp((ctx) => { const eth = ctx.header(EthHdr, 0); return eth!.proto === 0 ? XdpAction.DROP : XdpAction.PASS; });`, 'LK3001'],
  ['LK3010 header of a non-layout',
    `export const p = xdp((ctx) => { const h = ctx.header(ctx as never, 0); return h === null ? XdpAction.DROP : XdpAction.PASS; });`, 'LK3010'],
  ['LK2004 signed header offset',
    `export const p = xdp((ctx) => { const o = i32(14); const h = ctx.header(EthHdr, o); return h === null ? XdpAction.DROP : XdpAction.PASS; });`, 'LK2004'],
  ['LK3003 array index out of range',
    `export const p = xdp((ctx) => { const e = ctx.header(EthHdr, 0); if (e === null) return XdpAction.PASS; return e.dst[6] === 0 ? XdpAction.DROP : XdpAction.PASS; });`, 'LK3003'],
];

for (const [name, body, code] of MISUSE) {
  test(`diagnostic ${name}`, () => {
    const src = HEAD.replace(' } from', ', i32 } from') + body;
    const got = compileSource(src).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
    assert.ok(got.some((g) => g.endsWith(code)), `want ${code}, got ${JSON.stringify(got)}`);
  });
}
