// LpmTrie compiled from *.bpf.ts: the object holds an LPM_TRIE (11) with
// map_flags BPF_F_NO_PREALLOC and the key's BTF struct; loaded with BpfObject,
// userspace stores CIDR prefixes (ipv4Prefix codec) and an XDP program looking
// up the packet's IPv4 source with a full-length key drops the blocked /8 but
// passes a /32 exception stored with a different value (longest prefix wins).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject, ipv4Prefix, ipv6Prefix, u32 as u32Codec, type Codec } from '@lockne/bpf';
import { parseObject } from '@lockne/obj';
import { LpmTrie, LpmKeyV4, LpmKeyV6, lpmKey, LPM_NO_PREALLOC, MapTypes, struct, array, be16, be32, u8, u64 } from '@lockne/kernel';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const BLOCK = 1;
const ALLOW = 2;

const FIREWALL = `import { xdp, XdpAction, Ipv4Hdr, EthHdr, EtherType, LpmTrie, LpmKeyV4, ArrayMap, htons, u32 } from '@lockne/kernel';
export const rules = new LpmTrie<LpmKeyV4, u32>({ maxEntries: 64, key: LpmKeyV4, value: u32 });
export const lastRule = new ArrayMap<u32>({ maxEntries: 1 });
export const firewall = xdp((ctx) => {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.proto !== htons(EtherType.IPV4)) return XdpAction.PASS;
  const ip = ctx.header(Ipv4Hdr, 14);
  if (ip === null) return XdpAction.PASS;
  const key: LpmKeyV4 = { prefixlen: 32, addr: ip.saddr };
  const rule = rules.lookup(key);
  const seen = lastRule.lookup(0);
  if (seen !== null) seen.value = rule === null ? 0 : rule.value;
  if (rule !== null && rule.value === ${BLOCK}) return XdpAction.DROP;
  return XdpAction.PASS;
});
`;

/** Ethernet + IPv4 header from `src` (dotted quad). */
function ipv4Packet(src: string): Uint8Array {
  const b = new Uint8Array(64);
  const v = new DataView(b.buffer);
  v.setUint16(12, 0x0800);
  v.setUint8(14, 0x45);
  v.setUint8(23, 17);
  src.split('.').forEach((o, i) => v.setUint8(26 + i, Number(o)));
  v.setUint32(30, 0x0a000002);
  return b;
}

function enc<T>(c: Codec<T>, v: T): Uint8Array {
  const out = new Uint8Array(c.size);
  c.encode(v, out);
  return out;
}

function objectOf(source: string, file = '/virtual/lpm.bpf.ts'): Uint8Array {
  const r = compile(file, { source });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  assert.ok(r.object);
  return r.object;
}

test('@lockne/kernel LpmTrie in Node: LPM_TRIE descriptor with BPF_F_NO_PREALLOC, key layouts', () => {
  const m = new LpmTrie({ maxEntries: 16, key: LpmKeyV4, value: u64 });
  assert.equal(m.type, 'LPM_TRIE');
  assert.equal(m.mapType, MapTypes.LPM_TRIE);
  assert.equal(m.mapType, 11);
  assert.equal(m.flags, LPM_NO_PREALLOC);
  assert.equal(new LpmTrie({ maxEntries: 1, key: LpmKeyV4, value: u64, flags: 0x8 }).flags, 0x9, 'caller flags are kept, NO_PREALLOC added');
  assert.deepEqual(LpmKeyV4.fields.map((f) => [f.name, f.offset]), [['prefixlen', 0], ['addr', 4]]);
  assert.equal(LpmKeyV4.size, 8);
  assert.equal(LpmKeyV6.size, 20);
  const k = lpmKey(struct('v4_port', { addr: be32, port: be16, pad: be16 }));
  assert.equal(k.name, 'struct lpm_key_v4_port');
  assert.equal(k.size, 12);
  assert.throws(() => lpmKey(u64), /lpmKey\(__u64\): data must follow prefixlen without padding/);
  assert.throws(() => lpmKey(array(u8, 3)), /no trailing padding/);
  assert.throws(() => lpmKey(u64), TypeError);
});

test('LpmTrie in the object: type LPM_TRIE (11), map_flags NO_PREALLOC (1), 8-byte struct key, u32 value', () => {
  const spec = parseObject(objectOf(FIREWALL));
  const rules = spec.maps.find((m) => m.name === 'rules');
  assert.ok(rules, `maps: ${spec.maps.map((m) => m.name).join(', ')}`);
  assert.equal(rules.type, 11);
  assert.equal(rules.flags, 1);
  assert.equal(rules.keySize, 8);
  assert.equal(rules.valueSize, 4);
  assert.equal(rules.maxEntries, 64);
  assert.ok(rules.btfKeyTypeId > 0, 'the key has BTF (the kernel wants a struct key type for LPM_TRIE)');
  const other = spec.maps.find((m) => m.name === 'lastRule')!;
  assert.equal(other.flags, 0, 'other maps keep map_flags 0');
});

