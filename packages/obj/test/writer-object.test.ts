// ObjectWriter: objects it writes parse back through parseObject and the
// .BTF.ext reader with everything intact (programs, sections, instructions,
// relocations, maps, globals, func/line info with file, line, column and
// text); the same C definitions compiled by clang give the same BTF map
// shapes, symbols and relocation conventions; random objects round-trip.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { BtfExtWriter, BtfReader, ObjectWriter, assemble, parseObject, type Instruction, type ObjectSpec } from '../src/index.js';
import { parseBtfExt } from '../src/object/btf-ext.js';
import { readElfRel, readRels, sectionBytes } from '../src/object/elf-rel.js';
import { Cc, haveClang, need } from './support/object-cc.js';
import { Gen, rng } from './support/random.js';

/** The sample: a hash map, a sized array, a prog array and a map of maps with initial slots, globals, subprograms, line info. */
function sample(): { bytes: Uint8Array; mainInsns: Instruction[]; ids: { u32: number; u64: number; mainFunc: number; addFunc: number } } {
  const o = new ObjectWriter({ license: 'GPL', sourceFile: 'counter.ts' });
  const b = o.btf;
  const int = b.int('int', 4, { signed: true });
  const u32 = b.typedef('__u32', b.int('unsigned int', 4));
  const u64 = b.typedef('__u64', b.int('unsigned long long', 8));
  const ctxProto = b.funcProto(int, [{ name: 'ctx', type: b.ptr(0) }]);
  const mainFunc = b.func('prog', ctxProto);
  const tailFunc = b.func('tail', ctxProto);
  const addFunc = b.func('add', b.funcProto(int, [{ name: 'a', type: int }]), 'static');
  const dblFunc = b.func('dbl', b.funcProto(int, [{ name: 'a', type: int }]), 'global');
  o.addMap({ name: 'counts', type: 1, keyType: u32, valueType: u64, maxEntries: 128, pinning: 'byName' });
  o.addMap({ name: 'sized', type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 });
  o.addMap({ name: 'in1', type: 2, keyType: u32, valueType: u32, maxEntries: 1 });
  o.addMap({ name: 'outer', type: 12, keyType: u32, maxEntries: 4, innerMap: { type: 2, keyType: u32, valueType: u32, maxEntries: 1 }, values: [{ index: 3, ref: 'in1' }] });
  o.addMap({ name: 'jt', type: 3, keyType: u32, maxEntries: 2, values: [{ index: 1, ref: 'tail' }] });
  o.addGlobal({ section: '.rodata', name: 'limit', typeId: b.const(b.volatile(u32)), bytes: Uint8Array.of(7, 0, 0, 0) });
  o.addGlobal({ section: '.data', name: 'counter', typeId: u64, bytes: Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 0) });
  o.addGlobal({ section: '.data', name: 'flag', typeId: b.int('unsigned char', 1), bytes: Uint8Array.of(1) });
  o.addGlobal({ section: '.bss', name: 'zero', typeId: u64, size: 8 });
  o.addGlobal({ section: '.data.custom', name: 'pair', typeId: b.array(u32, 2), bytes: Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0) });
  const mainInsns = assemble(`
    r6 = r1
    r1 = 0 ll
    r2 = 0 ll
    call pc-1
    r1 = 0 ll
    call pc-1
    r2 = 0 ll
    exit
  `);
  o.addProgram({
    name: 'prog', section: 'xdp', instructions: mainInsns,
    funcInfo: [{ insn: 0, typeId: mainFunc }],
    lineInfo: [
      { insn: 0, file: 'counter.ts', line: 12, column: 3, text: 'counts.increment(key)' },
      { insn: 3, file: 'counter.ts', line: 13, column: 5, text: 'const r = add(pair[1])' },
      { insn: 1, file: 'counter.ts', line: 12, column: 10, text: 'counts.increment(key)' },
    ],
    relocations: [{ insn: 1, symbol: 'counts' }, { insn: 3, symbol: 'pair', offset: 4 }, { insn: 5, symbol: 'add' },
      { insn: 6, symbol: 'counter' }, { insn: 8, symbol: 'dbl' }, { insn: 9, symbol: 'zero' }],
  });
  o.addProgram({ name: 'tail', section: 'xdp', instructions: assemble('r0 = 2\nexit'), funcInfo: [{ insn: 0, typeId: tailFunc }],
    lineInfo: [{ insn: 0, file: 'tail.ts', line: 1, text: 'return 2' }] });
  o.addSubprogram({ name: 'add', instructions: assemble('r0 = 0 ll\nr0 = *(u32 *)(r0 + 0)\nr0 += r1\nexit'),
    funcInfo: [{ insn: 0, typeId: addFunc }], lineInfo: [{ insn: 0, file: 'counter.ts', line: 3, column: 1, text: 'return a + limit' }],
    relocations: [{ insn: 0, symbol: 'limit' }] });
  o.addSubprogram({ name: 'dbl', global: true, instructions: assemble('r0 = r1\nr0 += r1\nexit'),
    funcInfo: [{ insn: 0, typeId: dblFunc }], lineInfo: [{ insn: 0, file: 'counter.ts', line: 7, text: 'return a * 2' }] });
  return { bytes: o.build(), mainInsns, ids: { u32, u64, mainFunc, addFunc } };
}

