// Codecs: C layout (checked against the C compiler), integer ranges, strings,
// addresses, LPM keys, per-CPU buffers, errors that name the field; and a
// fuzz over wrong key/value sizes that must be refused before any bpf() call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ArgumentError, BpfMap, CodecError, HashMap, PerCpuHashMap, ArrayMap, QueueMap, native,
  array, bool, bytes, cstring, i16, i32, i64, i8, ipv4, ipv4Prefix, ipv6, ipv6Prefix, lpmKey, mac, perCpu, struct,
  u16, u16be, u32, u32be, u64, u8, type Codec,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

function roundTrip<T>(c: Codec<T>, v: T): { bytes: Uint8Array; back: T } {
  const out = new Uint8Array(c.size);
  c.encode(v, out);
  return { bytes: out, back: c.decode(out) };
}

test('integers: little-endian, ranges enforced, 64-bit exact as bigint', () => {
  assert.deepEqual([...roundTrip(u32, 0x01020304).bytes], [4, 3, 2, 1]);
  assert.deepEqual([...roundTrip(u16be, 0x1234).bytes], [0x12, 0x34]);
  assert.deepEqual([...roundTrip(u32be, 0x0a000001).bytes], [10, 0, 0, 1]);
  assert.equal(roundTrip(i8, -1).back, -1);
  assert.equal(roundTrip(i16, -300).back, -300);
  assert.equal(roundTrip(i32, -(2 ** 31)).back, -(2 ** 31));
  assert.equal(roundTrip(u64, 2n ** 64n - 1n).back, 2n ** 64n - 1n);
  assert.equal(roundTrip(i64, -(2n ** 63n)).back, -(2n ** 63n));
  assert.equal(roundTrip(u64, 5 as unknown as bigint).back, 5n); // safe integers accepted
  assert.equal(roundTrip(bool, true).back, true);
  for (const [c, v] of [[u8, 256], [u8, -1], [u16, 65536], [u32, 2 ** 32], [i32, 2 ** 31], [u32, 1.5], [u32, '1']] as const) {
    assert.throws(() => (c as Codec<unknown>).encode(v, new Uint8Array(8)), ArgumentError);
  }
  assert.throws(() => u64.encode(2n ** 64n, new Uint8Array(8)), /u64: 18446744073709551616 does not fit/);
  assert.throws(() => i64.encode(2n ** 63n, new Uint8Array(8)), /does not fit a signed 64-bit/);
  assert.throws(() => u64.encode(2 ** 60 as unknown as bigint, new Uint8Array(8)), /expected a bigint/);
});

