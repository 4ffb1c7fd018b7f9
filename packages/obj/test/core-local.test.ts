// CO-RE resolution against a hand-built target BTF whose layout differs from
// the program's local view: fields moved, widened and removed, bitfields
// shifted across a 4-byte boundary, an enum renumbered and shortened, several
// flavours of one type. Every one of the 13 relocation kinds, the poison cases
// and the ambiguity errors, with expectations computed by hand from the
// target layout below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BtfReader, BtfWriter, CoreReloError, CoreReloKind as K, CoreResolver, CORE_POISON_IMM, applyCoreRelos, patchCoreInsn, poisonedAt,
  type CoreApplied, type CoreOutcome, type Instruction,
} from '../src/index.js';
import type { CoreRelo } from '../src/object/spec.js';
import { compileBpf, readCoreObject } from './support/core-elf.js';
import { LOCAL_C } from './support/core-sources.js';

const obj = readCoreObject(compileBpf(LOCAL_C));
const localId = (name: string, kind: 'STRUCT' | 'ENUM' | 'TYPEDEF' = 'STRUCT'): number => obj.btf.findId(name, kind)!;

/**
 * The "kernel" these tests relocate against:
 *   struct sample { long d @0; unsigned a @8; unsigned b:3 @bit96; int s:4 @bit99; unsigned c:5 @bit158;
 *                   struct { int arr[8]; int x; } @24; unsigned long small @64; long sgn @72;
 *                   struct inner *ptr @80; char name[8] @88 }                        size 96, no 'gone'
 *   struct inner { int pad; int v; }   struct flex { int n; long pad; int data[]; }
 *   enum colour { GREEN = 20, RED = 10 }   enum shade { LIGHT = 5, DARK = 6, MID = 7 }   typedef struct sample sample_t
 */
function buildTarget(): BtfReader {
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const uint = w.int('unsigned int', 4);
  const long = w.int('long', 8, { signed: true });
  const ulong = w.int('unsigned long', 8);
  const char = w.int('char', 1, { signed: true });
  const inner = w.struct('inner', 8, [{ name: 'pad', type: int, offset: 0 }, { name: 'v', type: int, offset: 4 }]);
  const anon = w.struct('', 36, [{ name: 'arr', type: w.array(int, 8), offset: 0 }, { name: 'x', type: int, offset: 32 }]);
  const sample = w.struct('sample', 96, [
    { name: 'd', type: long, offset: 0 },
    { name: 'a', type: uint, offset: 8 },
    { name: 'b', type: uint, bitOffset: 96, bitfieldSize: 3 },
    { name: 's', type: int, bitOffset: 99, bitfieldSize: 4 },
    { name: 'c', type: uint, bitOffset: 158, bitfieldSize: 5 },
    { name: '', type: anon, offset: 24 },
    { name: 'small', type: ulong, offset: 64 },
    { name: 'sgn', type: long, offset: 72 },
    { name: 'ptr', type: w.ptr(inner), offset: 80 },
    { name: 'name', type: w.array(char, 8), offset: 88 },
  ]);
  w.struct('flex', 16, [{ name: 'n', type: int, offset: 0 }, { name: 'pad', type: long, offset: 8 }, { name: 'data', type: w.array(int, 0), offset: 16 }]);
  w.typedef('sample_t', sample);
  w.enum('colour', [['GREEN', 20], ['RED', 10]]);
  w.enum('shade', [['LIGHT', 5], ['DARK', 6], ['MID', 7]]);
  return BtfReader.parse(w.encode());
}
const target = buildTarget();

function apply(program: string, t: BtfReader = target, resolver = new CoreResolver(obj.btf, t, { targetName: 'test BTF' })): CoreApplied {
  const p = obj.programs.get(program)!;
  return applyCoreRelos(p.instructions, p.relos, resolver, { program });
}

/** The outcome whose kind label and local access text match. */
function pick(a: CoreApplied, label: string, local: RegExp): CoreOutcome {
  const found = a.outcomes.filter((o) => o.result.kindLabel === label && local.test(o.result.local));
  assert.equal(found.length, 1, `exactly one ${label} relocation matching ${local}: ${a.outcomes.map((o) => o.result.local).join(' | ')}`);
  return found[0]!;
}

