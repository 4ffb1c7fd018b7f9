// BtfReader: the running kernel's BTF (readable without root), a hand-built blob
// holding every kind, split BTF, and malformed input, which must always end in
// BtfParseError (never a hang, never another exception).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BtfReader, BtfParseError, BtfKind, type BtfType } from '../src/index.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';

// ---- a tiny BTF writer for the tests (the real one is packages/obj/src/btf/writer.ts) ----

class Strings {
  bytes: number[] = [0];
  #at = new Map<string, number>([['', 0]]);
  constructor(readonly base = 0) {
    if (base) this.bytes = [];
  }
  add(s: string): number {
    const hit = this.#at.get(s);
    if (hit !== undefined) return hit;
    const off = this.base + this.bytes.length;
    this.bytes.push(...new TextEncoder().encode(s), 0);
    this.#at.set(s, off);
    return off;
  }
}

const info = (kind: number, vlen = 0, kflag = false): number => ((kflag ? 1 << 31 : 0) | (kind << 24) | vlen) >>> 0;

function blob(words: number[], strs: number[], le = true): Uint8Array {
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + strs.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, le);
  v.setUint8(2, 1);
  v.setUint32(4, 24, le);
  v.setUint32(8, 0, le);
  v.setUint32(12, typeLen, le);
  v.setUint32(16, typeLen, le);
  v.setUint32(20, strs.length, le);
  words.forEach((w, i) => v.setUint32(24 + 4 * i, w >>> 0, le));
  out.set(strs, 24 + typeLen);
  return out;
}

/** One type of every kind; returns the blob and the types we expect to decode. */
function everyKind(le = true): { bytes: Uint8Array; expect: BtfType[] } {
  const s = new Strings();
  const w: number[] = [];
  const n = (x: string): number => s.add(x);
  // 1 INT int (signed, 32 bits)
  w.push(n('int'), info(BtfKind.INT), 4, (1 << 24) | 32);
  // 2 PTR -> 1
  w.push(0, info(BtfKind.PTR), 1);
  // 3 ARRAY int[4] indexed by int
  w.push(0, info(BtfKind.ARRAY), 0, 1, 1, 4);
  // 4 STRUCT pair { int a; int b:3 (bitfield, kflag) }
  w.push(n('pair'), info(BtfKind.STRUCT, 2, true), 8, n('a'), 1, 0, n('b'), 1, (3 << 24) | 32);
  // 5 UNION u { int x; pair *p }
  w.push(n('u'), info(BtfKind.UNION, 2), 8, n('x'), 1, 0, n('p'), 2, 0);
  // 6 ENUM (signed) e { NEG = -1, ONE = 1 }
  w.push(n('e'), info(BtfKind.ENUM, 2, true), 4, n('NEG'), -1, n('ONE'), 1);
  // 7 FWD union fu
  w.push(n('fu'), info(BtfKind.FWD, 0, true), 0);
  // 8 TYPEDEF myint -> 1
  w.push(n('myint'), info(BtfKind.TYPEDEF), 1);
  // 9 VOLATILE -> 8, 10 CONST -> 9, 11 RESTRICT -> 2
  w.push(0, info(BtfKind.VOLATILE), 8);
  w.push(0, info(BtfKind.CONST), 9);
  w.push(0, info(BtfKind.RESTRICT), 2);
  // 12 FUNC_PROTO int (int n, ...)
  w.push(0, info(BtfKind.FUNC_PROTO, 2), 1, n('n'), 1, 0, 0);
  // 13 FUNC global f -> 12
  w.push(n('f'), info(BtfKind.FUNC, 1), 12);
  // 14 VAR global counter : int
  w.push(n('counter'), info(BtfKind.VAR), 1, 1);
  // 15 DATASEC .data { counter @0 size 4 }
  w.push(n('.data'), info(BtfKind.DATASEC, 1), 4, 14, 0, 4);
  // 16 FLOAT double
  w.push(n('double'), info(BtfKind.FLOAT), 8);
  // 17 DECL_TAG "tag" on f, param 0
  w.push(n('tag'), info(BtfKind.DECL_TAG), 13, 0);
  // 18 TYPE_TAG user -> 1
  w.push(n('user'), info(BtfKind.TYPE_TAG), 1);
  // 19 ENUM64 (unsigned) big { HUGE = 2^63 + 5 }
  w.push(n('big'), info(BtfKind.ENUM64, 1), 8, n('HUGE'), 5, 0x80000000);
  // 20 a second 'int' (duplicate names are allowed), 21 a name pointing into the middle of 'counter'
  w.push(n('int'), info(BtfKind.TYPEDEF), 1);
  w.push(s.add('counter') + 4, info(BtfKind.TYPEDEF), 1);
  const expect: BtfType[] = [
    { id: 1, kind: 'INT', name: 'int', size: 4, signed: true, char: false, bool: false, bitOffset: 0, bits: 32 },
    { id: 2, kind: 'PTR', name: '', type: 1 },
    { id: 3, kind: 'ARRAY', name: '', elemType: 1, indexType: 1, nelems: 4 },
    { id: 4, kind: 'STRUCT', name: 'pair', size: 8, members: [
      { name: 'a', type: 1, bitOffset: 0, bitfieldSize: 0 }, { name: 'b', type: 1, bitOffset: 32, bitfieldSize: 3 }] },
    { id: 5, kind: 'UNION', name: 'u', size: 8, members: [
      { name: 'x', type: 1, bitOffset: 0, bitfieldSize: 0 }, { name: 'p', type: 2, bitOffset: 0, bitfieldSize: 0 }] },
    { id: 6, kind: 'ENUM', name: 'e', size: 4, signed: true, values: [{ name: 'NEG', value: -1 }, { name: 'ONE', value: 1 }] },
    { id: 7, kind: 'FWD', name: 'fu', fwdKind: 'union' },
    { id: 8, kind: 'TYPEDEF', name: 'myint', type: 1 },
    { id: 9, kind: 'VOLATILE', name: '', type: 8 },
    { id: 10, kind: 'CONST', name: '', type: 9 },
    { id: 11, kind: 'RESTRICT', name: '', type: 2 },
    { id: 12, kind: 'FUNC_PROTO', name: '', returnType: 1, params: [{ name: 'n', type: 1 }, { name: '', type: 0 }] },
    { id: 13, kind: 'FUNC', name: 'f', type: 12, linkage: 'global' },
    { id: 14, kind: 'VAR', name: 'counter', type: 1, linkage: 'global' },
    { id: 15, kind: 'DATASEC', name: '.data', size: 4, vars: [{ type: 14, offset: 0, size: 4 }] },
    { id: 16, kind: 'FLOAT', name: 'double', size: 8 },
    { id: 17, kind: 'DECL_TAG', name: 'tag', type: 13, componentIdx: 0 },
    { id: 18, kind: 'TYPE_TAG', name: 'user', type: 1 },
    { id: 19, kind: 'ENUM64', name: 'big', size: 8, signed: false, values: [{ name: 'HUGE', value: 2n ** 63n + 5n }] },
    { id: 20, kind: 'TYPEDEF', name: 'int', type: 1 },
    { id: 21, kind: 'TYPEDEF', name: 'ter', type: 1 },
  ];
  return { bytes: blob(w, s.bytes, le), expect };
}