test('LpmTrie firewall: 10.0.0.0/8 dropped, its /32 exception passes with its own value, other sources pass', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectOf(FIREWALL), { requireBtf: true });
  try {
    const rules = obj.map('rules');
    assert.equal(rules.info().type, 11);
    assert.equal(rules.info().flags & 1, 1, 'created with BPF_F_NO_PREALLOC');
    rules.setBytes(enc(ipv4Prefix, '10.0.0.0/8'), enc(u32Codec, BLOCK));
    rules.setBytes(enc(ipv4Prefix, '10.9.9.9/32'), enc(u32Codec, ALLOW));
    const prog = obj.program('firewall');
    const last = obj.map<number, number>('lastRule');
    const run = (src: string): [number, number] => [prog.testRun({ data: ipv4Packet(src) }).retval, last.get(0)!];
    assert.deepEqual(run('10.1.2.3'), [1, BLOCK], '10.1.2.3 matches 10.0.0.0/8: XDP_DROP');
    assert.deepEqual(run('10.255.0.1'), [1, BLOCK], 'the whole /8');
    assert.deepEqual(run('10.9.9.9'), [2, ALLOW], 'the /32 exception is the longest prefix: XDP_PASS');
    assert.deepEqual(run('10.9.9.8'), [1, BLOCK], 'its neighbour is not excepted');
    assert.deepEqual(run('192.168.1.1'), [2, 0], 'outside every prefix: no match, XDP_PASS');
    assert.deepEqual(run('11.0.0.1'), [2, 0]);
    // Removing the /8 unblocks the range; the exception still matches itself.
    assert.equal(rules.deleteBytes(enc(ipv4Prefix, '10.0.0.0/8')), true);
    assert.deepEqual(run('10.1.2.3'), [2, 0]);
    assert.deepEqual(run('10.9.9.9'), [2, ALLOW]);
  } finally {
    obj.close();
  }
});

const IN_PROGRAM = `import { tc, TcAction, LpmTrie, LpmKeyV4, ArrayMap, u32, u64 } from '@lockne/kernel';
export const routes = new LpmTrie<LpmKeyV4, u64>({ maxEntries: 8, key: LpmKeyV4, value: u64 });
export const out = new ArrayMap<u64>({ maxEntries: 4 });
export const learn = tc((ctx) => {
  // 0x0000a8c0 as a u32 is 192.168.0.0 in memory order (the key stores network bytes).
  routes.update({ prefixlen: 16, addr: 0x0000a8c0 }, 7n);
  const hit = routes.lookup({ prefixlen: 32, addr: 0x0501a8c0 });
  const miss = routes.lookup({ prefixlen: 32, addr: 0x0501a9c0 });
  const a = out.lookup(0);
  const b = out.lookup(1);
  if (a !== null && hit !== null) a.value = hit.value;
  if (b !== null) b.value = miss === null ? 99n : miss.value;
  const d = out.lookup(2);
  if (d !== null) d.value = u64(u32(routes.delete({ prefixlen: 16, addr: 0x0000a8c0 }) === 0n ? 1 : 0));
  const gone = routes.lookup({ prefixlen: 32, addr: 0x0501a8c0 });
  const g = out.lookup(3);
  if (g !== null) g.value = gone === null ? 1n : 0n;
  return TcAction.OK;
});
`;

test('LpmTrie update/lookup/delete inside a program, key literals inline; userspace sees the prefix it stored', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectOf(IN_PROGRAM), { requireBtf: true });
  try {
    assert.equal(obj.program('learn').testRun({ data: new Uint8Array(64) }).retval, 0);
    const out = obj.map<number, bigint>('out');
    assert.equal(out.get(0), 7n, '192.168.5.1 found under 192.168.0.0/16');
    assert.equal(out.get(1), 99n, '192.169.5.1 is outside it');
    assert.equal(out.get(2), 1n, 'delete of the stored prefix returned 0');
    assert.equal(out.get(3), 1n, 'after delete the lookup misses');
    // Re-run without the delete half visible: the program stored 192.168.0.0/16 through the same key layout userspace uses.
    const routes = obj.map('routes');
    routes.setBytes(enc(ipv4Prefix, '192.168.0.0/16'), new Uint8Array(8).fill(0));
    assert.ok(routes.getBytes(enc(ipv4Prefix, '192.168.77.1/32')), 'userspace /16 matches a full-length lookup');
  } finally {
    obj.close();
  }
});

