// BTF fix-up and sanitisation (btf/fixup.ts) on a clang object holding every
// case libbpf rewrites, and on a BtfWriter blob for what clang 14 cannot emit
// (ENUM64, a '?' DATASEC). The kernel accepting the results is tested in
// packages/bpf/test/object-btf.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BtfFixupError, BtfReader, BtfWriter, fixupBtf, prepareBtfForKernel, sanitizeBtf, type BtfFeatures, type BtfSectionInfo, type BtfType,
} from '../src/index.js';
import { compileBpf, readCoreObject } from './support/core-elf.js';
import { FIXUP_C } from './support/core-sources.js';

const obj = readCoreObject(compileBpf(FIXUP_C));
const fixed = fixupBtf(obj.btfBytes, { sections: obj.sections, staticFuncs: ['hidden_sub'] });
const r = BtfReader.parse(fixed);

const datasec = (b: BtfReader, name: string) => b.find(name, 'DATASEC')!;
const varsOf = (b: BtfReader, name: string): { name: string; kind: string; offset: number; size: number; linkage?: string }[] =>
  datasec(b, name).vars.map((v) => {
    const t = b.type(v.type);
    return { name: t.name, kind: t.kind, offset: v.offset, size: v.size, ...('linkage' in t ? { linkage: t.linkage } : {}) };
  });

test('DATASEC sizes and VAR offsets come from the ELF, sorted; statics keep theirs; hidden globals become static', () => {
  for (const name of ['.data', '.bss', '.rodata', '.data.custom', '.maps', 'license']) {
    const info = obj.sections.get(name)!;
    assert.equal(obj.btf.find(name, 'DATASEC')!.size, 0, `clang leaves ${name} at size 0`);
    assert.equal(datasec(r, name).size, info.size, name);
    const vars = varsOf(r, name);
    for (const v of vars) if (v.linkage !== 'static' || v.name === 'h1') assert.equal(v.offset, info.symbols.get(v.name), `${name}:${v.name}`);
    assert.deepEqual(vars.map((v) => v.offset), vars.map((v) => v.offset).sort((a, b) => a - b), `${name} sorted`);
  }
  assert.deepEqual(varsOf(r, '.data'), [
    { name: 'g1', kind: 'VAR', offset: 0, size: 4, linkage: 'global' },
    { name: 'g2', kind: 'VAR', offset: 8, size: 8, linkage: 'global' },
    { name: 'h1', kind: 'VAR', offset: 16, size: 4, linkage: 'static' }, // STV_HIDDEN
    { name: 's1', kind: 'VAR', offset: 20, size: 4, linkage: 'static' }, // clang's own offset
  ]);
  assert.deepEqual(varsOf(r, '.rodata').map((v) => [v.name, v.offset]), [['ro1', 0], ['ratio', 4]]);
});

test('.kconfig externs become global VARs laid out by alignment, size and name', () => {
  assert.deepEqual(varsOf(r, '.kconfig'), [
    { name: 'LINUX_KERNEL_VERSION', kind: 'VAR', offset: 0, size: 4, linkage: 'global' },
    { name: 'CONFIG_BPF_SYSCALL', kind: 'VAR', offset: 4, size: 1, linkage: 'global' },
  ]);
  assert.equal(datasec(r, '.kconfig').size, 5);
  // Offsets the loader already chose win.
  const given = BtfReader.parse(fixupBtf(obj.btfBytes, { sections: obj.sections, kconfigOffsets: new Map([['CONFIG_BPF_SYSCALL', 0], ['LINUX_KERNEL_VERSION', 4]]) }));
  assert.deepEqual(varsOf(given, '.kconfig').map((v) => [v.name, v.offset]), [['CONFIG_BPF_SYSCALL', 0], ['LINUX_KERNEL_VERSION', 4]]);
  assert.equal(datasec(given, '.kconfig').size, 8);
  assert.throws(() => fixupBtf(obj.btfBytes, { sections: obj.sections, kconfigOffsets: new Map() }),
    (e: unknown) => e instanceof BtfFixupError && e.section === '.kconfig' && /no offset given for extern 'LINUX_KERNEL_VERSION'/.test(e.message));
});