const lineText = (spec: ObjectSpec, btf: BtfReader, name: string): string[] =>
  spec.programs.find((p) => p.name === name)!.lineInfo.map((l) => `${l.insnOff} ${btf.string(l.fileNameOff)}:${l.line}:${l.column} ${btf.string(l.lineOff)}`);

test('a written object parses back: programs, linked subprograms, relocations, func and line info', () => {
  const { bytes, mainInsns, ids } = sample();
  const spec = parseObject(bytes);
  const btf = BtfReader.parse(spec.btf!);
  assert.equal(spec.license, 'GPL');
  assert.deepEqual(spec.programs.map((p) => [p.name, p.def.section, p.def.kind]), [['prog', 'xdp', 'xdp'], ['tail', 'xdp', 'xdp']]);
  const prog = spec.programs[0]!;
  // prog (12 slots), then add (5) where the linker appended it, then dbl (3).
  assert.equal(prog.instructions.length, 12 + 5 + 3);
  assert.deepEqual(prog.instructions.slice(0, 1), mainInsns.slice(0, 1));
  assert.deepEqual(prog.instructions[5], { code: 0x85, dst: 0, src: 1, off: 0, imm: 12 - 5 - 1 }, 'call to add lands on add');
  assert.deepEqual(prog.instructions[8], { code: 0x85, dst: 0, src: 1, off: 0, imm: 17 - 8 - 1 }, 'call to global dbl lands on dbl');
  assert.deepEqual(prog.relocations, [
    { insn: 1, kind: 'map', map: 'counts' },
    { insn: 3, kind: 'mapValue', map: '.data.custom', offset: 4 },
    { insn: 6, kind: 'mapValue', map: '.data', offset: 0 },
    { insn: 9, kind: 'mapValue', map: '.bss', offset: 0 },
    { insn: 12, kind: 'mapValue', map: '.rodata', offset: 0 },
  ]);
  assert.deepEqual(prog.funcInfo, [{ insnOff: 0, typeId: ids.mainFunc }, { insnOff: 12, typeId: ids.addFunc }, { insnOff: 17, typeId: btf.findId('dbl', 'FUNC') }]);
  assert.deepEqual(lineText(spec, btf, 'prog'), [
    '0 counter.ts:12:3 counts.increment(key)', '1 counter.ts:12:10 counts.increment(key)', '3 counter.ts:13:5 const r = add(pair[1])',
    '12 counter.ts:3:1 return a + limit', '17 counter.ts:7:0 return a * 2',
  ]);
  assert.deepEqual(lineText(spec, btf, 'tail'), ['0 tail.ts:1:0 return 2']);
});

