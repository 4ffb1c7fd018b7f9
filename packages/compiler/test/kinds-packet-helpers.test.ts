// Packet-changing helpers as context methods: skb load/store bytes, checksum
// replace, adjust room, pull data, redirect (tc) and adjust head/tail/meta (xdp).
// Each program runs with BPF_PROG_TEST_RUN on a real frame; the test checks the
// bytes and length that come out (data_out), and recomputes the checksums.
// Header views taken before a packet-moving call are LK3002 after it; taken
// again, they work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDiagnostic } from '../src/index.js';
import { compileOk, compileSource, withProgram } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { tc, xdp, socketFilter, TcAction, XdpAction, EthHdr, Ipv4Hdr, TcpHdr, UdpHdr, struct, array, htonl, u8, u16, u32, u64, be32 } from '@lockne/kernel';\n`;
const TC_ACT_OK = 0;
const TC_ACT_SHOT = 2;
const TC_ACT_REDIRECT = 7;
const XDP_PASS = 2;

/** The one's complement sum of 16-bit big-endian words (an odd last byte padded), folded. */
function csumFold(...parts: Uint8Array[]): number {
  let sum = 0;
  for (const p of parts) for (let i = 0; i < p.length; i += 2) sum += (p[i]! << 8) | (p[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** A checksum field's value for data whose field is zero. */
const csum = (...parts: Uint8Array[]): number => (~csumFold(...parts)) & 0xffff;

/** The IPv4 pseudo header of an L4 segment. */
function pseudo(ip: Uint8Array, proto: number, l4len: number): Uint8Array {
  const p = new Uint8Array(12);
  p.set(ip.subarray(12, 20), 0);
  p[9] = proto;
  new DataView(p.buffer).setUint16(10, l4len);
  return p;
}

/** Ethernet + IPv4 (10.0.0.1 → 10.0.0.2) + TCP or UDP + 8 payload bytes, with valid checksums. */
function frame(proto: 'tcp' | 'udp'): Uint8Array {
  const l4 = proto === 'tcp' ? 20 : 8;
  const buf = new Uint8Array(14 + 20 + l4 + 8);
  const v = new DataView(buf.buffer);
  buf.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  v.setUint16(12, 0x0800);
  v.setUint8(14, 0x45);
  v.setUint16(16, 20 + l4 + 8);
  v.setUint8(22, 64);
  v.setUint8(23, proto === 'tcp' ? 6 : 17);
  v.setUint32(26, 0x0a000001);
  v.setUint32(30, 0x0a000002);
  v.setUint16(34, 40000);
  v.setUint16(36, 80);
  if (proto === 'tcp') { v.setUint32(38, 1234); v.setUint8(46, 5 << 4); v.setUint8(47, 0x18); v.setUint16(48, 512); }
  else v.setUint16(38, l4 + 8);
  buf.set([1, 2, 3, 4, 5, 6, 7, 8], 14 + 20 + l4);
  v.setUint16(24, csum(buf.subarray(14, 34)));
  const seg = buf.subarray(34);
  v.setUint16(proto === 'tcp' ? 50 : 40, csum(pseudo(buf.subarray(14, 34), proto === 'tcp' ? 6 : 17, seg.length), seg));
  return buf;
}

/** The first `n` bytes of `f`, as a frame of an unassigned EtherType (0x88b5, local experimental). */
function cut(f: Uint8Array, n: number): Uint8Array {
  const out = f.slice(0, n);
  out[12] = 0x88;
  out[13] = 0xb5;
  return out;
}

function assertValidChecksums(out: Uint8Array, proto: 'tcp' | 'udp'): void {
  assert.equal(csumFold(out.subarray(14, 34)), 0xffff, 'IPv4 header checksum is valid');
  const seg = out.subarray(34);
  assert.equal(csumFold(pseudo(out.subarray(14, 34), proto === 'tcp' ? 6 : 17, seg.length), seg), 0xffff, `${proto} checksum is valid`);
}

// 16 | 4: BPF_F_PSEUDO_HDR with a 4-byte field; UDP adds BPF_F_MARK_MANGLED_0 (32).
const REWRITE = HEAD + `
export const rewriteDst = tc((ctx) => {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null || (ip.protocol !== 6 && ip.protocol !== 17)) return TcAction.OK;
  const old = ip.daddr;
  const now = htonl(0x0a000063);
  const l4csum: u32 = ip.protocol === 6 ? 14 + 20 + 16 : 14 + 20 + 6;
  const flags: u64 = ip.protocol === 6 ? 16n | 4n : 32n | 16n | 4n;
  if (ctx.l4CsumReplace(l4csum, old, now, flags) !== 0n) return TcAction.SHOT;
  if (ctx.l3CsumReplace(14 + 10, old, now, 4) !== 0n) return TcAction.SHOT;
  if (ctx.storeBytes(be32, 14 + 16, now) !== 0n) return TcAction.SHOT;
  return TcAction.OK;
});
`;

test('tc: storeBytes rewrites the IPv4 destination, l3/l4CsumReplace leave valid IP, TCP and UDP checksums', (t) => {
  if (skipUnless(t, needRoot())) return;
  withProgram(compileOk(REWRITE), ({ prog }) => {
    for (const proto of ['tcp', 'udp'] as const) {
      const input = frame(proto);
      const r = prog.testRun({ data: input });
      assert.equal(r.retval, TC_ACT_OK, `${proto}: every helper returned 0`);
      assert.equal(r.data.length, input.length);
      assert.deepEqual([...r.data.subarray(30, 34)], [10, 0, 0, 99], `${proto}: daddr is 10.0.0.99`);
      assert.deepEqual([...r.data.subarray(26, 30)], [10, 0, 0, 1], `${proto}: saddr unchanged`);
      assert.notDeepEqual([...r.data.subarray(24, 26)], [...input.subarray(24, 26)], `${proto}: the IP checksum changed`);
      assertValidChecksums(r.data, proto);
      assert.deepEqual([...r.data.subarray(r.data.length - 8)], [1, 2, 3, 4, 5, 6, 7, 8], `${proto}: payload unchanged`);
    }
  });
});

const ADJUST_ROOM = HEAD + `
export const grow = tc((ctx) => {
  const r = ctx.adjustRoom(8, 0);            // BPF_ADJ_ROOM_NET: after the IPv4 header
  if (r !== 0n) return TcAction.SHOT;
  return TcAction.OK;
});
export const shrink = tc((ctx) => ctx.adjustRoom(-8, 0, 0n) === 0n ? TcAction.OK : TcAction.SHOT);
`;

test('tc: adjustRoom(+8, NET) makes data_out 8 bytes longer after the IPv4 header; -8 makes it shorter', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(ADJUST_ROOM);
  const input = frame('tcp');
  withProgram(m, ({ prog }) => {
    const r = prog.testRun({ data: input });
    assert.equal(r.retval, TC_ACT_OK);
    assert.equal(r.data.length, input.length + 8);
    assert.deepEqual([...r.data.subarray(0, 34)], [...input.subarray(0, 34)], 'Ethernet and IPv4 headers stay in front');
    assert.deepEqual([...r.data.subarray(42)], [...input.subarray(34)], 'the TCP segment follows the 8 new bytes');
  }, 'grow');
  withProgram(m, ({ prog }) => {
    const r = prog.testRun({ data: input });
    assert.equal(r.retval, TC_ACT_OK);
    assert.equal(r.data.length, input.length - 8);
    assert.deepEqual([...r.data.subarray(0, 34)], [...input.subarray(0, 34)]);
    assert.deepEqual([...r.data.subarray(34)], [...input.subarray(42)], '8 bytes after the IPv4 header are gone');
  }, 'shrink');
});

const LOAD = HEAD + `
export const Ports = struct('ports', { src: u16, dst: u16 });
export const byLoad = tc((ctx) => {
  const ip = ctx.loadBytes(Ipv4Hdr, 14);
  if (ip === null) return TcAction.UNSPEC;
  const p = ctx.loadBytes(Ports, 14 + 20);
  if (p === null) return TcAction.PIPE;
  // 40000 → 0x9c40 read as a little-endian u16 of big-endian bytes: 0x409c.
  return p.src === 0x409c && ip.ttl === 64 ? TcAction.SHOT : TcAction.OK;
});
export const filter = socketFilter((ctx) => {
  const ip = ctx.loadBytes(array(u8, 20), 0);  // a socket filter's data starts at the network header
  if (ip === null) return 1;
  return u32(ip[8]);                           // the TTL: keep that many bytes
});
`;

test('loadBytes: copies headers into the stack (tc, socketFilter); null past the end', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(LOAD);
  const input = frame('tcp');
  withProgram(m, ({ prog }) => {
    assert.equal(prog.testRun({ data: input }).retval, TC_ACT_SHOT, 'ttl 64 and source port 40000 read');
    const other = input.slice();
    other[22] = 63;
    assert.equal(prog.testRun({ data: other }).retval, TC_ACT_OK, 'ttl 63 read');
    assert.equal(prog.testRun({ data: input.subarray(0, 14 + 20 + 2) }).retval, 3, 'ports cut short: null (PIPE)');
    // The kernel's test run refuses an IPv4 frame shorter than an IPv4 header (EINVAL): another EtherType.
    assert.equal(prog.testRun({ data: cut(input, 14 + 10) }).retval | 0, -1, 'IPv4 header cut short: null (UNSPEC)');
  }, 'byLoad');
  withProgram(m, ({ prog }) => {
    assert.equal(prog.testRun({ data: input }).retval, 64, 'TTL read at offset 8 of the network header');
    assert.equal(prog.testRun({ data: cut(input, 14 + 12) }).retval, 1, 'a 12-byte packet: null');
  }, 'filter');
});

const MISC = HEAD + `
export const redirectOut = tc((ctx) => ctx.redirect(1));
export const redirectBadFlags = tc((ctx) => ctx.redirect(1, 0x80));
export const pullThenRead = tc((ctx) => {
  if (ctx.pullData(0) !== 0n) return TcAction.SHOT;
  const ip = ctx.header(Ipv4Hdr, 14);
  return ip !== null && ip.ttl === 64 ? TcAction.OK : TcAction.SHOT;
});
`;

test('tc: redirect returns TC_ACT_REDIRECT (SHOT on bad flags); pullData then a fresh header view', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(MISC);
  const input = frame('udp');
  withProgram(m, ({ prog }) => assert.equal(prog.testRun({ data: input }).retval, TC_ACT_REDIRECT), 'redirectOut');
  withProgram(m, ({ prog }) => assert.equal(prog.testRun({ data: input }).retval, TC_ACT_SHOT), 'redirectBadFlags');
  withProgram(m, ({ prog }) => assert.equal(prog.testRun({ data: input }).retval, TC_ACT_OK), 'pullThenRead');
});

const XDP = HEAD + `
export const stripEth = xdp((ctx) => {
  if (ctx.adjustHead(14) !== 0n) return XdpAction.ABORTED;
  const ip = ctx.header(Ipv4Hdr, 0);          // taken again: the packet now starts at the IPv4 header
  if (ip === null || ip.ttl !== 64) return XdpAction.DROP;
  return XdpAction.PASS;
});
export const trim = xdp((ctx) => ctx.adjustTail(-4) === 0n ? XdpAction.PASS : XdpAction.ABORTED);
export const meta = xdp((ctx) => ctx.adjustMeta(-8) === 0n ? XdpAction.PASS : XdpAction.ABORTED);
export const pushEth = xdp((ctx) => {
  const old = ctx.header(EthHdr, 0);
  if (old === null) return XdpAction.DROP;
  const proto = old.proto;
  if (ctx.adjustHead(-14) !== 0n) return XdpAction.ABORTED;
  const eth = ctx.header(EthHdr, 0);
  if (eth === null) return XdpAction.DROP;
  for (let i: u32 = 0; i < 6; i++) { eth.dst[i] = 0xaa; eth.src[i] = 0xbb; }
  eth.proto = proto;
  return XdpAction.PASS;
});
`;

test('xdp: adjustHead(14) strips the Ethernet header, adjustTail(-4) trims, adjustMeta(-8) prepends metadata, adjustHead(-14) pushes a header', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(XDP);
  const input = frame('udp');
  withProgram(m, ({ prog }) => {
    const r = prog.testRun({ data: input });
    assert.equal(r.retval, XDP_PASS, 'the view taken after adjustHead reads the TTL at its new offset');
    assert.deepEqual([...r.data], [...input.subarray(14)]);
  }, 'stripEth');
  withProgram(m, ({ prog }) => {
    const r = prog.testRun({ data: input });
    assert.equal(r.retval, XDP_PASS);
    assert.deepEqual([...r.data], [...input.subarray(0, input.length - 4)]);
  }, 'trim');
  withProgram(m, ({ prog }) => {
    const r = prog.testRun({ data: input });
    assert.equal(r.retval, XDP_PASS);
    // data_out starts at data_meta: 8 bytes of metadata, then the frame.
    assert.equal(r.data.length, input.length + 8);
    assert.deepEqual([...r.data.subarray(8)], [...input]);
  }, 'meta');
  withProgram(m, ({ prog }) => {
    const r = prog.testRun({ data: input });
    assert.equal(r.retval, XDP_PASS);
    assert.equal(r.data.length, input.length + 14);
    assert.deepEqual([...r.data.subarray(0, 14)], [...Array(6).fill(0xaa), ...Array(6).fill(0xbb), 0x08, 0x00]);
    assert.deepEqual([...r.data.subarray(14)], [...input]);
  }, 'pushEth');
});

const diags = (src: string): string[] => compileSource(HEAD + src).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);

test('LK3002: a view read after a packet-moving call on some path, or in the next loop iteration; taken again it is fine', () => {
  // Straight line (line numbers count HEAD's import as line 1).
  assert.deepEqual(diags(`export const p = xdp((ctx) => {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.PASS;
  ctx.adjustTail(-4);
  return ip.ttl === 3 ? XdpAction.DROP : XdpAction.PASS;
});`), ['6:10 LK3002']);
  // On one branch only: still stale after the join; the other uses are fine.
  assert.deepEqual(diags(`export const p = tc((ctx) => {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return TcAction.OK;
  const ttl = ip.ttl;
  if (ttl === 1) ctx.storeBytes(u8, 22, 64);
  else if (ip.tos === 0) return TcAction.OK;
  const again = ctx.header(Ipv4Hdr, 14);
  if (again !== null && again.ttl === 64) return TcAction.SHOT;
  return ip.protocol === 6 ? TcAction.OK : TcAction.SHOT;
});`), ['10:10 LK3002']);
  // A loop: read first, invalidated later in the body, so the next iteration reads a stale view.
  const loop = compileSource(HEAD + `export const p = tc((ctx) => {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return TcAction.OK;
  let n: u32 = 0;
  for (let i: u32 = 0; i < 100; i++) {
    n += u32(ip.ttl);
    ctx.l3CsumReplace(24, 0, 0, 2);
  }
  return n === 0 ? TcAction.OK : TcAction.SHOT;
});`).diagnostics;
  assert.deepEqual(loop.map((d) => `${d.line}:${d.column} ${d.code}`), ['7:14 LK3002']);
  assert.match(formatDiagnostic(loop[0]!), /'ip' points into the packet as it was before ctx\.l3CsumReplace\(\) at line 8/);
  // Taken again inside the loop after the call: fine, and the verifier agrees (the positive tests load).
  assert.deepEqual(diags(`export const p = tc((ctx) => {
  let n: u32 = 0;
  for (let i: u32 = 0; i < 100; i++) {
    const ip = ctx.header(Ipv4Hdr, 14);
    if (ip === null) return TcAction.OK;
    n += u32(ip.ttl);
    ctx.l3CsumReplace(24, 0, 0, 2);
  }
  return n === 0 ? TcAction.OK : TcAction.SHOT;
});`), []);
  // loadBytes copies are the program's own: no helper invalidates them.
  assert.deepEqual(diags(`export const p = tc((ctx) => {
  const ip = ctx.loadBytes(Ipv4Hdr, 14);
  if (ip === null) return TcAction.OK;
  ctx.storeBytes(u8, 22, 1);
  return ip.ttl === 3 ? TcAction.SHOT : TcAction.OK;
});`), []);
});

test('LK3002 case loads once fixed: the view taken again after storeBytes reads the new byte', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(HEAD + `export const p = tc((ctx) => {
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return TcAction.OK;
  if (ctx.storeBytes(u8, 22, u8(ip.ttl - 60)) !== 0n) return TcAction.OK;
  const again = ctx.header(Ipv4Hdr, 14);
  if (again === null) return TcAction.OK;
  return u32(again.ttl);
});`);
  withProgram(m, ({ prog }) => {
    const r = prog.testRun({ data: frame('tcp') });
    assert.equal(r.retval, 4, 'TTL 64 - 60 written, then read through the new view');
    assert.equal(r.data[22], 4);
  });
});

test('misuse: loadBytes of an integer (LK3010), tc-only helpers refused elsewhere (LK6001)', () => {
  assert.deepEqual(diags(`export const p = tc((ctx) => { const v = ctx.loadBytes(u32, 26); return v === null ? TcAction.OK : TcAction.SHOT; });`), ['2:56 LK3010']);
  assert.deepEqual(diags(`export const p = socketFilter((ctx) => { (ctx as any).storeBytes(u8, 0, 1); return 0; });`).filter((d) => d.endsWith('LK6001')), ['2:42 LK6001']);
  // Socket filters have no data/data_end: header() is refused (the type lacks it; a cast reaches the compiler).
  assert.deepEqual(diags(`export const p = socketFilter((ctx) => ((ctx as any).header(u8, 0) === null ? 0 : 1));`).filter((d) => d.endsWith('LK6001')), ['2:41 LK6001']);
});