// ---- the kernel's BTF ----

test('kernel BTF: well-known types, by name and kind', (t) => {
  if (!fs.existsSync(VMLINUX)) {
    if (process.env.LOCKNE_REQUIRE_KERNEL === '1') throw new Error(`${VMLINUX} missing`);
    t.skip(`${VMLINUX} missing (kernel without CONFIG_DEBUG_INFO_BTF)`);
    return;
  }
  const bytes = fs.readFileSync(VMLINUX);
  const start = performance.now();
  const btf = BtfReader.parse(bytes);
  const tp = btf.find('btf_trace_sched_process_exec', 'TYPEDEF');
  t.diagnostic(`parse + first lookup: ${(performance.now() - start).toFixed(1)} ms for ${btf.count} types`);
  assert.ok(btf.count > 10000, `${btf.count} types`);
  assert.equal(btf.firstId, 1);
  // tp_btf targets: typedef void (*btf_trace_X)(void *, args...)
  assert.ok(tp);
  const ptr = btf.type(tp.type);
  assert.equal(ptr.kind, 'PTR');
  const proto = btf.typeOf(ptr.kind === 'PTR' ? ptr.type : 0, 'FUNC_PROTO');
  assert.ok(proto.params.length >= 1);
  assert.equal(proto.returnType, 0);
  // Iterator targets and LSM hooks are FUNCs.
  const iter = btf.find('bpf_iter_task', 'FUNC');
  assert.ok(iter);
  assert.equal(btf.kind(iter.type), 'FUNC_PROTO');
  // task_struct.pid is a pid_t, a typedef of int.
  const task = btf.find('task_struct', 'STRUCT');
  assert.ok(task && task.size > 1000);
  const pid = task.members.find((m) => m.name === 'pid');
  assert.ok(pid);
  assert.equal(btf.name(pid.type), 'pid_t');
  const int = btf.type(btf.skipModifiers(pid.type));
  assert.equal(int.kind, 'INT');
  assert.ok(int.kind === 'INT' && int.signed && int.size === 4);
  assert.equal(btf.findId('no_such_type_lockne', 'STRUCT'), undefined);
  assert.deepEqual(btf.idsByName('no_such_type_lockne'), []);
  // A name shared by several kinds: find() picks the asked kind.
  const ids = btf.idsByName('task_struct');
  assert.ok(ids.some((id) => btf.kind(id) === 'STRUCT'));
  // Every type decodes, every reference is in range, every name resolves.
  const kinds = new Set<string>();
  let n = 0;
  for (const ty of btf.types()) {
    kinds.add(ty.kind);
    n++;
    if (ty.kind === 'STRUCT' || ty.kind === 'UNION') for (const m of ty.members) assert.ok(m.type <= btf.lastId);
  }
  assert.equal(n, btf.count);
  for (const k of ['INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'TYPEDEF', 'CONST', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC']) {
    assert.ok(kinds.has(k), `no ${k} in vmlinux`);
  }
});