test('.ksyms externs become 4-byte global slots; kfuncs become global FUNCs behind one dummy_ksym VAR', () => {
  const dummy = r.find('dummy_ksym', 'VAR')!;
  assert.equal(dummy.id, obj.btf.lastId + 1, 'appended after every original type');
  assert.deepEqual([dummy.linkage, r.type(dummy.type).name], ['global', 'int']);
  assert.deepEqual(varsOf(r, '.ksyms').map((v) => [v.name, v.offset, v.size, v.linkage]), [
    ['dummy_ksym', 0, 4, 'global'], ['dummy_ksym', 4, 4, 'global'], ['dummy_ksym', 8, 4, 'global'], ['bpf_prog_active', 12, 4, 'global'],
  ]);
  assert.equal(datasec(r, '.ksyms').size, 16);
  assert.equal(r.typeOf(r.findId('bpf_prog_active', 'VAR')!, 'VAR').type, r.findId('int', 'INT'));
  for (const name of ['lockne_no_such_kfunc', 'bpf_rcu_read_lock', 'bpf_rcu_read_unlock']) {
    assert.equal(obj.btf.find(name, 'FUNC')!.linkage, 'extern');
    assert.equal(r.find(name, 'FUNC')!.linkage, 'global', name);
  }
  // The kernel wants named arguments: unnamed ones borrow the dummy's name.
  const proto = r.typeOf(r.find('lockne_no_such_kfunc', 'FUNC')!.type, 'FUNC_PROTO');
  assert.deepEqual(proto.params.map((p) => p.name), ['dummy_ksym', 'dummy_ksym']);
});

test('hidden global subprograms become static FUNCs; type ids and string offsets never move', () => {
  assert.equal(r.find('hidden_sub', 'FUNC')!.linkage, 'static');
  assert.equal(r.find('global_sub', 'FUNC')!.linkage, 'global');
  for (let id = 1; id <= obj.btf.lastId; id++) assert.equal(r.name(id), obj.btf.name(id), `type ${id}`);
  // func_info/line_info keep pointing at the same strings: the original string section is a prefix.
  const oh = obj.btf.header;
  const original = obj.btfBytes.subarray(oh.hdrLen + oh.strOff, oh.hdrLen + oh.strOff + oh.strLen);
  const now = fixed.subarray(r.header.hdrLen + r.header.strOff, r.header.hdrLen + r.header.strOff + oh.strLen);
  assert.deepEqual(Buffer.from(now), Buffer.from(original));
});

/** What clang 14 cannot emit: ENUM64, a signed ENUM, a DATASEC named with a '?' prefix. */
function extraKinds(): Uint8Array {
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  w.enum64('big', [['BIG_A', 1n << 40n], ['BIG_B', -1n]], { signed: true });
  w.enum('neg', [['NEG_M', -1], ['NEG_P', 1]], { signed: true });
  const q = w.var('q', int, 'global');
  w.datasec('?.data.q', 4, [{ type: q, offset: 0, size: 4 }]);
  return w.encode();
}