test('a written object parses back: maps, map-in-map and prog array slots, global data', () => {
  const { bytes, ids } = sample();
  const spec = parseObject(bytes);
  const m = new Map(spec.maps.map((x) => [x.name, x]));
  assert.deepEqual([...m.keys()], ['counts', 'sized', 'in1', 'outer', 'jt', '.rodata', '.data', '.data.custom', '.bss']);
  const counts = m.get('counts')!;
  assert.deepEqual([counts.type, counts.keySize, counts.valueSize, counts.maxEntries, counts.pinning, counts.btfKeyTypeId, counts.btfValueTypeId],
    [1, 4, 8, 128, 'byName', ids.u32, ids.u64]);
  const sized = m.get('sized')!;
  assert.deepEqual([sized.type, sized.keySize, sized.valueSize, sized.maxEntries, sized.btfKeyTypeId], [2, 4, 8, 4, 0]);
  assert.deepEqual(m.get('outer')!.initialSlots, [{ index: 3, ref: { kind: 'map', name: 'in1' } }]);
  assert.deepEqual([m.get('outer')!.inner?.type, m.get('outer')!.inner?.valueSize], [2, 4]);
  assert.deepEqual(m.get('jt')!.initialSlots, [{ index: 1, ref: { kind: 'program', name: 'tail' } }]);
  assert.deepEqual([...m.get('.rodata')!.data!.bytes], [7, 0, 0, 0]);
  assert.equal(m.get('.rodata')!.data!.readOnly, true);
  // flag (1 byte) after counter (8): section is 9 bytes.
  assert.deepEqual([...m.get('.data')!.data!.bytes], [3, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual(m.get('.data')!.data!.symbols, [{ name: 'counter', offset: 0, size: 8 }, { name: 'flag', offset: 8, size: 1 }]);
  assert.deepEqual([...m.get('.bss')!.data!.bytes], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...m.get('.data.custom')!.data!.bytes], [1, 0, 0, 0, 2, 0, 0, 0]);
  const btf = BtfReader.parse(spec.btf!);
  const ds = btf.find('.data', 'DATASEC')!;
  assert.deepEqual(ds.vars.map((v) => [btf.name(v.type), v.offset, v.size]), [['counter', 0, 8], ['flag', 8, 1]]);
  assert.equal(ds.size, 9);
});

test('.BTF.ext: exact header, byte offsets, line_col = line << 10 | column, section names in .BTF strings', () => {
  const { bytes } = sample();
  const elf = readElfRel(bytes);
  const sec = elf.sections.find((s) => s.name === '.BTF.ext')!;
  const raw = sectionBytes(elf, sec);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  assert.deepEqual([v.getUint16(0, true), raw[2], raw[3], v.getUint32(4, true), v.getUint32(8, true)], [0xeb9f, 1, 0, 32, 0]);
  assert.equal(v.getUint32(32, true), 8, 'func_info record size');
  assert.equal(v.getUint32(32 + v.getUint32(16, true), true), 16, 'line_info record size');
  assert.equal(v.getUint32(28, true), 0, 'no CO-RE records');
  const ext = parseBtfExt(raw);
  const btf = BtfReader.parse(sectionBytes(elf, elf.sections.find((s) => s.name === '.BTF')!).slice());
  assert.deepEqual(ext.funcInfo.map((s) => [btf.string(s.nameOff), s.records.map((r) => r.insnOff)]), [['.text', [0, 40]], ['xdp', [0, 96]]]);
  const xdp = ext.lineInfo.find((s) => btf.string(s.nameOff) === 'xdp')!;
  assert.deepEqual(xdp.records.map((r) => r.insnOff), [0, 8, 24, 96], 'byte offsets; tail starts at slot 12');
  const lc = v.getUint32(32 + v.getUint32(16, true) + 4 + 8 + 12, true);
  assert.equal(lc, (3 << 10) | 1, ".text comes first: add's line 3, column 1");
  assert.equal(elf.sections.some((s) => s.name === '.rel.BTF.ext'), false, 'libbpf names sections by string, no relocations needed');
});

test('ELF layout: locals first, sh_info = first global, clang relocation conventions', () => {
  const { bytes } = sample();
  const elf = readElfRel(bytes);
  const symtab = elf.sections[elf.symtabIndex]!;
  const firstGlobal = elf.symbols.findIndex((s) => s.bind !== 0);
  assert.equal(symtab.info, firstGlobal);
  assert.ok(elf.symbols.slice(firstGlobal).every((s) => s.bind === 1));
  const sym = (n: string) => elf.symbols.find((s) => s.name === n)!;
  assert.deepEqual([sym('add').type, sym('add').bind, sym('prog').type, sym('prog').bind, sym('counts').type, sym('dbl').bind], [2, 0, 2, 1, 1, 1]);
  assert.equal(elf.symbols[1]!.type, 4, 'STT_FILE');
  assert.equal(elf.symbols[1]!.name, 'counter.ts');
  const rel = elf.sections.find((s) => s.name === '.relxdp')!;
  const rels = readRels(elf, rel).map((r) => [r.offset, r.type, elf.symbols[r.sym]!.name || `section ${elf.symbols[r.sym]!.shndx}`]);
  const text = elf.sections.find((s) => s.name === '.text')!.index;
  assert.deepEqual(rels, [[8, 1, 'counts'], [24, 1, 'pair'], [40, 10, `section ${text}`], [48, 1, 'counter'], [64, 10, 'dbl'], [72, 1, 'zero']]);
  const maps = readRels(elf, elf.sections.find((s) => s.name === '.rel.maps')!);
  assert.deepEqual(maps.map((r) => [r.type, elf.symbols[r.sym]!.name]), [[2, 'in1'], [2, 'tail']]);
});

/** A map definition's BTF shape: members with what their types encode. */
function mapShapes(btf: BtfReader): Record<string, string> {
  const shape = (id: number): string => {
    if (id === 0) return 'void';
    const t = btf.type(id);
    switch (t.kind) {
      case 'PTR': return `*${shape(t.type)}`;
      case 'ARRAY': return `${shape(t.elemType)}[${t.nelems}]`;
      case 'STRUCT': return t.name || `{${t.members.map((m) => `${m.name}@${m.bitOffset / 8}:${shape(m.type)}`).join(',')}}`;
      case 'TYPEDEF': case 'INT': return t.name;
      case 'FUNC_PROTO': return `fn(${t.params.map((p) => shape(p.type)).join(',')})->${shape(t.returnType)}`;
      default: return t.kind;
    }
  };
  const out: Record<string, string> = {};
  for (const v of btf.find('.maps', 'DATASEC')!.vars) out[btf.name(v.type)] = shape(btf.typeOf(v.type, 'VAR').type);
  return out;
}

test('same map definitions as clang: identical BTF shapes, symbols and relocation types', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const cc = new Cc();
  try {
    const obj = cc.bpf('maps', `
      struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, __u32); __type(value, __u64); __uint(max_entries, 128); __uint(pinning, LIBBPF_PIN_BY_NAME); } counts SEC(".maps");
      struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(key_size, 4); __uint(value_size, 8); __uint(max_entries, 4); } sized SEC(".maps");
      struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u32); __uint(max_entries, 1); } in1 SEC(".maps");
      struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __type(key, __u32); __uint(max_entries, 4);
               __array(values, struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u32); __uint(max_entries, 1); }); } outer SEC(".maps") = { .values = { [3] = &in1 } };
      int tail(void *ctx);
      struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __type(key, __u32); __uint(max_entries, 2); __array(values, int (void *)); } jt SEC(".maps") = { .values = { [1] = (void *)&tail } };
      SEC("xdp") int tail(void *ctx) { return 2; }
      char LICENSE[] SEC("license") = "GPL";
    `);
    const clangBytes = readFileSync(obj);
    const clangElf = readElfRel(clangBytes);
    const clangBtf = BtfReader.parse(sectionBytes(clangElf, clangElf.sections.find((s) => s.name === '.BTF')!).slice());
    const ours = sample().bytes;
    const ourElf = readElfRel(ours);
    const ourBtf = BtfReader.parse(sectionBytes(ourElf, ourElf.sections.find((s) => s.name === '.BTF')!).slice());
    assert.deepEqual(mapShapes(ourBtf), mapShapes(clangBtf));
    // The parsed map specs agree too (clang's .maps DATASEC is fixed up by the parser's layout rules).
    const pick = (s: ObjectSpec) => s.maps.filter((m) => !m.name.startsWith('.')).map((m) => ({ ...m, btfKeyTypeId: 0, btfValueTypeId: 0, inner: m.inner && { ...m.inner, btfKeyTypeId: 0, btfValueTypeId: 0 } })).sort((x, y) => x.name.localeCompare(y.name));
    assert.deepEqual(pick(parseObject(ours)), pick(parseObject(clangBytes)));
    const syms = (e: ReturnType<typeof readElfRel>) => Object.fromEntries(e.symbols.filter((s) => ['counts', 'in1', 'outer', 'jt', 'tail', 'LICENSE'].includes(s.name))
      .map((s) => [s.name, `${s.type}/${s.bind}/${s.size}/${e.sections[s.shndx]!.name}`]));
    assert.deepEqual(syms(ourElf), syms(clangElf));
    const slotRels = (e: ReturnType<typeof readElfRel>) => readRels(e, e.sections.find((s) => s.name === '.rel.maps')!).map((r) => [r.type, e.symbols[r.sym]!.name]);
    assert.deepEqual(slotRels(ourElf), slotRels(clangElf));
    const lic = (e: ReturnType<typeof readElfRel>) => { const s = e.sections.find((x) => x.name === 'license')!; return [s.type, s.flags, [...sectionBytes(e, s)]]; };
    assert.deepEqual(lic(ourElf), lic(clangElf));
  } finally {
    cc.dispose();
  }
});