// ---- every kind, both byte orders, split BTF ----

test('decodes every kind (little- and big-endian)', () => {
  for (const le of [true, false]) {
    const { bytes, expect } = everyKind(le);
    const btf = BtfReader.parse(bytes);
    assert.equal(btf.littleEndian, le);
    assert.equal(btf.count, expect.length);
    assert.deepEqual([...btf.types()], expect);
    assert.deepEqual(btf.idsByName('int'), [1, 20]);
    assert.equal(btf.findId('int', 'TYPEDEF'), 20);
    assert.equal(btf.find('pair', 'STRUCT')?.members[1]?.bitfieldSize, 3);
    assert.deepEqual(btf.idsByName('ter'), [21]); // a name inside another string
    assert.deepEqual(btf.idsByName('counter'), [14]);
    assert.equal(btf.skipModifiers(10), 1); // const -> volatile -> typedef -> int
    assert.equal(btf.string(0), '');
    assert.throws(() => btf.type(0), RangeError);
    assert.throws(() => btf.type(22), RangeError);
    assert.throws(() => btf.typeOf(1, 'STRUCT'), /BTF type 1 is INT 'int', not STRUCT/);
  }
});

test('split BTF resolves ids and names through its base', () => {
  const { bytes } = everyKind();
  const base = BtfReader.parse(bytes);
  const s = new Strings(base.stringsLength);
  // 22 STRUCT modstate { int n; pair *p }: its names are its own, its types the base's.
  const [modstate, nName, pName] = [s.add('modstate'), s.add('n'), s.add('p')];
  const w = [modstate, info(BtfKind.STRUCT, 2), 16, nName, 1, 0, pName, 2, 64];
  const split = BtfReader.parse(blob(w, s.bytes), { base });
  assert.equal(split.firstId, 22);
  assert.equal(split.lastId, 22);
  const st = split.typeOf(22, 'STRUCT');
  assert.deepEqual(st.members.map((m) => [m.name, split.name(m.type)]), [['n', 'int'], ['p', '']]);
  assert.deepEqual(split.idsByName('int'), [1, 20]);
  assert.deepEqual(split.idsByName('modstate'), [22]);
  assert.equal(split.type(4).name, 'pair');
  // A reference past the split's last id is caught.
  w[4] = 23;
  assert.throws(() => BtfReader.parse(blob(w, s.bytes), { base }), (e: unknown) => e instanceof BtfParseError && /reference to type 23/.test(e.message));
});

// ---- malformed input ----

function parseError(bytes: Uint8Array, re: RegExp, offset?: number): void {
  assert.throws(() => BtfReader.parse(bytes), (e: unknown) => {
    assert.ok(e instanceof BtfParseError, `expected BtfParseError, got ${String(e)}`);
    assert.match(e.message, re);
    if (offset !== undefined) assert.equal(e.offset, offset);
    return true;
  });
}

