// BtfWriter: the exact bytes of the header, type and string sections, every
// kind's encoding, argument checks, and (when bpftool is installed) libbpf's
// own parser reading what we wrote.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BtfWriter } from '../src/index.js';

interface Raw {
  name: string;
  kind: number;
  kindFlag: boolean;
  vlen: number;
  sizeOrType: number;
  extra: number[];
}

/** A deliberately tiny decoder, independent of the BTF reader, for checking the writer. */
function decode(blob: Uint8Array): { header: number[]; types: Raw[]; strings: string } {
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const header = [v.getUint16(0, true), v.getUint8(2), v.getUint8(3), ...[4, 8, 12, 16, 20].map((o) => v.getUint32(o, true))];
  const [, , , hdrLen, typeOff, typeLen, strOff, strLen] = header as [number, number, number, number, number, number, number, number];
  const strBytes = blob.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  const str = (off: number) => new TextDecoder().decode(strBytes.subarray(off, strBytes.indexOf(0, off)));
  const extraWords = (kind: number, vlen: number): number => {
    switch (kind) {
      case 1: case 14: case 17: return 1; // INT, VAR, DECL_TAG
      case 3: return 3; // ARRAY
      case 4: case 5: case 15: return 3 * vlen; // STRUCT, UNION, DATASEC
      case 6: case 13: return 2 * vlen; // ENUM, FUNC_PROTO
      case 19: return 3 * vlen; // ENUM64
      default: return 0;
    }
  };
  const types: Raw[] = [];
  for (let o = hdrLen + typeOff; o < hdrLen + typeOff + typeLen;) {
    const info = v.getUint32(o + 4, true);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const n = extraWords(kind, vlen);
    const extra = Array.from({ length: n }, (_, i) => v.getUint32(o + 12 + i * 4, true));
    types.push({ name: str(v.getUint32(o, true)), kind, kindFlag: info >>> 31 === 1, vlen, sizeOrType: v.getUint32(o + 8, true), extra });
    o += 12 + n * 4;
  }
  return { header, types, strings: new TextDecoder().decode(strBytes) };
}

test('golden bytes: header, one INT, one PTR, string section', () => {
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const ptr = w.ptr(int);
  assert.deepEqual([int, ptr, w.count], [1, 2, 2]);
  const blob = w.encode();
  assert.deepEqual([...blob], [
    0x9f, 0xeb, 1, 0, 24, 0, 0, 0, // magic, version, flags, hdr_len
    0, 0, 0, 0, 28, 0, 0, 0, // type_off 0, type_len 28
    28, 0, 0, 0, 5, 0, 0, 0, // str_off 28, str_len 5
    1, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 32, 0, 0, 1, // INT 'int' size 4, encoding SIGNED, 32 bits
    0, 0, 0, 0, 0, 0, 0, 2, 1, 0, 0, 0, // PTR -> 1
    0, 0x69, 0x6e, 0x74, 0, // "\0int\0"
  ]);
});

test('every kind encodes its info word and trailing data', () => {
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const u8 = w.int('unsigned char', 1, { char: true });
  const b = w.int('_Bool', 1, { bool: true });
  const arr = w.array(u8, 16);
  const arr2 = w.array(int, 2);
  const s = w.struct('pair', 8, [{ name: 'a', type: int, offset: 0 }, { name: 'b', type: int, offset: 4 }]);
  const bits = w.struct('bits', 4, [{ name: 'lo', type: int, bitOffset: 0, bitfieldSize: 3 }, { name: 'hi', type: int, bitOffset: 3, bitfieldSize: 29 }]);
  const un = w.union('u', 4, [{ name: 'i', type: int }, { name: 'c', type: u8 }]);
  const en = w.enum('e', [['A', 0], ['B', -1]], { signed: true });
  const en64 = w.enum64('e64', [['BIG', (1n << 40n) + 5n]]);
  const fwd = w.fwd('opaque', { union: true });
  const td = w.typedef('int_t', int);
  const cst = w.const(int);
  const vol = w.volatile(int);
  const res = w.restrict(w.ptr(int));
  const proto = w.funcProto(int, [{ name: 'x', type: int }, { type: u8 }]);
  const fn = w.func('f', proto, 'static');
  const vr = w.var('v', int, 'global');
  const ds = w.datasec('.data', 4, [{ type: vr, offset: 0, size: 4 }]);
  const fl = w.float('double', 8);
  const dt = w.declTag('tag', fn, 1);
  const tt = w.typeTag('user', int);
  const { types, strings } = decode(w.encode());
  const t = (id: number): Raw => types[id - 1]!;
  assert.equal(t(u8).extra[0], (2 << 24) | 8, 'CHAR encoding');
  assert.equal(t(b).extra[0], (4 << 24) | 8, 'BOOL encoding');
  // The array index type is added once, as clang names it.
  const idx = t(arr).extra[1]!;
  assert.equal(t(idx).name, '__ARRAY_SIZE_TYPE__');
  assert.deepEqual(t(arr).extra, [u8, idx, 16]);
  assert.deepEqual(t(arr2).extra, [int, idx, 2]);
  assert.equal(types.filter((x) => x.name === '__ARRAY_SIZE_TYPE__').length, 1);
  assert.deepEqual({ kind: t(s).kind, vlen: t(s).vlen, size: t(s).sizeOrType, flag: t(s).kindFlag }, { kind: 4, vlen: 2, size: 8, flag: false });
  assert.deepEqual([t(s).extra[1], t(s).extra[2], t(s).extra[5]], [int, 0, 32], 'member offsets are in bits');
  assert.equal(t(bits).kindFlag, true, 'bit-fields set kind_flag');
  assert.equal(t(bits).extra[5], (29 << 24) | 3, 'bitfield_size << 24 | bit_offset');
  assert.equal(t(un).kind, 5);
  assert.deepEqual([t(en).kind, t(en).kindFlag, t(en).sizeOrType, t(en).extra[3]], [6, true, 4, 0xffffffff]);
  assert.deepEqual([t(en64).kind, t(en64).sizeOrType, t(en64).extra[1], t(en64).extra[2]], [19, 8, 5, 256]);
  assert.deepEqual([t(fwd).kind, t(fwd).kindFlag], [7, true]);
  assert.deepEqual([td, cst, vol].map((id) => [t(id).kind, t(id).sizeOrType]), [[8, int], [10, int], [9, int]]);
  assert.equal(t(res).kind, 11);
  assert.deepEqual([t(proto).kind, t(proto).vlen, t(proto).sizeOrType, t(proto).extra[1], t(proto).extra[2], t(proto).extra[3]], [13, 2, int, int, 0, u8]);
  assert.deepEqual([t(fn).kind, t(fn).vlen, t(fn).sizeOrType], [12, 0, proto], 'static linkage in vlen');
  assert.deepEqual([t(vr).kind, t(vr).extra[0]], [14, 1], 'global var');
  assert.deepEqual([t(ds).kind, t(ds).name, t(ds).extra], [15, '.data', [vr, 0, 4]]);
  assert.deepEqual([t(fl).kind, t(fl).sizeOrType], [16, 8]);
  assert.deepEqual([t(dt).kind, t(dt).sizeOrType, t(dt).extra[0]], [17, fn, 1]);
  assert.deepEqual([t(tt).kind, t(tt).name], [18, 'user']);
  // Each distinct string once: "int" appears a single time although many types use it.
  assert.equal(strings.split('\0').filter((x) => x === 'int').length, 1);
  assert.ok(strings.startsWith('\0'));
});

