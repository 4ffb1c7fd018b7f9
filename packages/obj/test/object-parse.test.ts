// parseObject on objects clang builds for libbpf: maps (BTF-defined, map in
// map, prog array slots, pinning, legacy), global data, externs, section
// defs, and the same spec from a big-endian build.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BtfReader, parseObject, ObjectParseError, type MapSpec, type ObjectSpec } from '../src/index.js';
import { Cc, haveClang, need } from './support/object-cc.js';
import { EXTERNS, LEGACY, RICH, UNKNOWN_SECTION } from './support/object-sources.js';

const MMAPABLE = 1024;
const RDONLY_PROG = 128;

let cc: Cc | undefined;
const built = new Map<string, Uint8Array>();
before(() => {
  if (!haveClang) return;
  cc = new Cc();
  for (const [name, src] of [['rich', RICH], ['externs', EXTERNS], ['legacy', LEGACY], ['unknown', UNKNOWN_SECTION]]) {
    built.set(name!, cc.read(cc.bpf(name!, src!)));
  }
  // Same source file names, so BTF string offsets (file names) match the little-endian builds.
  built.set('rich-eb', cc.read(cc.bpf('rich', RICH, 'bpfeb')));
  built.set('externs-eb', cc.read(cc.bpf('externs', EXTERNS, 'bpfeb')));
  built.set('legacy-eb', cc.read(cc.bpf('legacy', LEGACY, 'bpfeb')));
  built.set('legacy-nobtf', cc.read(cc.bpf('legacy-nobtf', LEGACY, 'bpf', ['-g0'])));
  built.set('rich-nobtf', cc.read(cc.bpf('rich-nobtf', RICH, 'bpf', ['-g0'])));
});
after(() => cc?.dispose());

const obj = (name: string): ObjectSpec => parseObject(built.get(name)!);
const map = (spec: ObjectSpec, name: string): MapSpec => {
  const m = spec.maps.find((x) => x.name === name);
  assert.ok(m, `map ${name} in ${spec.maps.map((x) => x.name).join(', ')}`);
  return m;
};

test('BTF-defined maps: sizes, flags, pinning, BTF types, in .maps offset order', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const spec = obj('rich');
  const btf = BtfReader.parse(spec.btf!);
  const counts = map(spec, 'counts');
  assert.deepEqual({ ...counts, btfKeyTypeId: 0, btfValueTypeId: 0 }, {
    name: 'counts', type: 1, keySize: 4, valueSize: 8, maxEntries: 128, flags: 1, pinning: 'byName', btfKeyTypeId: 0, btfValueTypeId: 0,
  });
  assert.equal(btf.name(counts.btfKeyTypeId), '__u32');
  assert.equal(btf.name(counts.btfValueTypeId), '__u64');
  assert.deepEqual(map(spec, 'rb'), { name: 'rb', type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0, pinning: 'none', btfKeyTypeId: 0, btfValueTypeId: 0 });
  assert.equal(map(spec, 'bloom').mapExtra, 3n);
  // libbpf's order: the DATASEC's variables sorted by their (ELF symbol) offsets.
  const btfMaps = spec.maps.filter((m) => !m.name.startsWith('.')).map((m) => m.name);
  assert.deepEqual([...btfMaps].sort(), ['bloom', 'counts', 'hom', 'in1', 'in2', 'jt', 'outer', 'rb']);
});

test('map in map: inner definition and initial slots; prog array slots name programs', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const spec = obj('rich');
  const outer = map(spec, 'outer');
  assert.equal(outer.type, 12);
  assert.equal(outer.valueSize, 4);
  assert.deepEqual({ ...outer.inner!, btfKeyTypeId: 0, btfValueTypeId: 0 }, {
    name: 'outer.inner', type: 2, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, pinning: 'none', btfKeyTypeId: 0, btfValueTypeId: 0,
  });
  assert.deepEqual(outer.initialSlots, [{ index: 1, ref: { kind: 'map', name: 'in2' } }]);
  assert.deepEqual(map(spec, 'hom').inner, {
    name: 'hom.inner', type: 2, keySize: 4, valueSize: 16, maxEntries: 1, flags: 0, pinning: 'none', btfKeyTypeId: 0, btfValueTypeId: 0,
  });
  assert.equal(map(spec, 'hom').initialSlots, undefined);
  assert.deepEqual(map(spec, 'jt').initialSlots, [{ index: 2, ref: { kind: 'program', name: 'tail' } }]);
});