test('malformed BTF: each check names the problem and its offset', () => {
  const { bytes } = everyKind();
  const v = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const copy = (): Uint8Array => bytes.slice();
  parseError(bytes.subarray(0, 10), /shorter than the 24-byte header/, 0);
  let b = copy(); b[0] = 0; parseError(b, /bad magic/, 0);
  b = copy(); b[2] = 2; parseError(b, /unsupported version 2/, 2);
  b = copy(); v(b).setUint32(4, 1 << 30, true); parseError(b, /header length/, 4);
  b = copy(); v(b).setUint32(12, 1 << 20, true); parseError(b, /type section .* runs past the end/, 12);
  b = copy(); v(b).setUint32(8, 2, true); parseError(b, /not 4-byte aligned/, 8);
  b = copy(); v(b).setUint32(20, 1 << 20, true); parseError(b, /string section .* runs past the end/, 20);
  b = copy(); b[b.length - 1] = 0x41; parseError(b, /does not end with NUL/, b.length - 1);
  // Unknown kind 25 in type 1's info word (byte 28).
  b = copy(); v(b).setUint32(28, info(25), true); parseError(b, /type 1 has unknown kind 25/, 28);
  // Name offset of type 1 past the strings.
  b = copy(); v(b).setUint32(24, 1 << 20, true); parseError(b, /name offset 1048576 outside/, 24);
  // PTR (type 2, bytes 40..51) pointing at type 99.
  b = copy(); v(b).setUint32(48, 99, true); parseError(b, /reference to type 99, but the last type is 21/, 48);
  // STRUCT pair claims 200 members.
  b = copy(); v(b).setUint32(24 + 4 * 13 + 4, info(BtfKind.STRUCT, 200, true), true); parseError(b, /type 4 \(STRUCT, vlen 200\) runs past/, 24 + 4 * 13);
  // Type section cut in the middle of a type.
  const typeLen = v(bytes).getUint32(12, true);
  b = copy(); v(b).setUint32(12, typeLen - 8, true); parseError(b, /truncated|runs past the type section/);
});

/** xorshift32: deterministic, so a failure is reproducible from its seed. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Parse, and when that succeeds, touch everything: nothing may throw but BtfParseError. */
function exercise(bytes: Uint8Array, deep: boolean): 'ok' | 'error' {
  let btf: BtfReader;
  try {
    btf = BtfReader.parse(bytes);
  } catch (e) {
    if (e instanceof BtfParseError) return 'error';
    throw e;
  }
  const last = deep ? btf.lastId : Math.min(btf.lastId, 200);
  for (let id = btf.firstId; id <= last; id++) {
    const ty = btf.type(id);
    btf.name(id);
    // Bytes that are not UTF-8 decode to U+FFFD and cannot be searched for; all else must be found.
    if (ty.name && !ty.name.includes('\ufffd')) assert.ok(btf.idsByName(ty.name).includes(id), `type ${id} not found by its name '${ty.name}'`);
  }
  btf.findId('int');
  return 'ok';
}

test('600 random mutations of a small BTF: BtfParseError or a fully readable result', () => {
  const { bytes } = everyKind();
  const rand = rng(0x1ce);
  const seen = { ok: 0, error: 0 };
  for (let i = 0; i < 600; i++) {
    const b = bytes.slice();
    const mode = i % 4;
    if (mode === 0) {
      for (let k = 1 + Math.floor(rand() * 4); k > 0; k--) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    } else if (mode === 1) {
      // A random word somewhere in the header or types: lengths, kinds, vlens, ids.
      const at = 4 * Math.floor(rand() * ((b.length - 4) / 4));
      new DataView(b.buffer).setUint32(at, rand() < 0.5 ? Math.floor(rand() * 64) : Math.floor(rand() * 2 ** 32), true);
    } else if (mode === 2) {
      seen[exercise(b.subarray(0, Math.floor(rand() * b.length)), true)]++;
      continue;
    } else {
      b[Math.floor(rand() * b.length)] ^= 1 << Math.floor(rand() * 8);
    }
    seen[exercise(b, true)]++;
  }
  assert.ok(seen.error > 100 && seen.ok > 50, `ok ${seen.ok}, error ${seen.error}`);
});

test('mutated and truncated kernel BTF never escapes as another exception', (t) => {
  if (!fs.existsSync(VMLINUX)) {
    if (process.env.LOCKNE_REQUIRE_KERNEL === '1') throw new Error(`${VMLINUX} missing`);
    t.skip(`${VMLINUX} missing`);
    return;
  }
  const orig = fs.readFileSync(VMLINUX);
  const rand = rng(0xb7f);
  const seen = { ok: 0, error: 0 };
  for (let i = 0; i < 24; i++) {
    const b = i % 2 ? orig.subarray(0, Math.floor(rand() * orig.length)) : new Uint8Array(orig);
    if (i % 2 === 0) {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      // Hit the first types (where the cheap check below looks) or anywhere.
      const span = i % 4 === 0 ? 4096 : b.length - 4;
      v.setUint32(24 + 4 * Math.floor(rand() * (span / 4 - 6)), Math.floor(rand() * 2 ** 32), true);
    }
    seen[exercise(b, false)]++;
  }
  assert.ok(seen.error > 6, `ok ${seen.ok}, error ${seen.error}`);
});