test('self-referencing structs via setMembers', () => {
  const w = new BtfWriter();
  const node = w.struct('node', 8, []);
  const p = w.ptr(node);
  w.setMembers(node, [{ name: 'next', type: p, offset: 0 }]);
  const { types } = decode(w.encode());
  assert.deepEqual([types[0]!.vlen, types[0]!.extra[1]], [1, p]);
  assert.throws(() => w.setMembers(p, []), /type 2 is not a struct or union/);
});

test('bad arguments throw RangeError naming the type', () => {
  const w = new BtfWriter();
  assert.throws(() => w.int('odd', 3), /BTF int 'odd': size 3 is not 1, 2, 4, 8 or 16/);
  assert.throws(() => w.int('c', 1, { signed: true, char: true }), /signed, char and bool exclude each other/);
  assert.throws(() => w.int('n', 1, { bits: 9 }), /9 bits do not fit 1 bytes/);
  assert.throws(() => w.enum('e', { BIG: 2 ** 33 }), /BTF enum 'e.BIG': 8589934592 does not fit 32 bits/);
  assert.throws(() => w.array(1, -1), /length -1 is not a u32/);
  assert.throws(() => w.ptr(-1), /type id -1/);
  const dangling = new BtfWriter();
  dangling.ptr(5);
  assert.throws(() => dangling.encode(), /type id 5 referenced but only 1 types exist/);
  const nul = new BtfWriter();
  nul.struct('s', 4, [{ name: 'x\0y', type: 0 }]);
  assert.throws(() => nul.encode(), /BTF string 'x\0y' contains NUL/);
});

test('libbpf (bpftool) parses what we wrote', (t) => {
  const bpftool = ['/usr/sbin/bpftool', '/usr/bin/bpftool', '/sbin/bpftool'].find((p) => fs.existsSync(p));
  if (!bpftool) {
    t.skip('bpftool not installed');
    return;
  }
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const u64 = w.int('unsigned long long', 8);
  const flow = w.struct('flow', 16, [{ name: 'port', type: int, offset: 0 }, { name: 'bytes', type: u64, offset: 8 }]);
  w.typedef('flow_t', flow);
  w.enum('verdict', { PASS: 0, DROP: 1 });
  const proto = w.funcProto(int, [{ name: 'f', type: w.ptr(flow) }]);
  w.func('handle', proto);
  w.array(w.int('char', 1, { signed: true }), 16);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockne-btfw-'));
  try {
    const file = path.join(dir, 'x.btf');
    fs.writeFileSync(file, w.encode());
    const out = execFileSync(bpftool, ['btf', 'dump', 'file', file], { encoding: 'utf8' });
    assert.match(out, /\[1\] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED/);
    assert.match(out, /\[3\] STRUCT 'flow' size=16 vlen=2\n\s+'port' type_id=1 bits_offset=0\n\s+'bytes' type_id=2 bits_offset=64/);
    assert.match(out, /\[4\] TYPEDEF 'flow_t' type_id=3/);
    assert.match(out, /\[5\] ENUM 'verdict' encoding=UNSIGNED size=4 vlen=2\n\s+'PASS' val=0\n\s+'DROP' val=1/);
    assert.match(out, /FUNC_PROTO '\(anon\)' ret_type_id=1 vlen=1\n\s+'f' type_id=6/);
    assert.match(out, /FUNC 'handle' type_id=7 linkage=global/);
    assert.match(out, /\[11\] ARRAY '\(anon\)' type_id=9 index_type_id=10 nr_elems=16/);
    const c = execFileSync(bpftool, ['btf', 'dump', 'file', file, 'format', 'c'], { encoding: 'utf8' });
    assert.match(c, /struct flow \{\n\s+int port;\n\s+unsigned long long bytes;\n\};/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
