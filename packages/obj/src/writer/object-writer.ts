// ObjectWriter: the eBPF ELF object the compiler emits, shaped as clang
// emits it for libbpf — programs in sections named by libbpf convention (one
// global FUNC each), subprograms in `.text`, BTF-defined maps in `.maps`,
// global data in .data/.rodata/.bss (and custom .data.x ...), `license`,
// `.BTF` (types the caller built plus the map definitions and DATASECs) and
// `.BTF.ext` (func_info, line_info carrying the source file and line text),
// with `.rel<section>` relocations using clang's symbols and addends.
// DATASEC sizes and offsets are written final (clang leaves them 0 for
// libbpf to fill; both loaders accept either).
//
// @example
// const obj = new ObjectWriter({ license: 'GPL', sourceFile: 'counter.ts' });
// const u32 = obj.btf.int('unsigned int', 4);
// const u64 = obj.btf.int('unsigned long long', 8);
// obj.addMap({ name: 'counts', type: 1, keyType: u32, valueType: u64, maxEntries: 128 });
// obj.addGlobal({ section: '.data', name: 'total', typeId: u64, bytes: new Uint8Array(8) });
// const proto = obj.btf.funcProto(obj.btf.int('int', 4, { signed: true }), [{ name: 'ctx', type: obj.btf.ptr(0) }]);
// obj.addProgram({
//   name: 'count', section: 'xdp', instructions: assemble('r1 = 0 ll\n...\nr0 = 2\nexit'),
//   funcInfo: [{ insn: 0, typeId: obj.btf.func('count', proto) }],
//   lineInfo: [{ insn: 0, file: 'counter.ts', line: 12, column: 3, text: 'counts.increment(key)' }],
//   relocations: [{ insn: 0, symbol: 'counts' }],
// });
// fs.writeFileSync('counter.bpf.o', obj.build());
import { BtfWriter } from '../btf/writer.js';
import { encodeInstructions, type Instruction } from '../insn/instruction.js';
import { BtfExtWriter } from './btf-ext-writer.js';
import { appendBtfStrings } from './btf-strings.js';
import { R_BPF_64_32, R_BPF_64_64, R_BPF_64_ABS64, writeElf, type ElfOutRel, type ElfOutSection, type ElfOutSymbol } from './elf-writer.js';
import { MapBtf } from './map-btf.js';
import type { CodeInput, GlobalInput, MapDefInput, ProgramInput, SubprogramInput } from './types.js';

export interface ObjectWriterOptions {
  /** Contents of the `license` section ("GPL", "Dual BSD/GPL"...); no section when absent. */
  license?: string;
  /** Name of the STT_FILE symbol (the source file). */
  sourceFile?: string;
  /** The BTF the caller's type ids refer to; a new one by default (see `btf`). */
  btf?: BtfWriter;
}

const CALL = 0x85;
const LD_IMM64 = 0x18;
const PSEUDO_CALL = 1;

interface Func { input: CodeInput; section: string; start: number; global: boolean; entry: boolean }
interface GlobalVar { name: string; typeId: number; offset: number; size: number }
interface DataSection { name: string; kind: 'data' | 'rodata' | 'bss'; bytes: number[]; align: number; vars: GlobalVar[] }
interface PlacedMap { input: MapDefInput; struct: number; offset: number; size: number; valuesOffset?: number }

export class ObjectWriter {
  /** Add the program, variable and key/value types here; their ids go in the inputs. */
  readonly btf: BtfWriter;
  readonly #opts: ObjectWriterOptions;
  readonly #mapBtf: MapBtf;
  readonly #funcs: Func[] = [];
  readonly #maps: PlacedMap[] = [];
  readonly #mapsSize = { value: 0 };
  readonly #data = new Map<string, DataSection>();
  readonly #names = new Set<string>();
  #built: Uint8Array | undefined;

  constructor(opts: ObjectWriterOptions = {}) {
    this.#opts = opts;
    this.btf = opts.btf ?? new BtfWriter();
    this.#mapBtf = new MapBtf(this.btf);
  }