const isPoison = (i: Instruction | undefined): boolean => i?.code === 0x85 && i.imm === CORE_POISON_IMM && i.src === 0 && i.dst === 0 && i.off === 0;

test('FIELD_BYTE_OFFSET: moved fields, anonymous members, arrays, pointers and a root index', () => {
  const a = apply('fields');
  const sid = localId('sample___l');
  const expect: [RegExp, number, number][] = [
    [/\.d \(0:4 @ offset 8\)$/, 8, 0],
    [/\.a \(0:0 @ offset 0\)$/, 0, 8],
    [/\.arr\[2\] \(0:5:1:2 @ offset 28\)$/, 28, 24 + 2 * 4],
    [/\.x \(0:5:0 @ offset 16\)$/, 16, 24 + 32],
    [/\.ptr \(0:8 @ offset 48\)$/, 48, 80],
    [/\[1\]\.a \(1:0 @ offset 80\)$/, 80, 96 + 8],
  ];
  for (const [re, orig, now] of expect) {
    const o = pick(a, 'byte_off', re);
    assert.equal(o.result.origValue, BigInt(orig), o.result.explanation);
    assert.equal(o.result.newValue, BigInt(now), o.result.explanation);
    assert.equal(o.patch.poisoned, false);
    assert.equal(a.instructions[o.relo.insnOff]!.off, now, 'the load offset is patched');
  }
  assert.match(pick(a, 'byte_off', /\.d /).result.local, new RegExp(`^<byte_off> \\[${sid}\\] struct sample___l\\.d \\(0:4 @ offset 8\\)$`));
  assert.match(pick(a, 'byte_off', /\.d /).result.target!, /^<byte_off> \[\d+\] struct sample\.d \(0:0 @ offset 0\)$/);
  // The anonymous member shows in the raw path but not in the named one.
  assert.match(pick(a, 'byte_off', /\.x /).result.target!, /struct sample\.x \(0:5:1 @ offset 56\)$/);

  const inner = pick(a, 'byte_off', /inner___l\.v/);
  assert.equal(inner.result.newValue, 4n, 'struct inner___l matched struct inner (flavour stripped)');

  // unsigned int -> unsigned long: the load widens from u32 to u64 (zero-extension keeps the value).
  const small = pick(a, 'byte_off', /\.small /);
  assert.equal(small.result.newValue, 64n);
  assert.deepEqual([small.result.origSize, small.result.newSize], [4, 8]);
  assert.equal(a.instructions[small.relo.insnOff]!.code, 0x79, 'LDX W became LDX DW');
  assert.equal(small.patch.before[0]!.code, 0x61);

  // int -> long: a narrower load of a signed field would read the wrong value, so libbpf poisons it.
  const sgn = pick(a, 'byte_off', /\.sgn /);
  assert.equal(sgn.result.failMemSizeAdjust, true);
  assert.equal(sgn.patch.poisoned, true);
  assert.match(sgn.patch.reason!, /wrong width \(4 -> 8 bytes\)/);
  assert.ok(isPoison(a.instructions[sgn.relo.insnOff]), 'poisoned: call 0xbad2310');
  assert.equal(poisonedAt(a.outcomes, sgn.relo.insnOff), sgn);
});

test('FIELD_BYTE_OFFSET through a flexible array member', () => {
  const o = apply('flex').outcomes[0]!;
  assert.match(o.result.local, /struct flex___l\.data\[5\] \(0:1:5 @ offset 24\)$/);
  assert.equal(o.result.newValue, 16n + 5n * 4n);
});

