// Name lookups without decoding every type: BtfReader.idsByName and
// idsByNamePrefix (string-table search, then a scan of the name offsets or,
// after a few lookups, a hash index: both must give the same ids), trusted
// parsing of the kernel's BTF (same types as the validating parse), and CO-RE
// candidates by essential name (the same ids as naming every type).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BtfReader, BtfParseError, BtfKind, BtfWriter, essentialName, type BtfKindName } from '../src/index.js';
import { idsByEssentialName } from '../src/core/candidates.js';
import { Gen, rng } from './support/random.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const vmlinuxBytes = fs.existsSync(VMLINUX) ? fs.readFileSync(VMLINUX) : undefined;
const noVmlinux = !vmlinuxBytes && `${VMLINUX} not present`;

const info = (kind: number, vlen = 0): number => ((kind << 24) | vlen) >>> 0;

/** A BTF blob from type words and raw string bytes (little-endian, 24-byte header). */
function blob(words: number[], strs: Uint8Array): Uint8Array {
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + strs.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true);
  v.setUint32(20, strs.length, true);
  words.forEach((w, i) => v.setUint32(24 + 4 * i, w >>> 0, true));
  out.set(strs, 24 + typeLen);
  return out;
}

/** Every id named `name` (or starting with it), by decoding every type. */
function bruteForce(btf: BtfReader, match: (name: string) => boolean): number[] {
  const ids: number[] = [];
  for (let r: BtfReader | undefined = btf; r; r = r.base) {
    for (let id = r.firstId; id <= r.lastId; id++) if (r.name(id) !== '' && match(r.name(id))) ids.push(id);
  }
  return ids.sort((a, b) => a - b);
}

/**
 * Strings "\0sample\0sample___v1\0xsample___v2\0a___b___c\0sample_t\0" and
 * types naming them, one of them from the middle of a string.
 */
function flavoured(): { btf: BtfReader; ids: Record<string, number> } {
  const text = '\0sample\0sample___v1\0xsample___v2\0a___b___c\0sample_t\0';
  const off = (s: string, from = 0): number => text.indexOf(s, from);
  const w: number[] = [];
  w.push(off('sample\0'), info(BtfKind.INT), 4, 32); // 1 int 'sample'
  w.push(off('sample\0'), info(BtfKind.STRUCT), 8); // 2 struct sample {}
  w.push(off('sample___v1'), info(BtfKind.STRUCT), 8); // 3 struct sample___v1 {}
  w.push(off('sample___v2'), info(BtfKind.STRUCT), 8); // 4 struct sample___v2 {}: inside 'xsample___v2'
  w.push(off('xsample___v2'), info(BtfKind.STRUCT), 8); // 5 struct xsample___v2 {}
  w.push(off('a___b___c'), info(BtfKind.STRUCT), 8); // 6 struct a___b___c {}
  w.push(off('b___c'), info(BtfKind.TYPEDEF), 2); // 7 typedef b___c: inside 'a___b___c'
  w.push(off('sample_t'), info(BtfKind.TYPEDEF), 2); // 8 typedef sample_t
  w.push(off('sample\0'), info(BtfKind.FUNC), 10); // 9 func sample (a FUNC is never a candidate)
  w.push(0, info(BtfKind.FUNC_PROTO), 0); // 10 its proto
  const btf = BtfReader.parse(blob(w, new TextEncoder().encode(text)));
  return { btf, ids: { int: 1, sample: 2, v1: 3, v2: 4, xv2: 5, abc: 6, bc: 7, sample_t: 8, func: 9 } };
}

test('idsByNamePrefix finds names starting with the prefix, also inside longer strings', () => {
  const { btf, ids } = flavoured();
  assert.deepEqual(btf.idsByNamePrefix('sample___'), [ids.v1, ids.v2]);
  assert.deepEqual(btf.idsByNamePrefix('sample'), [ids.int, ids.sample, ids.v1, ids.v2, ids.sample_t, ids.func]);
  assert.deepEqual(btf.idsByNamePrefix('b___'), [ids.bc]);
  assert.deepEqual(btf.idsByNamePrefix('nothing'), []);
  assert.deepEqual(btf.idsByNamePrefix(''), []);
  assert.deepEqual(btf.idsByName('sample'), [ids.int, ids.sample, ids.func]);
  assert.deepEqual(btf.idsByName('sample___v2'), [ids.v2]);
  // Cached: the same array again.
  assert.equal(btf.idsByNamePrefix('sample___'), btf.idsByNamePrefix('sample___'));
});