const V6 = `import { xdp, XdpAction, Ipv6Hdr, LpmTrie, LpmKeyV6, u32 } from '@lockne/kernel';
export const nets6 = new LpmTrie<LpmKeyV6, u32>({ maxEntries: 16, key: LpmKeyV6, value: u32 });
export const v6 = xdp((ctx) => {
  const ip = ctx.header(Ipv6Hdr, 14);
  if (ip === null) return XdpAction.PASS;
  const key: LpmKeyV6 = { prefixlen: 128, addr: ip.saddr };
  const r = nets6.lookup(key);
  return r !== null && r.value === 1 ? XdpAction.DROP : XdpAction.PASS;
});
`;

test('LpmKeyV6: the IPv6 source address copied into a 20-byte key, 2001:db8::/32 dropped', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectOf(V6), { requireBtf: true });
  try {
    assert.equal(obj.map('nets6').info().keySize, 20);
    obj.map('nets6').setBytes(enc(ipv6Prefix, '2001:db8::/32'), enc(u32Codec, 1));
    const pkt = (first: number[]): Uint8Array => {
      const b = new Uint8Array(64);
      b.set([0x86, 0xdd], 12);
      b[14] = 0x60;
      b.set(first, 22);
      return b;
    };
    const prog = obj.program('v6');
    assert.equal(prog.testRun({ data: pkt([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1]) }).retval, 1);
    assert.equal(prog.testRun({ data: pkt([0x20, 0x01, 0x0d, 0xb9]) }).retval, 2);
  } finally {
    obj.close();
  }
});

test('lpmKey(data) in a *.bpf.ts: custom key struct in the object (12 bytes: prefixlen + addr/port/pad)', () => {
  const spec = parseObject(objectOf(`import { xdp, XdpAction, LpmTrie, lpmKey, struct, be16, be32, u32, type Infer } from '@lockne/kernel';
export const PortKey = lpmKey(struct('v4_port', { addr: be32, port: be16, pad: be16 }));
export type PortKey = Infer<typeof PortKey>;
export const byPort = new LpmTrie<PortKey, u32>({ maxEntries: 8, key: PortKey, value: u32 });
export const p = xdp((ctx) => XdpAction.PASS);
`));
  const m = spec.maps.find((x) => x.name === 'byPort')!;
  assert.deepEqual([m.type, m.flags, m.keySize], [11, 1, 12]);
});

const BAD_KEYS: Array<[string, string, string]> = [
  ['a struct without prefixlen first', `export const K = struct('k', { addr: be32, prefixlen: u32 });\nexport type K = Infer<typeof K>;\nexport const t = new LpmTrie<K, u32>({ maxEntries: 4, key: K });`, 'does not start with prefixlen: u32'],
  ['a prefixlen-only struct', `export const K = struct('k', { prefixlen: u32 });\nexport type K = Infer<typeof K>;\nexport const t = new LpmTrie<K, u32>({ maxEntries: 4, key: K });`, 'has no data after prefixlen'],
  ['a key with trailing padding', `export const K = struct('k', { prefixlen: u32, b: u8 });\nexport type K = Infer<typeof K>;\nexport const t = new LpmTrie<K, u32>({ maxEntries: 4, key: K });`, 'has padding'],
];

for (const [name, decl, why] of BAD_KEYS) {
  test(`LpmTrie with ${name}: LK3010 at the declaration`, () => {
    const src = `import { xdp, XdpAction, LpmTrie, struct, be32, u8, u32, type Infer } from '@lockne/kernel';\n${decl}\nexport const p = xdp((ctx) => XdpAction.PASS);\n`;
    const ds = compileSource(src).diagnostics;
    const line = decl.split('\n').length + 1;
    const d = ds.find((x) => x.code === 'LK3010');
    assert.ok(d, `want LK3010, got ${JSON.stringify(ds.map(formatDiagnostic))}`);
    assert.equal(`${d.line}:${d.column}`, `${line}:14`);
    assert.match(d.message, new RegExp(`LpmTrie 't': the key ${why}`));
  });
}

test('LpmTrie with an integer key: tsc rejects it (K extends LpmKeyShape), TS2344, no object', () => {
  const r = compile('/virtual/lpm-bad.bpf.ts', { source: `import { xdp, XdpAction, LpmTrie, u32 } from '@lockne/kernel';
export const t = new LpmTrie<u32, u32>({ maxEntries: 4 });
export const p = xdp((ctx) => XdpAction.PASS);
` });
  assert.deepEqual(r.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`), ['2:30 TS2344']);
  assert.match(r.diagnostics[0]!.message, /LpmKeyShape/);
  assert.equal(r.object, undefined);
});