test('sanitising: each missing feature is rewritten as libbpf does, ids and sizes kept', () => {
  const only = (f: keyof BtfFeatures, blob = fixed): BtfReader => BtfReader.parse(sanitizeBtf(blob, { [f]: false }));
  const same = (b: BtfReader): void => {
    for (let id = 1; id <= r.lastId; id++) if (b.kind(id) === r.kind(id)) assert.deepEqual(b.type(id), r.type(id));
  };
  const kindsChanged = (b: BtfReader, from: BtfReader = r): string[] => {
    const out: string[] = [];
    for (let id = 1; id <= from.lastId; id++) if (b.kind(id) !== from.kind(id)) out.push(`${from.kind(id)}->${b.kind(id)}`);
    return [...new Set(out)].sort();
  };

  const noDatasec = only('datasec');
  assert.deepEqual(kindsChanged(noDatasec), ['DATASEC->STRUCT', 'VAR->INT']);
  const data = noDatasec.find('_data', 'STRUCT')!;
  assert.deepEqual(data.members.map((m) => [m.name, m.bitOffset]), [['g1', 0], ['g2', 64], ['h1', 128], ['s1', 160]]);
  assert.equal(data.size, 24);
  assert.deepEqual(noDatasec.type(r.findId('g1', 'VAR')!), { id: r.findId('g1', 'VAR'), kind: 'INT', name: 'g1', size: 1, signed: false, char: false, bool: false, bitOffset: 0, bits: 8 });

  const noFunc = only('func');
  assert.deepEqual(kindsChanged(noFunc), ['FUNC->TYPEDEF', 'FUNC_PROTO->ENUM']);
  const protoId = r.find('global_sub', 'FUNC')!.type;
  assert.deepEqual(noFunc.type(protoId), { id: protoId, kind: 'ENUM', name: '', size: 4, signed: false, values: [{ name: 'x', value: r.findId('int', 'INT') }] });
  assert.equal(noFunc.typeOf(r.findId('global_sub', 'FUNC')!, 'TYPEDEF').type, protoId);

  const noGlobal = only('globalFunc');
  assert.deepEqual(kindsChanged(noGlobal), []);
  assert.ok([...noGlobal.types()].filter((t) => t.kind === 'FUNC').every((t) => t.kind === 'FUNC' && t.linkage === 'static'));

  const noFloat = only('float');
  const floatId = r.findId('float', 'FLOAT')!;
  assert.deepEqual(noFloat.type(floatId), { id: floatId, kind: 'STRUCT', name: '', size: 4, members: [] });

  const noDecl = only('declTag');
  assert.deepEqual(kindsChanged(noDecl), ['DECL_TAG->INT']);
  assert.deepEqual([noDecl.name(r.findId('fn_tag')!), (noDecl.type(r.findId('fn_tag')!) as BtfType & { size: number }).size], ['fn_tag', 1]);

  const noTypeTag = only('typeTag');
  const tagId = r.findId('user', 'TYPE_TAG')!;
  assert.deepEqual(noTypeTag.type(tagId), { id: tagId, kind: 'CONST', name: '', type: r.typeOf(tagId, 'TYPE_TAG').type });
  for (const b of [noDatasec, noFunc, noFloat, noDecl, noTypeTag]) same(b);
  assert.deepEqual(kindsChanged(only('enum64')), [], 'nothing to do for an object without enums');
  assert.deepEqual(kindsChanged(only('qmarkDatasec')), []);

  const extra = BtfReader.parse(extraKinds());
  const noEnum64 = BtfReader.parse(sanitizeBtf(extraKinds(), { enum64: false }));
  const big = noEnum64.typeOf(extra.findId('big')!, 'UNION');
  const placeholder = noEnum64.find('enum64_placeholder', 'INT')!;
  assert.deepEqual([big.size, placeholder.size, placeholder.id], [8, 1, extra.lastId + 1]);
  assert.deepEqual(big.members.map((m) => [m.name, m.type, m.bitOffset]), [['BIG_A', placeholder.id, 0], ['BIG_B', placeholder.id, 0]]);
  assert.deepEqual(noEnum64.find('neg', 'ENUM')!.values.map((v) => v.value), [0xffffffff, 1], 'signedness (kind_flag) cleared');
  const noQmark = BtfReader.parse(sanitizeBtf(extraKinds(), { qmarkDatasec: false }));
  assert.equal(noQmark.name(extra.findId('?.data.q')!), '_.data.q');
  assert.equal(BtfReader.parse(sanitizeBtf(extraKinds(), { datasec: false })).name(extra.findId('?.data.q')!), '__data_q');
});

test('sanitising with every feature present changes nothing but the header', () => {
  const all = sanitizeBtf(fixed, {});
  assert.deepEqual(Buffer.from(all), Buffer.from(fixed));
  assert.deepEqual(Buffer.from(prepareBtfForKernel(obj.btfBytes, { sections: obj.sections, staticFuncs: ['hidden_sub'] })), Buffer.from(fixed));
});

test('missing ELF information and stray externs are BtfFixupError naming the DATASEC', () => {
  const without = (name: string): Map<string, BtfSectionInfo> => new Map([...obj.sections].filter(([k]) => k !== name));
  assert.throws(() => fixupBtf(obj.btfBytes, { sections: without('.bss') }),
    (e: unknown) => e instanceof BtfFixupError && e.section === '.bss' && /size is 0 and the ELF section was not given/.test(e.message));
  const noG2 = new Map(obj.sections);
  noG2.set('.data', { size: 24, symbols: new Map([['g1', 0], ['h1', 16]]) });
  assert.throws(() => fixupBtf(obj.btfBytes, { sections: noG2 }),
    (e: unknown) => e instanceof BtfFixupError && e.message === "BTF fix-up of DATASEC '.data': no ELF symbol for VAR 'g2'");

  const w = new BtfWriter();
  const v = w.var('stray', w.int('int', 4, { signed: true }), 'extern');
  w.datasec('.data', 4, [{ type: v, offset: 0, size: 4 }]);
  assert.throws(() => fixupBtf(w.encode(), { sections: new Map() }),
    (e: unknown) => e instanceof BtfFixupError && /extern VAR 'stray' outside .kconfig and .ksyms/.test(e.message));
});