test('idsByNamePrefix and idsByNameOrSuffixed on split BTF list the base ids first', () => {
  const { btf: base, ids } = flavoured();
  // Own strings after the base's: "sample___mod\0".
  const own = new TextEncoder().encode('sample___mod\0');
  const split = BtfReader.parse(blob([base.stringsLength, info(BtfKind.STRUCT), 4], own), { base });
  assert.deepEqual(split.idsByNamePrefix('sample___'), [ids.v1, ids.v2, split.firstId]);
  assert.deepEqual(split.idsByName('sample___mod'), [split.firstId]);
  assert.deepEqual(split.idsByNameOrSuffixed('sample', '___'), [ids.int, ids.sample, ids.v1, ids.v2, ids.func, split.firstId]);
});

test('scanned lookups and the hash index give the same ids as decoding every type', () => {
  // 300 types over 60 names, some names suffixes of others ("x7" inside "ax7"), so
  // lookups go past the scan budget and build the index part way through.
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const names: string[] = [];
  for (let i = 0; i < 300; i++) {
    const name = `${i % 3 === 0 ? 'a' : ''}x${i % 60}`;
    names.push(name);
    if (i % 2 === 0) w.typedef(name, int);
    else w.struct(name, 4, [{ name: `m${i % 7}`, type: int, offset: 0 }]);
  }
  const btf = BtfReader.parse(w.encode());
  for (const name of new Set([...names, 'int', 'm3', 'x', 'nothing'])) {
    assert.deepEqual(btf.idsByName(name), bruteForce(btf, (n) => n === name), `idsByName('${name}')`);
    assert.deepEqual(btf.idsByNamePrefix(name), bruteForce(btf, (n) => n.startsWith(name)), `idsByNamePrefix('${name}')`);
  }
});

test('a trusted parse of vmlinux gives the same types and lookups as the validating parse', { skip: noVmlinux }, () => {
  const checked = BtfReader.parse(vmlinuxBytes!);
  const trusted = BtfReader.parse(vmlinuxBytes!, { trusted: true });
  assert.equal(trusted.count, checked.count);
  assert.equal(trusted.lastId, checked.lastId);
  // Every 97th type, the first and the last few, decoded alike.
  const sample = [1, 2, 3, checked.lastId - 1, checked.lastId];
  for (let id = 5; id < checked.lastId; id += 97) sample.push(id);
  for (const id of sample) assert.deepEqual(trusted.type(id), checked.type(id), `type ${id}`);
  for (const name of ['task_struct', 'sk_buff', 'int', 'sock', 'pid_t', 'bpf_iter_task']) {
    assert.deepEqual(trusted.idsByName(name), checked.idsByName(name), name);
  }
});

test('a trusted parse walks the types lazily and still refuses a layout it cannot walk, from the call that reaches it', () => {
  const strs = new TextEncoder().encode('\0t\0');
  const walk = (words: number[]): BtfReader => BtfReader.parse(blob(words, strs), { trusted: true });
  // Unknown kind 25.
  assert.throws(() => walk([1, info(25), 0]).count, (e: unknown) => e instanceof BtfParseError && /unknown kind 25/.test(e.message));
  // A STRUCT claiming 2 members with words for one.
  assert.throws(() => walk([1, info(BtfKind.STRUCT, 2), 4, 1, 0, 0]).type(1),
    (e: unknown) => e instanceof BtfParseError && /runs past the type section/.test(e.message));
  // A truncated header.
  assert.throws(() => walk([1, info(BtfKind.INT), 4, 32, 1]).lastId, (e: unknown) => e instanceof BtfParseError && /truncated/.test(e.message));
  // Types before the problem are there; the walk stops at them.
  const early = walk([1, info(BtfKind.INT), 4, 32, 1, info(25), 0]);
  assert.equal(early.type(1).kind, 'INT');
  assert.deepEqual(early.idsByName('t'), [1]);
  assert.throws(() => early.type(2), (e: unknown) => e instanceof BtfParseError && /unknown kind 25/.test(e.message));
  assert.throws(() => early.count, (e: unknown) => e instanceof BtfParseError && /unknown kind 25/.test(e.message));
});