test('bitfields: BYTE_OFFSET, BYTE_SIZE, LSHIFT_U64, RSHIFT_U64 and SIGNED extract the target bits', () => {
  const a = apply('bitfields');
  const values = (field: string): Record<string, bigint> => Object.fromEntries(
    a.outcomes.filter((o) => new RegExp(`\\.${field} \\(`).test(o.result.local)).map((o) => [o.result.kindLabel, o.result.newValue]));
  // c: bits 158..162 straddle the 4-byte boundary at bit 160, so an 8-byte load at byte 16 is needed.
  assert.deepEqual(values('c'), { byte_off: 16n, byte_sz: 8n, lshift_u64: 64n - (158n + 5n - 128n), rshift_u64: 59n, signed: 0n });
  // s: signed 4 bits at bit 99: a 4-byte load at byte 12.
  assert.deepEqual(values('s'), { byte_off: 12n, byte_sz: 4n, lshift_u64: 64n - (99n + 4n - 96n), rshift_u64: 60n, signed: 1n });

  // What BPF_CORE_READ_BITFIELD computes with these values, on a target-layout image.
  const image = new Uint8Array(96);
  const put = (bit: number, width: number, value: number): void => {
    for (let i = 0; i < width; i++) if ((value >> i) & 1) image[(bit + i) >> 3]! |= 1 << ((bit + i) & 7);
  };
  put(96, 3, 5);
  put(99, 4, -3 & 0xf);
  put(158, 5, 27);
  const read = (v: Record<string, bigint>): bigint => {
    let x = 0n;
    for (let i = Number(v.byte_sz) - 1; i >= 0; i--) x = (x << 8n) | BigInt(image[Number(v.byte_off) + i]!);
    x = BigInt.asUintN(64, x << v.lshift_u64!);
    return v.signed ? BigInt.asIntN(64, x) >> v.rshift_u64! : x >> v.rshift_u64!;
  };
  assert.equal(read(values('c')), 27n);
  assert.equal(read(values('s')), -3n);
  // Offsets and sizes of bitfields are not validated (clang chose an 8-byte load at 0 here); shifts are patched in place.
  for (const o of a.outcomes) assert.equal(o.patch.poisoned, false, o.result.explanation);
});

test('FIELD_BYTE_SIZE, FIELD_EXISTS and FIELD_SIGNED', () => {
  const sizes = apply('sizes');
  assert.equal(pick(sizes, 'byte_sz', /\.d /).result.newValue, 8n);
  const name = pick(sizes, 'byte_sz', /\.name /).result;
  assert.deepEqual([name.origValue, name.newValue], [16n, 8n]);
  assert.deepEqual([pick(sizes, 'byte_sz', /\.arr\[1\] /).result.newValue], [4n]);

  const ex = apply('exists');
  const gone = pick(ex, 'field_exists', /\.gone /);
  assert.deepEqual([gone.result.origValue, gone.result.newValue, gone.patch.poisoned], [1n, 0n, false]);
  assert.equal(ex.instructions[gone.relo.insnOff]!.imm, 0);
  assert.match(gone.result.explanation, /the field is not in any of 1 candidate\(s\) in test BTF \(\[\d+\] struct sample\)/);
  assert.equal(pick(ex, 'field_exists', /\.a /).result.newValue, 1n);

  const signs = apply('signs');
  assert.deepEqual([pick(signs, 'signed', /\.a /).result.origValue, pick(signs, 'signed', /\.a /).result.newValue], [1n, 0n]);
  assert.deepEqual([pick(signs, 'signed', /\.small /).result.newValue], [0n]);
});

test('TYPE_EXISTS, TYPE_SIZE, TYPE_ID_LOCAL and TYPE_ID_TARGET', () => {
  const t = apply('types');
  assert.equal(pick(t, 'type_exists', /typedef sample_t$/).result.newValue, 1n, 'typedef found under its own name');
  const size = pick(t, 'type_size', /struct sample___l$/);
  assert.deepEqual([size.result.origValue, size.result.newValue], [80n, 96n]);
  const none = pick(t, 'type_exists', /struct nowhere$/);
  assert.deepEqual([none.result.newValue, none.patch.poisoned], [0n, false]);
  assert.match(none.result.explanation, /no type named 'nowhere'/);
  assert.deepEqual([pick(t, 'type_size', /struct nowhere$/).result.newValue], [0n], 'a missing type has size 0, not poison');
  assert.equal(pick(t, 'type_exists', /enum shade___l$/).result.newValue, 1n);

  const ids = apply('ids');
  const loc = pick(ids, 'local_type_id', /sample___l/);
  assert.deepEqual([loc.result.newValue, loc.result.validate], [BigInt(localId('sample___l')), false]);
  const tgt = pick(ids, 'target_type_id', /sample___l/);
  assert.equal(tgt.result.newValue, BigInt(target.findId('sample', 'STRUCT')!));
  // Both are LD_IMM64: the id lands in the low half, the high half stays 0.
  assert.equal(ids.instructions[tgt.relo.insnOff]!.imm, target.findId('sample', 'STRUCT'));
  assert.equal(ids.instructions[tgt.relo.insnOff + 1]!.imm, 0);
});