test('refusals name what is wrong', () => {
  const o = new ObjectWriter();
  const u32 = o.btf.int('unsigned int', 4);
  o.addMap({ name: 'm', type: 1, keyType: u32, valueType: u32, maxEntries: 1 });
  assert.throws(() => o.addMap({ name: 'm', type: 1, keySize: 4, valueSize: 4, maxEntries: 1 }), /map 'm': the name is already used/);
  assert.throws(() => o.addMap({ name: 'x', type: 12, keySize: 4, maxEntries: 1 }), /needs innerMap/);
  assert.throws(() => o.addGlobal({ section: '.bss', name: 'b', typeId: u32, bytes: Uint8Array.of(1, 0, 0, 0) }), /start zeroed/);
  assert.throws(() => o.addGlobal({ section: 'mydata', name: 'c', typeId: u32, size: 4 }), /not .data, .rodata or .bss/);
  const bad = (name: string, text: string, symbol: string, re: RegExp): void => {
    const w = new ObjectWriter();
    w.addMap({ name: 'm', type: 1, keySize: 4, valueSize: 4, maxEntries: 1 });
    w.addProgram({ name: 'other', section: 'tc', instructions: assemble('r0 = 0\nexit') });
    w.addProgram({ name, section: 'xdp', instructions: assemble(text), relocations: [{ insn: 0, symbol }] });
    assert.throws(() => w.build(), re);
  };
  bad('p1', 'r1 = 0\nexit', 'm', /function 'p1': relocation at instruction 0: 'm' needs an LD_IMM64/);
  bad('p2', 'r1 = 0 ll\nexit', 'nope', /'nope' is no map, global or subprogram/);
  bad('p3', 'call pc-1\nexit', 'other', /'other' is an entry program/);
  const ext = new ObjectWriter();
  ext.addProgram({ name: 'p', section: 'xdp', instructions: assemble('r0 = 0\nexit'), lineInfo: [{ insn: 1, file: 'a', line: 1, column: 1024, text: '' }] });
  assert.throws(() => ext.build(), /column 1024 is not 0..1023/);
});