test('global data: one ARRAY map per section with contents, symbols and libbpf flags', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const spec = obj('rich');
  const btf = BtfReader.parse(spec.btf!);
  const data = map(spec, '.data');
  assert.deepEqual({ ...data, data: undefined, btfValueTypeId: 0 }, {
    name: '.data', type: 2, keySize: 4, valueSize: 4, maxEntries: 1, flags: MMAPABLE, pinning: 'none', btfKeyTypeId: 0, btfValueTypeId: 0, data: undefined,
  });
  assert.equal(btf.name(data.btfValueTypeId), '.data');
  assert.deepEqual(data.data, { section: '.data', bytes: Uint8Array.from([7, 0, 0, 0]), readOnly: false, symbols: [{ name: 'gdata', offset: 0, size: 4 }] });
  const ro = map(spec, '.rodata');
  assert.equal(ro.flags, RDONLY_PROG | MMAPABLE);
  assert.deepEqual(ro.data, {
    section: '.rodata', readOnly: true, bytes: Uint8Array.from([3, 0, 0, 0, 0, 0, 0, 0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]),
    symbols: [{ name: 'cfg', offset: 0, size: 4 }, { name: 'big', offset: 8, size: 8 }],
  });
  const bss = map(spec, '.bss');
  assert.deepEqual(bss.data, { section: '.bss', bytes: new Uint8Array(8), readOnly: false, symbols: [{ name: 'bssv', offset: 0, size: 8 }] });
  assert.deepEqual(map(spec, '.data.custom').data?.bytes, Uint8Array.from([42, 0, 0, 0]));
  assert.equal(map(spec, '.data.custom').flags, MMAPABLE);
  // As libbpf 1.1: mmapable even with only hidden or static variables.
  assert.equal(map(spec, '.data.hid').flags, MMAPABLE);
  assert.equal(map(spec, '.data.stat').flags, MMAPABLE);
  // String/constant pools without BTF: read-only, no BTF value type.
  const pool = spec.maps.find((m) => m.name.startsWith('.rodata.'));
  assert.ok(pool);
  assert.equal(pool.flags, RDONLY_PROG | MMAPABLE);
  assert.equal(pool.btfValueTypeId, 0);
  assert.equal(spec.license, 'Dual BSD/GPL');
  assert.equal(spec.kernelVersion, 0x050a00);
});

test('global variable loads become mapValue relocations with their offset; map loads become map relocations', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const spec = obj('rich');
  const prog1 = spec.programs.find((p) => p.name === 'prog1')!;
  const kinds = prog1.relocations.map((r) => (r.kind === 'mapValue' ? `${r.map}+${r.offset}` : r.kind === 'map' ? `map:${r.map}` : r.kind));
  for (const want of ['map:counts', '.data+0', '.bss+0', '.rodata+0', '.rodata+8', '.data.hid+0']) assert.ok(kinds.includes(want), `${want} in ${kinds}`);
  for (const r of prog1.relocations) {
    const insn = prog1.instructions[r.insn]!;
    assert.equal(insn.code, 0x18, `relocation at ${r.insn} is on an LD_IMM64`);
    assert.deepEqual([insn.imm, prog1.instructions[r.insn + 1]!.imm], [0, 0], 'placeholders are zero');
  }
  const tail = spec.programs.find((p) => p.name === 'tail')!;
  assert.deepEqual(tail.relocations.map((r) => ({ ...r, insn: 0 })), [{ insn: 0, kind: 'map', map: 'jt' }]);
});

test('programs: section defs, order, and SEC("?...") marks autoload false', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const spec = obj('rich');
  assert.deepEqual(spec.programs.map((p) => [p.name, p.def.section, p.def.progType]).sort(), [
    ['optional', 'tc', 3], ['prog1', 'xdp', 6], ['prog2', 'tc', 3], ['tail', 'tc', 3],
  ]);
  assert.equal(spec.programs.find((p) => p.name === 'optional')!.autoload, false);
  assert.equal(spec.programs.find((p) => p.name === 'prog1')!.autoload, undefined);
  assert.equal(spec.programs.find((p) => p.name === 'prog1')!.def.expectedAttachType, 37);
  // Section order: 'tc' programs come before or after 'xdp' as their sections do, never interleaved.
  const secs = spec.programs.map((p) => p.def.section + (p.autoload === false ? '?' : ''));
  assert.deepEqual(secs, [...secs].sort((a, b) => secs.indexOf(a) - secs.indexOf(b)));
});