test('ENUMVAL_VALUE and ENUMVAL_EXISTS: renumbered and missing enumerators', () => {
  const a = apply('enums');
  const green = pick(a, 'enumval_value', /::GREEN = 2$/);
  assert.deepEqual([green.result.origValue, green.result.newValue], [2n, 20n]);
  assert.match(green.result.target!, /enum colour::GREEN = 20$/);
  assert.equal(pick(a, 'enumval_exists', /::BLUE = 3$/).result.newValue, 0n);
  const blue = pick(a, 'enumval_value', /::BLUE = 3$/);
  assert.equal(blue.patch.poisoned, true);
  assert.match(blue.patch.reason!, /the enumerator is not in any of 1 candidate/);
  // An LD_IMM64 is poisoned in both slots (a lone second slot would be "unknown opcode 00").
  assert.ok(isPoison(a.instructions[blue.relo.insnOff]) && isPoison(a.instructions[blue.relo.insnOff + 1]));
});

test('TYPE_MATCHES: members by name and type, enums by enumerator names, struct vs fwd behind pointers', () => {
  // clang 14 cannot emit TYPE_MATCHES; reuse the TYPE_EXISTS records (same access string "0", same expected 1).
  const types = obj.programs.get('types')!;
  const asMatches = (name: string): { relo: CoreRelo; insns: Instruction[] } => {
    const id = obj.btf.idsByName(name)[0]!;
    const r = types.relos.find((x) => x.typeId === id && x.kind === K.TYPE_EXISTS)!;
    return { relo: { ...r, kind: K.TYPE_MATCHES }, insns: types.instructions.slice() };
  };
  const resolver = new CoreResolver(obj.btf, target);
  const outcome = (name: string): bigint => {
    const { relo, insns } = asMatches(name);
    const res = resolver.resolve(relo);
    patchCoreInsn(insns, relo.insnOff, res, relo);
    assert.equal(BigInt(insns[relo.insnOff]!.imm), res.newValue);
    return res.newValue;
  };
  assert.equal(outcome('inner___l'), 1n, 'every local member exists in the target with a matching type');
  assert.equal(outcome('shade___l'), 1n, 'every local enumerator is named in the target; values do not matter');
  assert.equal(outcome('colour___l'), 0n, 'BLUE is missing');
  assert.equal(outcome('sample_t'), 0n, "'gone' is missing and 'a' changed signedness");

  // Pointers: a local struct may match a target forward declaration of the same kind, never of the other kind.
  const local = new BtfWriter();
  const lint = local.int('int', 4, { signed: true });
  const lholder = local.struct('holder', 8, [{ name: 'p', type: local.ptr(local.struct('opaque', 4, [{ name: 'x', type: lint, offset: 0 }])), offset: 0 }]);
  const localBtf = BtfReader.parse(local.encode());
  const targetWith = (fwd: 'struct' | 'union' | 'int'): BtfReader => {
    const w = new BtfWriter();
    const pointee = fwd === 'int' ? w.int('opaque', 4) : w.fwd('opaque', { union: fwd === 'union' });
    w.struct('holder', 8, [{ name: 'p', type: w.ptr(pointee), offset: 0 }]);
    return BtfReader.parse(w.encode());
  };
  const matches = (t: BtfReader): bigint => new CoreResolver(localBtf, t).resolve({ typeId: lholder, accessStr: '0', kind: K.TYPE_MATCHES }).newValue;
  assert.equal(matches(targetWith('struct')), 1n);
  assert.equal(matches(targetWith('union')), 0n);
  assert.equal(matches(targetWith('int')), 0n);
});

/** Two flavours of `sample` in one target: `a` differs in offset, `d` only in size. */
function ambiguousTarget(): BtfReader {
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const long = w.int('long', 8, { signed: true });
  w.struct('sample', 16, [{ name: 'a', type: int, offset: 0 }, { name: 'd', type: long, offset: 8 }]);
  w.struct('sample___v2', 16, [{ name: 'a', type: int, offset: 4 }, { name: 'd', type: int, offset: 8 }]);
  return BtfReader.parse(w.encode());
}