test('300 random objects round-trip through parseObject', () => {
  const g = new Gen(rng(0x0b1ec7));
  for (let n = 0; n < 300; n++) {
    const o = new ObjectWriter({ license: g.pick(['GPL', 'Dual BSD/GPL']) });
    const b = o.btf;
    const types = [b.int('unsigned int', 4), b.int('unsigned long long', 8), b.int('unsigned char', 1)];
    const sizes = [4, 8, 1];
    const maps: { name: string; type: number; key: number; value: number; max: number }[] = [];
    for (let i = 0, c = g.int(0, 4); i < c; i++) {
      const k = g.int(0, 2);
      const vv = g.int(0, 2);
      const m = { name: `m${i}`, type: g.pick([1, 2]), key: 4, value: sizes[vv]!, max: g.int(1, 1000) };
      if (m.type === 2) o.addMap({ name: m.name, type: 2, keySize: 4, valueSize: m.value, maxEntries: m.max });
      else { m.key = sizes[k]!; o.addMap({ name: m.name, type: 1, keyType: types[k]!, valueType: types[vv]!, maxEntries: m.max }); }
      maps.push(m);
    }
    const globals: { name: string; section: string; size: number }[] = [];
    for (let i = 0, c = g.int(0, 5); i < c; i++) {
      const t = g.int(0, 2);
      const section = g.pick(['.data', '.rodata', '.bss', '.data.x']);
      const bytes = section === '.bss' ? new Uint8Array(sizes[t]!) : Uint8Array.from({ length: sizes[t]! }, () => g.int(0, 255));
      o.addGlobal({ section, name: `g${i}`, typeId: types[t]!, bytes });
      globals.push({ name: `g${i}`, section, size: sizes[t]! });
    }
    const targets = [...maps.map((m) => m.name), ...globals.map((x) => x.name)];
    const progs: { name: string; section: string; count: number; relocs: { insn: number; symbol: string }[] }[] = [];
    for (let i = 0, c = g.int(1, 4); i < c; i++) {
      const lines: string[] = [];
      const relocs: { insn: number; symbol: string }[] = [];
      let slot = 0;
      for (let k = 0, len = g.int(1, 12); k < len; k++) {
        if (targets.length && g.int(0, 2) === 0) { relocs.push({ insn: slot, symbol: g.pick(targets) }); lines.push('r1 = 0 ll'); slot += 2; }
        else { lines.push(`r${g.int(0, 9)} = ${g.int(-100, 100)}`); slot++; }
      }
      lines.push('exit');
      const section = g.pick(['xdp', 'tc', 'socket', 'kprobe/do_sys_open']);
      progs.push({ name: `p${i}`, section, count: slot + 1, relocs });
      o.addProgram({ name: `p${i}`, section, instructions: assemble(lines.join('\n')), relocations: relocs,
        lineInfo: [{ insn: 0, file: `f${i}.ts`, line: g.int(1, 4000), column: g.int(0, 1023), text: `line ${i}` }] });
    }
    const spec = parseObject(o.build());
    const btf = BtfReader.parse(spec.btf!);
    assert.deepEqual(spec.maps.filter((m) => !m.name.startsWith('.')).map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries]),
      maps.map((m) => [m.name, m.type, m.key, m.value, m.max]));
    for (const sec of new Set(globals.map((x) => x.section))) {
      const d = spec.maps.find((m) => m.name === sec)!.data!;
      assert.deepEqual(d.symbols.map((s) => s.name).sort(), globals.filter((x) => x.section === sec).map((x) => x.name).sort());
    }
    for (const p of progs) {
      const got = spec.programs.find((x) => x.name === p.name)!;
      assert.equal(got.def.section, p.section);
      assert.equal(got.instructions.length, p.count);
      assert.deepEqual(got.relocations.map((r) => [r.insn, r.kind === 'map' ? r.map : r.kind]), p.relocs.map((r) => [r.insn, maps.some((m) => m.name === r.symbol) ? r.symbol : 'mapValue']));
      assert.equal(btf.string(got.lineInfo[0]!.lineOff), `line ${p.name.slice(1)}`);
    }
  }
});

