// The bpf(2) fast path (sys/lean-call.ts, native.bpf2, bpfMapElem): small
// attrs and their pointed-to memory are staged in one off-heap area. These
// check that callers cannot tell: in, out and in/out fields, attr write-back,
// the fallback for large keys/values, and that bad offsets never reach bpf().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfMap, BpfCmd, Errno, native, u32, u64 } from '../src/index.js';
import { bpfMapElem, bpfRaw } from '../src/sys/syscall.js';
import { encode, readU32 } from '../src/sys/layout.js';
import { GetIdAttr } from '../src/sys/attrs.js';
import { area, leanFits, SLOT } from '../src/sys/lean-call.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

test('bpfMapElem: values in and out, next key, delete, ENOENT', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: 4, name: 'lk_lean_elem' });
  try {
    const key = m.encodeKey(7);
    const value = m.encodeValue(0x1122334455667788n);
    assert.equal(bpfMapElem('MAP_UPDATE_ELEM', m.fd, key, value), 0);
    assert.deepEqual([...value], [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11], 'an update leaves the value alone');
    const out = new Uint8Array(8);
    assert.equal(bpfMapElem('MAP_LOOKUP_ELEM', m.fd, key, out), 0);
    assert.equal(m.valueCodec.decode(out), 0x1122334455667788n);
    const next = new Uint8Array(4);
    assert.equal(bpfMapElem('MAP_GET_NEXT_KEY', m.fd, null, next), 0);
    assert.equal(m.keyCodec.decode(next), 7);
    assert.equal(bpfMapElem('MAP_GET_NEXT_KEY', m.fd, next, next), -Errno.ENOENT);
    assert.equal(bpfMapElem('MAP_DELETE_ELEM', m.fd, key, null), 0);
    out.fill(0xee);
    assert.equal(bpfMapElem('MAP_LOOKUP_ELEM', m.fd, key, out), -Errno.ENOENT);
    assert.deepEqual([...out], Array(8).fill(0xee), 'a failed lookup writes nothing');
    // Flags above 32 bits go through the BigInt path and reach the kernel, which refuses them.
    assert.equal(bpfMapElem('MAP_UPDATE_ELEM', m.fd, key, value, 2 ** 40), -Errno.EINVAL);
  } finally {
    m.close();
  }
});

test('bpfMapElem: keys and values over the staging slot take the generic path', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = BpfMap.create({ type: 'HASH', keySize: SLOT + 8, valueSize: 200, maxEntries: 2, name: 'lk_lean_big' });
  try {
    const key = new Uint8Array(SLOT + 8).map((_, i) => i);
    const value = new Uint8Array(200).map((_, i) => 255 - i);
    m.setBytes(key, value);
    assert.deepEqual(m.getBytes(key), value);
    const next = new Uint8Array(SLOT + 8);
    assert.equal(bpfMapElem('MAP_GET_NEXT_KEY', m.fd, null, next), 0);
    assert.deepEqual(next, key);
  } finally {
    m.close();
  }
});

test('bpfRaw on the lean path writes the kernel\'s answer back into the attr', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = BpfMap.create({ type: 'ARRAY', key: u32, value: u32, maxEntries: 1, name: 'lk_lean_id' });
  try {
    const id = m.info().id;
    const enc = encode(GetIdAttr, { id: id - 1 });
    assert.ok(leanFits(enc.bytes, enc.pointers));
    const { ret, attr } = bpfRaw('MAP_GET_NEXT_ID', enc);
    assert.equal(ret, 0);
    assert.ok(readU32(GetIdAttr, attr, 'next_id') <= id);
    assert.ok(readU32(GetIdAttr, attr, 'next_id') > id - 1);
  } finally {
    m.close();
  }
});

test('native.bpf2 refuses offsets outside the area before calling bpf()', () => {
  const a = new Uint8Array(64);
  const range = (f: () => unknown) => assert.throws(f, (e: unknown) => e instanceof RangeError && /outside area/.test(String(e)));
  range(() => native.bpf2(BpfCmd.MAP_LOOKUP_ELEM, a, 65, -1, -1, -1, -1));
  range(() => native.bpf2(BpfCmd.MAP_LOOKUP_ELEM, a, 0, -1, -1, -1, -1));
  range(() => native.bpf2(BpfCmd.MAP_LOOKUP_ELEM, a, 32, 28, 0, -1, -1));
  range(() => native.bpf2(BpfCmd.MAP_LOOKUP_ELEM, a, 32, 8, 64, -1, -1));
  range(() => native.bpf2(BpfCmd.MAP_LOOKUP_ELEM, a, 32, 8, -2, -1, -1));
  assert.throws(() => native.bpf2(BpfCmd.MAP_LOOKUP_ELEM, a, 32, '8' as unknown as number, 0, -1, -1), /argument 'ptrA' must be a number/);
  assert.throws(() => native.bpf2(BpfCmd.MAP_LOOKUP_ELEM, 5 as unknown as Uint8Array, 32, -1, -1, -1, -1), TypeError);
  // The shared area is off-heap and big enough for any attr plus two slots.
  assert.ok(area.byteLength >= 256 + 2 * SLOT);
});