test('several flavours: agreeing candidates are fine, disagreeing ones are an ambiguity error', () => {
  const t = ambiguousTarget();
  const fields = obj.programs.get('fields')!;
  const sizes = obj.programs.get('sizes')!;
  const rel = (p: typeof fields, access: string, kind: number): CoreRelo => p.relos.find((r) => r.accessStr === access && r.kind === kind)!;

  const d = new CoreResolver(obj.btf, t).resolve(rel(fields, '0:4', K.FIELD_BYTE_OFFSET));
  assert.deepEqual([d.newValue, d.matched], [8n, 2]);

  assert.throws(() => new CoreResolver(obj.btf, t).resolve(rel(fields, '0:0', K.FIELD_BYTE_OFFSET), { program: 'fields', reloIndex: 1 }), (e: unknown) => {
    assert.ok(e instanceof CoreReloError);
    assert.equal(e.errno, 'EINVAL');
    assert.match(e.message, /^prog 'fields': CO-RE relo #1: .*field offset ambiguity .*struct sample\.a.* and .*struct sample___v2\.a.*: bit 32 != 0 \(EINVAL\)$/);
    return true;
  });
  assert.throws(() => new CoreResolver(obj.btf, t).resolve(rel(sizes, '0:4', K.FIELD_BYTE_SIZE)),
    (e: unknown) => e instanceof CoreReloError && /relocation decision ambiguity .*: success 4 != success 8/.test(e.message));
});

test('the candidate list is pruned to the matching flavours, as libbpf prunes its cache', () => {
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const long = w.int('long', 8, { signed: true });
  w.struct('sample___one', 16, [{ name: 'a', type: int, offset: 0 }, { name: 'd', type: long, offset: 8 }]);
  w.struct('sample___two', 16, [{ name: 'gone', type: int, offset: 0 }, { name: 'd', type: long, offset: 8 }]);
  const t = BtfReader.parse(w.encode());
  const fields = obj.programs.get('fields')!;
  const exists = obj.programs.get('exists')!;
  const gone = exists.relos.find((r) => r.accessStr === '0:9')!;

  assert.equal(new CoreResolver(obj.btf, t).resolve(gone).newValue, 1n, "a fresh resolver finds 'gone' in sample___two");
  const r = new CoreResolver(obj.btf, t);
  assert.equal(r.resolve(fields.relos.find((x) => x.accessStr === '0:4')!).matched, 2);
  assert.equal(r.resolve(fields.relos.find((x) => x.accessStr === '0:0')!).matched, 1, "only sample___one has 'a'");
  const after = r.resolve(gone);
  assert.deepEqual([after.newValue, after.matched], [0n, 0], 'sample___two was pruned by the previous relocation');
  assert.match(after.explanation, /1 candidate\(s\) in vmlinux \(\[\d+\] struct sample___one\)/);
});

test('records libbpf refuses are CoreReloError with the errno and the access', () => {
  const sid = localId('sample___l');
  const r = new CoreResolver(obj.btf, target);
  const fails = (relo: Omit<CoreRelo, 'insnOff'>, errno: string, re: RegExp): void => {
    assert.throws(() => r.resolve(relo), (e: unknown) => e instanceof CoreReloError && e.errno === errno && re.test(e.message) && e.context.accessStr === relo.accessStr);
  };
  fails({ typeId: sid, accessStr: '0:99', kind: K.FIELD_BYTE_OFFSET }, 'EINVAL', /parsing \[\d+\] struct sample___l \+ '0:99' \(byte_off\) failed: member #99/);
  fails({ typeId: sid, accessStr: '0:5:1:7', kind: K.FIELD_BYTE_OFFSET }, 'EINVAL', /index 7 is outside array/);
  fails({ typeId: sid, accessStr: '1', kind: K.TYPE_SIZE }, 'EINVAL', /needs access string '0'/);
  fails({ typeId: sid, accessStr: '', kind: K.FIELD_EXISTS }, 'EINVAL', /empty/);
  fails({ typeId: sid, accessStr: '0:a', kind: K.FIELD_EXISTS }, 'EINVAL', /malformed/);
  fails({ typeId: sid, accessStr: '0:5:1:2', kind: K.FIELD_SIGNED }, 'EINVAL', /cannot be applied to an array element/);
  fails({ typeId: localId('colour___l', 'ENUM'), accessStr: '3', kind: K.ENUMVAL_VALUE }, 'EINVAL', /does not name an enumerator/);
  fails({ typeId: sid, accessStr: '0', kind: 13 }, 'EINVAL', /unknown relocation kind 13/);
  const anon = [...obj.btf.types()].find((t) => t.kind === 'STRUCT' && t.name === '')!;
  fails({ typeId: anon.id, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, 'EINVAL', /candidate search failed for \[\d+\] struct <anon>: CO-RE relocations against anonymous types/);
});

test('patching refuses instructions that do not hold what the compiler emitted', () => {
  const fields = obj.programs.get('fields')!;
  const relo = fields.relos.find((x) => x.accessStr === '0:4')!; // d: LDX at off 8
  const res = new CoreResolver(obj.btf, target).resolve(relo);
  const insns = fields.instructions.slice();
  insns[relo.insnOff] = { ...insns[relo.insnOff]!, off: 12 };
  assert.throws(() => patchCoreInsn(insns, relo.insnOff, res, relo, { program: 'fields' }),
    (e: unknown) => e instanceof CoreReloError && /^prog 'fields': CO-RE relo: insn #0: unexpected LDX\/ST\/STX instruction #0 offset: got 12, expected 8/.test(e.message));
  assert.throws(() => patchCoreInsn([{ code: 0x05, dst: 0, src: 0, off: 1, imm: 0 }], 0, res, relo),
    (e: unknown) => e instanceof CoreReloError && /code 0x5\) cannot carry a CO-RE relocation/.test(e.message));
  assert.throws(() => patchCoreInsn([{ code: 0x0f, dst: 1, src: 2, off: 0, imm: 0 }], 0, res, relo),
    (e: unknown) => e instanceof CoreReloError && /uses a register source/.test(e.message));

  // An offset past 32767 cannot be encoded in a load.
  const w = new BtfWriter();
  w.struct('inner', 40008, [{ name: 'v', type: w.int('int', 4, { signed: true }), offset: 40000 }]);
  const far = BtfReader.parse(w.encode());
  const vRelo = fields.relos.find((x) => obj.btf.name(x.typeId) === 'inner___l')!;
  const farRes = new CoreResolver(obj.btf, far).resolve(vRelo);
  assert.equal(farRes.newValue, 40000n);
  assert.throws(() => patchCoreInsn(fields.instructions.slice(), vRelo.insnOff, farRes, vRelo),
    (e: unknown) => e instanceof CoreReloError && e.errno === 'ERANGE' && /offset 40000 does not fit 16 bits/.test(e.message));
});

test('module BTFs are searched only when the main target has no candidate', () => {
  // A split BTF on top of `target` defining `struct nowhere { int z; }`, as a kernel module's BTF would.
  const strings = Buffer.from('nowhere\0z\0');
  const base = target.stringsLength;
  const words = [base, ((4 << 24) | 1) >>> 0, 4, base + 8, target.findId('int', 'INT')!, 0];
  const blob = new Uint8Array(24 + words.length * 4 + strings.length);
  const v = new DataView(blob.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(12, words.length * 4, true);
  v.setUint32(16, words.length * 4, true);
  v.setUint32(20, strings.length, true);
  words.forEach((w, i) => v.setUint32(24 + 4 * i, w, true));
  blob.set(strings, 24 + words.length * 4);
  const mod = BtfReader.parse(blob, { base: target });

  const types = obj.programs.get('types')!;
  const nowhere = obj.btf.findId('nowhere', 'STRUCT')!;
  const exists = types.relos.find((x) => x.typeId === nowhere && x.kind === K.TYPE_EXISTS)!;
  const size = types.relos.find((x) => x.typeId === nowhere && x.kind === K.TYPE_SIZE)!;
  const r = new CoreResolver(obj.btf, target, { modules: [mod] });
  assert.equal(r.resolve(exists).newValue, 1n);
  const s = r.resolve(size);
  assert.deepEqual([s.newValue, s.targetTypeId], [4n, target.lastId + 1]);
  // sample___l has candidates in the main target, so the module is not consulted for it.
  const sizeOfSample = types.relos.find((x) => x.kind === K.TYPE_SIZE && x.typeId !== nowhere)!;
  assert.equal(r.resolve(sizeOfSample).targetTypeId, target.findId('sample', 'STRUCT'));
});