test('a lazy lookup finds every type named by an offset that other words also hold', () => {
  // 'x' is at string offset 1, and so are: a member's type id followed by a bitfield offset word
  // that reads as an info word (size 4 << 24: kind STRUCT), a member's bit offset, an INT's size,
  // an enumerator's value; the types named 'x' come before and after them all.
  const text = '\0x\0y\0';
  const X = 1;
  const Y = 3;
  const w: number[] = [];
  w.push(X, info(BtfKind.INT), 4, 32); // 1 int x
  w.push(0, info(BtfKind.INT), X, 8); // 2 an INT of size 1
  w.push(Y, (info(BtfKind.STRUCT, 2) | 0x80000000) >>> 0, 4); // 3 struct y (kind_flag: bitfield offsets)
  w.push(Y, X, ((4 << 24) | 3) >>> 0); //   member y: type 1, 4 bits at bit 3 (the word after X reads as a STRUCT info)
  w.push(Y, 1, X); //   member y: type 1 at bit 1
  w.push(Y, info(BtfKind.ENUM, 1), 4); // 4 enum y
  w.push(Y, X); //   y = 1
  w.push(X, info(BtfKind.TYPEDEF), 1); // 5 typedef x
  w.push(X, info(BtfKind.STRUCT), 0); // 6 struct x {}
  const bytes = blob(w, new TextEncoder().encode(text));
  const checked = BtfReader.parse(bytes);
  for (const query of [(b: BtfReader) => b.idsByName('x'), (b: BtfReader) => b.idsByName('y'), (b: BtfReader) => b.idsByNameOrSuffixed('x', '___'),
    (b: BtfReader) => idsByEssentialName(b, 'x'), (b: BtfReader) => b.findId('x', 'STRUCT')]) {
    // A fresh trusted reader each time: nothing indexed before the lookup.
    assert.deepEqual(query(BtfReader.parse(bytes, { trusted: true })), query(checked));
  }
  assert.deepEqual(checked.idsByName('x'), [1, 5, 6]);
});

test('a fresh trusted vmlinux reader answers lookups and types like the validating parse, walking only as far as needed', { skip: noVmlinux }, () => {
  const checked = BtfReader.parse(vmlinuxBytes!);
  const fresh = (): BtfReader => BtfReader.parse(vmlinuxBytes!, { trusted: true });
  for (const name of ['task_struct', 'sk_buff', 'int', 'sock', 'pid_t', 'file', 'bpf_iter_task', 'nonexistent_lk']) {
    assert.deepEqual(fresh().idsByName(name), checked.idsByName(name), name);
    assert.deepEqual(fresh().idsByNameOrSuffixed(name, '___'), checked.idsByNameOrSuffixed(name, '___'), `${name}___`);
    assert.deepEqual(idsByEssentialName(fresh(), name), idsByEssentialName(checked, name), `essential ${name}`);
  }
  // One reader, many lookups (past the point where a hash index is built), then types in any order.
  const one = fresh();
  for (const name of ['list_head', 'inode', 'cgroup', 'net_device', 'mm_struct', 'page', 'dentry', 'super_block', 'module', 'cred']) {
    assert.deepEqual(one.idsByName(name), checked.idsByName(name), name);
  }
  const last = checked.lastId;
  for (const id of [last, 1, Math.floor(last / 2), 2, last - 1]) assert.deepEqual(fresh().type(id), checked.type(id), `type ${id}`);
  assert.equal(one.count, checked.count);
  assert.equal(one.lastId, last);
  assert.throws(() => fresh().type(last + 1), RangeError);
});

const CANDIDATE_KINDS = new Set<BtfKindName>(['INT', 'STRUCT', 'UNION', 'ENUM', 'ENUM64', 'FWD', 'TYPEDEF', 'FLOAT', 'TYPE_TAG']);

/** Own ids of a candidate kind with essential name `key`, by naming every type (the former index). */
function essentialBruteForce(btf: BtfReader, key: string): number[] {
  const ids: number[] = [];
  for (let id = btf.firstId; id <= btf.lastId; id++) {
    const name = btf.name(id);
    if (name !== '' && CANDIDATE_KINDS.has(btf.kind(id)) && essentialName(name) === key) ids.push(id);
  }
  return ids;
}

test('CO-RE candidates by essential name: flavours, names inside strings, kinds that never match', () => {
  const { btf, ids } = flavoured();
  assert.deepEqual(idsByEssentialName(btf, 'sample'), [ids.int, ids.sample, ids.v1, ids.v2]);
  // 'a___b___c' is a flavour of 'a___b'; 'b___c' (inside it) of 'b'.
  assert.deepEqual(idsByEssentialName(btf, 'a___b'), [ids.abc]);
  assert.deepEqual(idsByEssentialName(btf, 'a'), []);
  assert.deepEqual(idsByEssentialName(btf, 'b'), [ids.bc]);
  assert.deepEqual(idsByEssentialName(btf, 'xsample'), [ids.xv2]);
  assert.deepEqual(idsByEssentialName(btf, ''), []);
  for (const key of ['sample', 'a___b', 'a', 'b', 'xsample', 'sample_t', 'sample___v1']) {
    assert.deepEqual(idsByEssentialName(btf, key), essentialBruteForce(btf, key), key);
  }
});