  #claim(name: string, what: string): void {
    if (this.#built) throw new RangeError(`${what} '${name}': the object was already built`);
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new RangeError(`${what} '${name}': not a valid symbol name`);
    if (this.#names.has(name)) throw new RangeError(`${what} '${name}': the name is already used in this object`);
    this.#names.add(name);
  }

  /** An entry program in its own section (programs sharing a section name follow each other in it). */
  addProgram(p: ProgramInput): void {
    this.#claim(p.name, 'program');
    if (p.section === '' || p.section === '.text' || p.section.startsWith('.')) throw new RangeError(`program '${p.name}': section '${p.section}' is not a program section`);
    this.#addFunc(p, p.section, true, true);
  }

  /** A subprogram in `.text`, called (or taken the address of) through a relocation naming it. */
  addSubprogram(s: SubprogramInput): void {
    this.#claim(s.name, 'subprogram');
    this.#addFunc(s, '.text', s.global ?? false, false);
  }

  #addFunc(input: CodeInput, section: string, global: boolean, entry: boolean): void {
    if (input.instructions.length === 0) throw new RangeError(`function '${input.name}' has no instructions`);
    const start = this.#funcs.filter((f) => f.section === section).reduce((n, f) => n + f.input.instructions.length, 0);
    this.#funcs.push({ input, section, start, global, entry });
  }