test('struct layout matches the C compiler (natural alignment and packed)', (t) => {
  const flow = struct({ proto: u8, sport: u16be, saddr: u32be, bytes: u64, comm: cstring(5), flag: bool });
  const packed = struct({ proto: u8, sport: u16, bytes: u64, tail: u8 }, { packed: true });
  const nested = struct({ a: u8, inner: struct({ x: u16, y: u64 }), ports: array(u16, 3), z: u8 });
  const c = `#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdbool.h>
struct flow { uint8_t proto; uint16_t sport; uint32_t saddr; uint64_t bytes; char comm[5]; bool flag; };
struct __attribute__((packed)) pk { uint8_t proto; uint16_t sport; uint64_t bytes; uint8_t tail; };
struct inner { uint16_t x; uint64_t y; };
struct nested { uint8_t a; struct inner inner; uint16_t ports[3]; uint8_t z; };
#define P(s, f) printf(#s "." #f " %zu\\n", offsetof(struct s, f))
int main(void) {
  printf("flow %zu\\npk %zu\\nnested %zu\\n", sizeof(struct flow), sizeof(struct pk), sizeof(struct nested));
  P(flow, proto); P(flow, sport); P(flow, saddr); P(flow, bytes); P(flow, comm); P(flow, flag);
  P(pk, proto); P(pk, sport); P(pk, bytes); P(pk, tail);
  P(nested, a); P(nested, inner); P(nested, ports); P(nested, z);
  return 0;
}
`;
  let out: string;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockne-codec-'));
  try {
    fs.writeFileSync(path.join(dir, 'l.c'), c);
    try {
      execFileSync('cc', ['-o', path.join(dir, 'l'), path.join(dir, 'l.c')], { stdio: 'pipe' });
    } catch {
      t.skip('no C compiler');
      return;
    }
    out = execFileSync(path.join(dir, 'l'), { encoding: 'utf8' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const want = new Map(out.trim().split('\n').map((l) => { const [k, v] = l.split(' '); return [k!, Number(v)] as const; }));
  const ours = new Map<string, number>([
    ['flow', flow.size], ['pk', packed.size], ['nested', nested.size],
    ...Object.entries(flow.offsets).map(([k, v]) => [`flow.${k}`, v] as [string, number]),
    ...Object.entries(packed.offsets).map(([k, v]) => [`pk.${k}`, v] as [string, number]),
    ...Object.entries(nested.offsets).map(([k, v]) => [`nested.${k}`, v] as [string, number]),
  ]);
  assert.deepEqual(Object.fromEntries(ours), Object.fromEntries(want));
  const v = { proto: 6, sport: 443, saddr: 0x0a000001, bytes: 2n ** 60n, comm: 'curl', flag: true };
  assert.deepEqual(roundTrip(flow, v).back, v);
  const n = { a: 1, inner: { x: 2, y: 3n }, ports: [80, 443, 8080], z: 9 };
  assert.deepEqual(roundTrip(nested, n).back, n);
});

test('codec errors name the field, however deep', () => {
  const hdr = struct({ kind: u8, ports: array(u16, 2), name: cstring(8) });
  const outer = struct({ hdr, count: u32 });
  const buf = new Uint8Array(outer.size);
  const ok = { hdr: { kind: 1, ports: [1, 2], name: 'x' }, count: 0 };
  assert.throws(() => outer.encode({ ...ok, hdr: { ...ok.hdr, ports: [1, 70000] } }, buf), (e: unknown) => {
    assert.ok(e instanceof CodecError && e instanceof ArgumentError);
    assert.equal(e.path, 'hdr.ports[1]');
    assert.match(e.message, /^field hdr\.ports\[1\]: u16: 70000 is not an integer in \[0, 65535\]$/);
    return true;
  });
  assert.throws(() => outer.encode({ ...ok, hdr: { ...ok.hdr, name: 'much too long' } }, buf),
    /field hdr\.name: cstring\(8\): 'much too long' is 13 bytes, at most 7 fit/);
  assert.throws(() => outer.encode({ hdr: ok.hdr } as unknown as typeof ok, buf), /field count: missing/);
  assert.throws(() => outer.encode({ ...ok, extra: 1 } as unknown as typeof ok, buf), /field extra: unknown field \(the struct has hdr, count\)/);
  assert.throws(() => outer.encode({ ...ok, hdr: { ...ok.hdr, ports: [1] } }, buf), /field hdr\.ports: array\(2\): expected 2 elements, got 1/);
});

test('strings, addresses, MAC, LPM keys', () => {
  assert.deepEqual([...roundTrip(cstring(6), 'héllo'.slice(0, 4)).bytes], [0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0]);
  assert.equal(roundTrip(cstring(4), 'abc').back, 'abc');
  assert.deepEqual([...roundTrip(ipv4, '10.1.2.3').bytes], [10, 1, 2, 3]);
  for (const bad of ['10.1.2', '10.1.2.256', '01.1.1.1', 'a.b.c.d', '']) assert.throws(() => ipv4.encode(bad, new Uint8Array(4)), /ipv4/);
  const cases: [string, string][] = [
    ['2001:db8::1', '2001:db8::1'], ['::', '::'], ['::1', '::1'], ['fe80:0:0:0:1:0:0:1', 'fe80::1:0:0:1'],
    ['2001:DB8:0:0:1:0:0:0', '2001:db8:0:0:1::'], ['::ffff:10.1.2.3', '::ffff:a01:203'], ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
  ];
  for (const [input, canon] of cases) assert.equal(roundTrip(ipv6, input).back, canon, input);
  assert.deepEqual([...roundTrip(ipv6, '::1').bytes], [...Array<number>(15).fill(0), 1]);
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '1:2:3:4:5:6:7']) assert.throws(() => ipv6.encode(bad, new Uint8Array(16)), /ipv6/, bad);
  assert.equal(roundTrip(mac, 'AA:bb:0c:dd:ee:0f').back, 'aa:bb:0c:dd:ee:0f');
  const k = roundTrip(ipv4Prefix, '10.1.0.0/16');
  assert.deepEqual([...k.bytes], [16, 0, 0, 0, 10, 1, 0, 0]);
  assert.equal(k.back, '10.1.0.0/16');
  assert.equal(roundTrip(ipv4Prefix, '10.1.2.3').back, '10.1.2.3/32');
  assert.equal(roundTrip(ipv6Prefix, '2001:db8::/32').back, '2001:db8::/32');
  assert.throws(() => ipv4Prefix.encode('10.0.0.0/33', new Uint8Array(8)), /field prefixlen: prefix length 33 is not in \[0, 32\]/);
  const custom = lpmKey(struct({ port: u16be, proto: u8 }, { packed: true }));
  assert.equal(custom.size, 7);
  assert.deepEqual(roundTrip(custom, { prefixlen: 20, data: { port: 53, proto: 17 } }).back, { prefixlen: 20, data: { port: 53, proto: 17 } });
});

test('per-CPU buffers: one 8-byte-aligned slot per CPU', () => {
  const c = perCpu(u32, 3);
  assert.equal(c.size, 24);
  const { bytes: b, back } = roundTrip(c, [1, 2, 3]);
  assert.deepEqual([...b.subarray(0, 12)], [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0]);
  assert.deepEqual(back, [1, 2, 3]);
  assert.equal(perCpu(struct({ a: u64, b: u8 }), 2).size, 32);
  assert.throws(() => c.encode([1, 2], new Uint8Array(24)), /expected 3 values \(one per possible CPU\), got 2/);
  assert.throws(() => c.encode([1, -2, 3], new Uint8Array(24)), /field cpu\[1\]: u32: -2/);
  assert.deepEqual(roundTrip(bytes(3), new Uint8Array([1, 2, 3])).back, new Uint8Array([1, 2, 3]));
});

test('fuzz: wrong sizes and bad values are refused before any bpf() call', (t) => {
  if (skipUnless(t, needRoot())) return;
  const raw = BpfMap.create({ type: 'HASH', keySize: 4, valueSize: 8, maxEntries: 4, name: 'lk_fuzz_raw' });
  const typed = HashMap.create({ key: struct({ a: u32, b: u16 }), value: u64, maxEntries: 4, name: 'lk_fuzz_typed' });
  const pcpu = PerCpuHashMap.create({ key: u32, value: u32, maxEntries: 4, name: 'lk_fuzz_pcpu' });
  const arr = ArrayMap.create({ value: u32, maxEntries: 4, name: 'lk_fuzz_arr' });
  const q = QueueMap.create({ value: u32, maxEntries: 4, name: 'lk_fuzz_q' });
  const realBpf = native.bpf;
  const realBpf2 = native.bpf2;
  let calls = 0;
  native.bpf = (...a) => { calls++; return realBpf(...a); };
  native.bpf2 = (...a) => { calls++; return realBpf2(...a); };
  // A small deterministic PRNG: the failures reproduce.
  let seed = 0x1234567;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  let refused = 0;
  try {
    for (let i = 0; i < 500; i++) {
      const kLen = rnd(3) === 0 ? 4 : [0, 1, 3, 5, 8, 16][rnd(6)]!;
      const vLen = kLen === 4 ? [0, 4, 7, 9, 16][rnd(5)]! : 8;
      const attempts: [string, () => unknown][] = [
        ['raw set', () => raw.set(new Uint8Array(kLen), new Uint8Array(vLen))],
        ['raw get', () => (kLen === 4 ? raw.setBytes(new Uint8Array(4), new Uint8Array(vLen)) : raw.get(new Uint8Array(kLen)))],
        ['raw delete', () => raw.deleteBytes(new Uint8Array(kLen === 4 ? 3 : kLen))],
        ['typed key', () => typed.set({ a: rnd(2) ? -1 : 2 ** 32 + rnd(10), b: 1 }, 1n)],
        ['typed missing', () => typed.get({ a: 1 } as unknown as { a: number; b: number })],
        ['typed value', () => typed.set({ a: 1, b: 2 }, -1n - BigInt(rnd(1000)))],
        ['pcpu length', () => pcpu.set(1, Array.from({ length: [0, 1, 3, 4][rnd(4)]! }, () => 1))],
        ['array index', () => arr.set(rnd(2) ? -1 - rnd(5) : 2 ** 32 + rnd(5), 1)],
        ['queue key', () => q.set(1 as unknown as null, 1)],
        ['flags', () => raw.set(new Uint8Array(4), new Uint8Array(8), [3, 8, 16, 7][rnd(4)]!)],
        ['batch', () => typed.updateBatch([[{ a: 1, b: 1 }, 1n], [{ a: 1, b: 70000 }, 1n]])],
      ];
      for (const [what, f] of attempts) {
        assert.throws(f, (e: unknown) => {
          assert.ok(e instanceof ArgumentError, `${what}: ${String(e)}`);
          assert.match(e.message, /map 'lk_fuzz_\w+'/, `${what}: ${e.message}`);
          return true;
        });
        refused++;
      }
    }
  } finally {
    native.bpf = realBpf;
    native.bpf2 = realBpf2;
    raw.close(); typed.close(); pcpu.close(); arr.close(); q.close();
  }
  assert.equal(calls, 0, 'a bad size reached bpf()');
  assert.equal(refused, 500 * 11);
  // The messages say what was expected and what came.
  const m = BpfMap.create({ type: 'HASH', keySize: 4, valueSize: 8, maxEntries: 1, name: 'lk_sizes' });
  try {
    assert.throws(() => m.get(new Uint8Array(3)), /map 'lk_sizes' key: expected 4 bytes, got 3/);
    assert.throws(() => m.setBytes(new Uint8Array(4), new Uint8Array(9)), /map 'lk_sizes' value: expected 8 bytes, got 9/);
    assert.throws(() => BpfMap.fromFd(m.fd, { key: u64 }), /map 'lk_sizes': key codec is 8 bytes, map key is 4/);
  } finally {
    m.close();
  }
});