test('CO-RE candidates in vmlinux match naming every type', { skip: noVmlinux }, () => {
  const btf = BtfReader.parse(vmlinuxBytes!, { trusted: true });
  // Every essential name that has a flavour separator, and a spread of ordinary ones.
  const keys = new Set(['task_struct', 'sk_buff', 'int', 'sock', 'pid_t', 'file', 'list_head', 'nonexistent_lk']);
  const all = new Map<string, number[]>();
  for (let id = btf.firstId; id <= btf.lastId; id++) {
    const name = btf.name(id);
    if (name === '' || !CANDIDATE_KINDS.has(btf.kind(id))) continue;
    const key = essentialName(name);
    if (key !== name || id % 1009 === 0) keys.add(key);
    const list = all.get(key);
    if (list) list.push(id);
    else all.set(key, [id]);
  }
  for (const key of keys) assert.deepEqual(idsByEssentialName(btf, key), all.get(key) ?? [], key);
});

test('idsByNameOrSuffixed is idsByName plus idsByNamePrefix, for rare and common names', () => {
  const { btf, ids } = flavoured();
  assert.deepEqual(btf.idsByNameOrSuffixed('sample', '___'), [ids.int, ids.sample, ids.v1, ids.v2, ids.func]);
  assert.deepEqual(btf.idsByNameOrSuffixed('a___b', '___'), [ids.abc]);
  assert.deepEqual(btf.idsByNameOrSuffixed('b', '___'), [ids.bc]);
  assert.deepEqual(btf.idsByNameOrSuffixed('', '___'), []);
  // A name inside 40 longer strings takes the two-search path; the answer is the same.
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  for (let i = 0; i < 40; i++) w.typedef(`t${i}_node`, int);
  const node = w.typedef('node', int);
  const flav = w.struct('node___v2', 4, [{ name: 'x', type: int, offset: 0 }]);
  const many = BtfReader.parse(w.encode());
  assert.deepEqual(many.idsByNameOrSuffixed('node', '___'), [node, flav]);
  assert.deepEqual(many.idsByNameOrSuffixed('node', '___'), bruteForce(many, (n) => n === 'node' || n.startsWith('node___')));
});

test('300 random BTF blobs: a fresh trusted reader answers every lookup like the validating parse', () => {
  const names = ['a', 'b', 'ab', 'a___1', 'a___x___y', 'ba', 'task', 'task___v2', 'x', 'int'];
  for (let seed = 1; seed <= 300; seed++) {
    const g = new Gen(rng(seed));
    const w = new BtfWriter();
    const ids: number[] = [w.int(g.pick(names), 4)];
    const anyType = (): number => g.pick(ids);
    for (let n = g.int(1, 40); n > 0; n--) {
      const name = g.pick(names);
      switch (g.int(0, 7)) {
        case 0: ids.push(w.int(name, g.pick([1, 2, 4, 8]))); break;
        case 1: ids.push(w.typedef(name, anyType())); break;
        case 2: ids.push(w.ptr(anyType())); break;
        case 3: ids.push(w.array(anyType(), g.int(0, 40))); break;
        // Members whose type ids, bit offsets and bit-field widths are small numbers, like the
        // strings' offsets; bit-fields make the offset word read as an info word (width << 24).
        case 4: ids.push(w.struct(name, g.int(0, 64), Array.from({ length: g.int(0, 4) }, () => (g.int(0, 1)
          ? { name: g.pick(names), type: anyType(), bitOffset: g.int(0, 40), bitfieldSize: g.int(1, 19) }
          : { name: g.pick(names), type: anyType(), offset: g.int(0, 40) })))); break;
        case 5: ids.push(w.enum(name, Array.from({ length: g.int(1, 4) }, () => [g.pick(names), g.int(0, 40)] as const))); break;
        case 6: ids.push(w.fwd(name, { union: g.int(0, 1) === 1 })); break;
        default: ids.push(w.func(name, w.funcProto(anyType(), [{ name: g.pick(names), type: anyType() }]))); break;
      }
    }
    const bytes = w.encode();
    const checked = BtfReader.parse(bytes);
    const fresh = (): BtfReader => BtfReader.parse(bytes, { trusted: true });
    const what = `seed ${seed}`;
    for (const name of [...names, 'nothing']) {
      assert.deepEqual(fresh().idsByName(name), checked.idsByName(name), `${what}: idsByName('${name}')`);
      assert.deepEqual(fresh().idsByNameOrSuffixed(name, '___'), checked.idsByNameOrSuffixed(name, '___'), `${what}: idsByNameOrSuffixed('${name}')`);
      assert.deepEqual(idsByEssentialName(fresh(), name), idsByEssentialName(checked, name), `${what}: idsByEssentialName('${name}')`);
    }
    const id = g.int(1, checked.lastId);
    assert.deepEqual(fresh().type(id), checked.type(id), `${what}: type ${id}`);
    // One reader through lookups, then everything.
    const one = fresh();
    for (const name of names) one.idsByName(name);
    assert.equal(one.count, checked.count, what);
    assert.deepEqual([...one.types()], [...checked.types()], what);
  }
});