  /** A BTF-defined map in `.maps`, encoded as clang encodes bpf_helpers.h's __uint/__type/__array. */
  addMap(m: MapDefInput): void {
    this.#claim(m.name, 'map');
    if (!Number.isInteger(m.maxEntries) || m.maxEntries < 0) throw new RangeError(`map '${m.name}': maxEntries ${m.maxEntries} is not a u32`);
    const def = this.#mapBtf.definition(m);
    const slots = m.values?.length ? Math.max(...m.values.map((v) => v.index)) + 1 : 0;
    for (const v of m.values ?? []) {
      if (!Number.isInteger(v.index) || v.index < 0 || v.index >= m.maxEntries) throw new RangeError(`map '${m.name}': slot ${v.index} is outside max_entries ${m.maxEntries}`);
    }
    const offset = align(this.#mapsSize.value, 8);
    const size = def.size + slots * 8;
    this.#mapsSize.value = offset + size;
    this.#maps.push({ input: m, struct: def.struct, offset, size, ...(def.valuesOffset === undefined ? {} : { valuesOffset: def.valuesOffset }) });
  }

  /** A global variable in a data section (a DATASEC VAR and a global OBJECT symbol). */
  addGlobal(g: GlobalInput): void {
    this.#claim(g.name, 'global');
    const kind = dataKind(g.section);
    if (!kind) throw new RangeError(`global '${g.name}': section '${g.section}' is not .data, .rodata or .bss (or '.data.x'-style)`);
    const size = g.bytes?.byteLength ?? g.size;
    if (size === undefined || !Number.isInteger(size) || size <= 0) throw new RangeError(`global '${g.name}': give bytes or a positive size`);
    if (g.bytes && g.size !== undefined && g.size !== g.bytes.byteLength) throw new RangeError(`global '${g.name}': size ${g.size} != ${g.bytes.byteLength} bytes given`);
    if (kind === 'bss' && g.bytes?.some((b) => b !== 0)) throw new RangeError(`global '${g.name}': .bss variables start zeroed; put initialised ones in .data`);
    const al = g.align ?? (size >= 8 ? 8 : size >= 4 ? 4 : size >= 2 ? 2 : 1);
    if (![1, 2, 4, 8].includes(al)) throw new RangeError(`global '${g.name}': alignment ${al} is not 1, 2, 4 or 8`);
    let sec = this.#data.get(g.section);
    if (!sec) this.#data.set(g.section, (sec = { name: g.section, kind, bytes: [], align: 1, vars: [] }));
    const offset = align(sec.bytes.length, al);
    while (sec.bytes.length < offset) sec.bytes.push(0);
    for (let i = 0; i < size; i++) sec.bytes.push(g.bytes?.[i] ?? 0);
    sec.align = Math.max(sec.align, al);
    sec.vars.push({ name: g.name, typeId: g.typeId, offset, size });
  }

  /** The ELF object. Call once: it adds the map, data and license BTF to `btf`. */
  build(): Uint8Array {
    if (this.#built) return this.#built;
    const ext = new BtfExtWriter();
    const sections: ElfOutSection[] = [];
    const symbols: ElfOutSymbol[] = [];
    const codeNames = [...new Set(this.#funcs.map((f) => f.section))].sort((a, b) => (a === '.text' ? -1 : b === '.text' ? 1 : 0));
    for (const name of codeNames) sections.push(this.#code(name, ext, symbols));
    const w = this.btf;
    const order = (k: DataSection['kind']): DataSection[] => [...this.#data.values()].filter((d) => d.kind === k);
    const datasecs: { name: string; add: () => void }[] = [];
    const dataSection = (d: DataSection): void => {
      const vars = d.vars.map((v) => ({ type: w.var(v.name, checkType(v.typeId, v.name)), offset: v.offset, size: v.size }));
      datasecs.push({ name: d.name, add: () => w.datasec(d.name, d.bytes.length, vars) });
      for (const v of d.vars) symbols.push({ name: v.name, section: d.name, value: v.offset, size: v.size, type: 'object', global: true });
      sections.push({ name: d.name, kind: d.kind, bytes: Uint8Array.from(d.bytes), align: d.align });
    };
    order('rodata').forEach(dataSection);
    order('data').forEach(dataSection);
    if (this.#maps.length) sections.push(this.#mapsSection(symbols, datasecs));
    order('bss').forEach(dataSection);
    if (this.#opts.license !== undefined) {
      const bytes = new TextEncoder().encode(`${this.#opts.license}\0`);
      const arr = w.array(w.int('char', 1, { signed: true }), bytes.byteLength);
      const v = w.var('LICENSE', arr);
      datasecs.push({ name: 'license', add: () => w.datasec('license', bytes.byteLength, [{ type: v, offset: 0, size: bytes.byteLength }]) });
      symbols.push({ name: 'LICENSE', section: 'license', value: 0, size: bytes.byteLength, type: 'object', global: true });
      sections.push({ name: 'license', kind: 'data', bytes, align: 1 });
    }
    // DATASECs last, as clang orders them, sorted by name.
    for (const d of datasecs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) d.add();
    const { blob, offsets } = appendBtfStrings(w.encode(), ext.strings());
    sections.push({ name: '.BTF', kind: 'info', bytes: blob, align: 4 });
    if (!ext.empty) sections.push({ name: '.BTF.ext', kind: 'info', bytes: ext.encode((s) => offsets.get(s)!), align: 4 });
    this.#built = writeElf({ sections, symbols, ...(this.#opts.sourceFile ? { file: this.#opts.sourceFile } : {}) });
    return this.#built;
  }

  /** One code section: its functions' instructions, relocations, symbols and .BTF.ext records. */
  #code(section: string, ext: BtfExtWriter, symbols: ElfOutSymbol[]): ElfOutSection {
    const funcs = this.#funcs.filter((f) => f.section === section);
    const insns: Instruction[] = [];
    const rels: ElfOutRel[] = [];
    for (const f of funcs) {
      const { input } = f;
      const what = `function '${input.name}'`;
      const mine = input.instructions.map((i) => ({ ...i }));
      for (const r of [...(input.relocations ?? [])].sort((a, b) => a.insn - b.insn)) {
        rels.push(this.#relocate(mine, r.insn, r.symbol, r.offset ?? 0, f, `${what}: relocation at instruction ${r.insn}`));
      }
      for (const fi of input.funcInfo ?? []) {
        checkInsn(fi.insn, mine.length, `${what}: func_info`);
        ext.funcInfo(section, (f.start + fi.insn) * 8, fi.typeId);
      }
      for (const li of [...(input.lineInfo ?? [])].sort((a, b) => a.insn - b.insn)) {
        checkInsn(li.insn, mine.length, `${what}: line_info`);
        ext.lineInfo(section, { insnOff: (f.start + li.insn) * 8, file: li.file, text: li.text, line: li.line, column: li.column ?? 0 });
      }
      for (const c of [...(input.coreRelos ?? [])].sort((a, b) => a.insn - b.insn)) {
        checkInsn(c.insn, mine.length, `${what}: core_relo`);
        ext.coreRelo(section, { insnOff: (f.start + c.insn) * 8, typeId: c.typeId, access: c.access, kind: c.kind });
      }
      insns.push(...mine);
      symbols.push({ name: input.name, section, value: f.start * 8, size: mine.length * 8, type: 'func', global: f.global });
    }
    return { name: section, kind: 'code', bytes: encodeInstructions(insns), align: 8, rels };
  }

  /** Point instruction `at` of `insns` (of function `f`) at `symbol`, clang's way. */
  #relocate(insns: Instruction[], at: number, symbol: string, offset: number, f: Func, what: string): ElfOutRel {
    checkInsn(at, insns.length, what);
    const insn = insns[at]!;
    const byteOff = (f.start + at) * 8;
    const ldImm64 = (): void => {
      if (insn.code !== LD_IMM64 || at + 1 >= insns.length) throw new RangeError(`${what}: '${symbol}' needs an LD_IMM64 (lddw) with both slots`);
      insn.imm = 0;
      insns[at + 1]!.imm = 0;
    };
    const map = this.#maps.find((m) => m.input.name === symbol);
    if (map) {
      ldImm64();
      if (offset !== 0) throw new RangeError(`${what}: map '${symbol}' takes no offset`);
      return { offset: byteOff, type: R_BPF_64_64, symbol };
    }
    const v = [...this.#data.values()].flatMap((d) => d.vars).find((x) => x.name === symbol);
    if (v) {
      ldImm64();
      if (!Number.isInteger(offset) || offset < 0 || offset >= v.size) throw new RangeError(`${what}: offset ${offset} is outside '${symbol}' (${v.size} bytes)`);
      insn.imm = offset;
      return { offset: byteOff, type: R_BPF_64_64, symbol };
    }
    const callee = this.#funcs.find((x) => x.input.name === symbol);
    if (!callee) throw new RangeError(`${what}: '${symbol}' is no map, global or subprogram of this object`);
    if (callee.entry) throw new RangeError(`${what}: '${symbol}' is an entry program; only .text subprograms can be called`);
    if (offset !== 0) throw new RangeError(`${what}: function '${symbol}' takes no offset`);
    if (insn.code === CALL) {
      // clang: a static callee through the section symbol (imm = index - 1), a global one through its own (imm = -1).
      insn.src = PSEUDO_CALL;
      insn.imm = callee.global ? -1 : callee.start - 1;
      return { offset: byteOff, type: R_BPF_64_32, symbol: callee.global ? symbol : { section: '.text' } };
    }
    ldImm64();
    if (insn.src !== 0) throw new RangeError(`${what}: a function address load must have src 0 (libbpf sets BPF_PSEUDO_FUNC)`);
    if (!callee.global) insn.imm = callee.start * 8;
    return { offset: byteOff, type: R_BPF_64_64, symbol: callee.global ? symbol : { section: '.text' } };
  }

  #mapsSection(symbols: ElfOutSymbol[], datasecs: { name: string; add: () => void }[]): ElfOutSection {
    const w = this.btf;
    const bytes = new Uint8Array(this.#mapsSize.value);
    const rels: ElfOutRel[] = [];
    const vars = this.#maps.map((m) => ({ type: w.var(m.input.name, m.struct), offset: m.offset, size: m.size }));
    datasecs.push({ name: '.maps', add: () => w.datasec('.maps', bytes.byteLength, vars) });
    for (const m of this.#maps) {
      symbols.push({ name: m.input.name, section: '.maps', value: m.offset, size: m.size, type: 'object', global: true });
      for (const v of m.input.values ?? []) {
        const target = m.input.innerMap ? this.#maps.find((x) => x.input.name === v.ref) : this.#funcs.find((x) => x.entry && x.input.name === v.ref);
        if (!target) throw new RangeError(`map '${m.input.name}': slot ${v.index} names '${v.ref}', which is no ${m.input.innerMap ? 'map' : 'entry program'} of this object`);
        rels.push({ offset: m.offset + m.valuesOffset! + v.index * 8, type: R_BPF_64_ABS64, symbol: v.ref });
      }
    }
    return { name: '.maps', kind: 'data', bytes, align: 8, rels };
  }
}

function dataKind(section: string): DataSection['kind'] | undefined {
  for (const k of ['data', 'rodata', 'bss'] as const) if (section === `.${k}` || section.startsWith(`.${k}.`)) return k;
  return undefined;
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

function checkInsn(i: number, count: number, what: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= count) throw new RangeError(`${what}: instruction ${i} is outside 0..${count - 1}`);
}

function checkType(id: number, name: string): number {
  if (!Number.isInteger(id) || id < 1) throw new RangeError(`global '${name}': type id ${id} is not a BTF type id`);
  return id;
}