test('externs: kconfig layout as libbpf, typed and typeless ksyms, kfuncs, weak flags', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const spec = obj('externs');
  const btf = BtfReader.parse(spec.btf!);
  const ext = spec.externs.map((e) => ({ ...e, btfTypeId: e.btfTypeId === 0 ? 0 : btf.name(e.btfTypeId!) || btf.kind(e.btfTypeId!) }));
  assert.deepEqual(ext, [
    // kconfig: alignment descending, then size ascending, then name.
    { name: 'LINUX_KERNEL_VERSION', kind: 'kconfig', weak: false, size: 4, offset: 0, btfTypeId: 'int' },
    { name: 'CONFIG_BPF_SYSCALL', kind: 'kconfig', weak: true, size: 1, offset: 4, btfTypeId: '_Bool' },
    { name: 'CONFIG_DEFAULT_HOSTNAME', kind: 'kconfig', weak: true, size: 8, offset: 5, btfTypeId: 'ARRAY' },
    { name: 'bpf_prog_active', kind: 'ksym', weak: false, btfTypeId: 0 },
    { name: 'bpf_task_acquire', kind: 'kfunc', weak: false, btfTypeId: 'bpf_task_acquire' },
    { name: 'bpf_task_release', kind: 'kfunc', weak: false, btfTypeId: 'bpf_task_release' },
    { name: 'bpf_weak_var', kind: 'ksym', weak: true, btfTypeId: 'int' },
  ]);
  const kc = map(spec, '.kconfig');
  assert.equal(kc.valueSize, 13);
  assert.equal(kc.flags, RDONLY_PROG | MMAPABLE);
  assert.equal(btf.name(kc.btfValueTypeId), '.kconfig');
  assert.deepEqual(kc.data?.symbols.map((s) => s.name), ['LINUX_KERNEL_VERSION', 'CONFIG_BPF_SYSCALL', 'CONFIG_DEFAULT_HOSTNAME']);
  const sw = spec.programs[0]!;
  const byKind = (k: string): string[] => sw.relocations.filter((r) => r.kind === k).map((r) => ('extern' in r ? r.extern : ''));
  assert.deepEqual(byKind('kfunc'), ['bpf_task_acquire', 'bpf_task_release']);
  assert.deepEqual(byKind('ksym').sort(), ['bpf_prog_active', 'bpf_weak_var']);
  assert.deepEqual(byKind('kconfig').sort(), ['CONFIG_BPF_SYSCALL', 'CONFIG_DEFAULT_HOSTNAME', 'LINUX_KERNEL_VERSION']);
  for (const r of sw.relocations.filter((x) => x.kind === 'kfunc')) {
    const insn = sw.instructions[r.insn]!;
    assert.deepEqual([insn.code, insn.src, insn.imm], [0x85, 2, 0], 'kfunc call: src=BPF_PSEUDO_KFUNC_CALL, imm placeholder 0');
  }
});

test('legacy "maps" section (struct bpf_map_def)', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const spec = obj('legacy');
  assert.deepEqual(spec.maps.filter((m) => !m.name.startsWith('.')), [
    { name: 'lcount', type: 2, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0, pinning: 'none', btfKeyTypeId: 0, btfValueTypeId: 0 },
    { name: 'lhash', type: 1, keySize: 8, valueSize: 4, maxEntries: 1024, flags: 1, pinning: 'none', btfKeyTypeId: 0, btfValueTypeId: 0 },
  ]);
  assert.deepEqual(spec.programs[0]!.relocations.map((r) => r.kind === 'map' && r.map), ['lcount', 'lhash']);
});

test('without -g: no BTF, no func/line info; BTF-defined maps then cannot be read', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const spec = obj('legacy-nobtf');
  assert.equal(spec.btf, undefined);
  assert.deepEqual(spec.maps.map((m) => m.name), ['lcount', 'lhash']);
  assert.deepEqual([spec.programs[0]!.funcInfo, spec.programs[0]!.lineInfo, spec.programs[0]!.coreRelos], [[], [], []]);
  assert.throws(() => obj('rich-nobtf'), (e: unknown) => e instanceof ObjectParseError && e.section === '.maps' && /need the \.BTF section/.test(e.message));
});

test('big-endian (bpfeb) builds parse to the same specs, data in its own byte order', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const strip = (s: ObjectSpec): unknown => ({ ...s, btf: undefined, maps: s.maps.map((m) => ({ ...m, data: m.data && { ...m.data, bytes: m.data.bytes.length } })) });
  for (const name of ['rich', 'externs', 'legacy']) assert.deepEqual(strip(obj(`${name}-eb`)), strip(obj(name)), name);
  assert.deepEqual(map(obj('rich-eb'), '.data').data!.bytes, Uint8Array.from([0, 0, 0, 7]));
});

test('an unknown program section is an ObjectParseError naming it', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  assert.throws(() => obj('unknown'), (e: unknown) => e instanceof ObjectParseError && e.section === 'foo/bar' && /unknown program section 'foo\/bar'/.test(e.message));
});