test('BtfExtWriter alone: func, line and CO-RE records parse back; out-of-order records are refused', () => {
  const ext = new BtfExtWriter();
  ext.funcInfo('kprobe/x', 0, 3);
  ext.lineInfo('kprobe/x', { insnOff: 0, file: 'a.ts', text: 'x', line: 4194303, column: 1023 });
  ext.coreRelo('kprobe/x', { insnOff: 16, typeId: 5, access: '0:1', kind: 0 });
  ext.coreRelo('kprobe/x', { insnOff: 16, typeId: 5, access: '0:2', kind: 2 });
  const strs = ext.strings();
  assert.deepEqual(strs.sort(), ['0:1', '0:2', 'a.ts', 'kprobe/x', 'x']);
  const parsed = parseBtfExt(ext.encode((s) => strs.indexOf(s) + 100));
  const off = (s: string) => strs.indexOf(s) + 100;
  assert.deepEqual(parsed.funcInfo, [{ nameOff: off('kprobe/x'), records: [{ insnOff: 0, typeId: 3 }] }]);
  assert.deepEqual(parsed.lineInfo[0]!.records, [{ insnOff: 0, fileNameOff: off('a.ts'), lineOff: off('x'), line: 4194303, column: 1023 }]);
  assert.deepEqual(parsed.coreRelos[0]!.records.map((r) => [r.insnOff, r.typeId, r.accessStrOff, r.kind]), [[16, 5, off('0:1'), 0], [16, 5, off('0:2'), 2]]);
  assert.throws(() => ext.funcInfo('kprobe/x', 0, 3), /offset 0 does not follow 0/);
  assert.throws(() => ext.lineInfo('kprobe/x', { insnOff: 4, file: 'a', text: '', line: 1, column: 0 }), /not a byte offset of an instruction/);
});
