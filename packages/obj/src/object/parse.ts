// parseObject: an eBPF ELF object as clang builds it for libbpf
// (`clang -O2 -g -target bpf -c x.bpf.c`) → ObjectSpec, plain data the loader
// turns into kernel objects. Pure: no fds, no kernel. Section handling follows
// libbpf's bpf_object__elf_collect; where libbpf would warn and carry on with
// a broken part (.BTF.ext), this throws instead.
//
// @example
// import { parseObject } from '@lockne/obj';
// const spec = parseObject(fs.readFileSync('counter.bpf.o'));
// for (const p of spec.programs) console.log(p.name, p.def.kind, p.instructions.length);
import { BtfReader } from '../btf/reader.js';
import { parseBtfExt, type BtfExt } from './btf-ext.js';
import { btfString } from './btf-util.js';
import { codeSection, type CodeSection, type RelocTargets, recordRelocations } from './code.js';
import { readElfRel, readRels, sectionBytes, SHF_EXECINSTR, SHT, STT, type ElfRel, type RelSection, type RelSymbol } from './elf-rel.js';
import { ObjectParseError } from './errors.js';
import { collectExterns } from './externs.js';
import { globalDataMaps } from './globals.js';
import { parseLegacyMaps } from './legacy-maps.js';
import { linkProgram, type SectionExt } from './link.js';
import { applyMapSlots, parseBtfMaps, type PlacedMap } from './maps.js';
import { findSectionDef } from './section-defs.js';
import type { BtfLayout, ObjectSpec, ProgramSpec } from './spec.js';

export interface ParseObjectOptions {
  /** Ignore unknown members of BTF map definitions instead of failing (libbpf's relaxed_maps). */
  relaxedMaps?: boolean;
}

const SHT_LLVM_ADDRSIG = 0x6fff4c03;
/** Sections libbpf supports that this parser does not: refusing beats a silently wrong object. */
const UNSUPPORTED = new Set(['.struct_ops', '.struct_ops.link', '?.struct_ops', '?.struct_ops.link', '.addr_space.1', '.jumptables']);

/**
 * Parse an eBPF ELF relocatable object. Throws ObjectParseError (naming the
 * section and offset) for malformed or unsupported input, BtfParseError for a
 * malformed .BTF section.
 */
export function parseObject(bytes: Uint8Array, opts: ParseObjectOptions = {}): ObjectSpec {
  const elf = readElfRel(bytes);
  if (elf.symtabIndex === 0) throw new ObjectParseError('no symbol table (stripped object?)', '', 0);
  const s = classify(elf);
  const btfBytes = s.btf ? sectionBytes(elf, s.btf).slice() : undefined;
  const btf = btfBytes ? BtfReader.parse(btfBytes) : undefined;
  let ext: BtfExt | undefined;
  if (s.btfExt) {
    if (!btf) throw new ObjectParseError('.BTF.ext without .BTF', s.btfExt.name, 0);
    ext = parseBtfExt(sectionBytes(elf, s.btfExt));
  }
  const externs = collectExterns(elf, btf);
  const legacy = s.legacyMaps ? parseLegacyMaps(elf, s.legacyMaps) : [];
  const btfMaps = s.btfMaps ? parseBtfMaps(elf, btf, s.btfMaps, !opts.relaxedMaps) : [];
  const placed: PlacedMap[] = [...legacy, ...btfMaps];
  const data = globalDataMaps(elf, btf);
  const maps = [...placed.map((m) => m.spec), ...data.map((d) => d.spec), ...(externs.kconfigMap ? [externs.kconfigMap] : [])];
  const dupe = maps.find((m, i) => maps.findIndex((o) => o.name === m.name) !== i);
  if (dupe) throw new ObjectParseError(`two maps are named '${dupe.name}'`, '', 0);

  const code = new Map<number, CodeSection>();
  for (const sec of s.code) code.set(sec.index, codeSection(elf, sec, sec.index === s.textIndex));
  const targets: RelocTargets = {
    code, maps: placed, externs: externs.bySymbol,
    data: new Map(data.map((d) => [d.section, { name: d.spec.name, size: d.spec.valueSize }])),
  };
  for (const rel of s.rels) {
    const target = code.get(rel.info);
    if (target) recordRelocations(elf, target, rel, readRels(elf, rel), targets);
  }
  if (s.btfMaps && s.mapsRel) {
    const entryName = (sym: RelSymbol): string | undefined => {
      const f = sym.type === STT.FUNC ? code.get(sym.shndx)?.funcs.find((x) => x.start * 8 === sym.value && x.name === sym.name) : undefined;
      return f?.entry ? f.name : undefined;
    };
    applyMapSlots(placed, readRels(elf, s.mapsRel), elf.symbols, s.mapsRel, s.btfMaps.index, entryName);
  }

  const extBySection = ext && btf ? extIndex(elf, btf, ext) : undefined;
  const input = extBySection ? { code, ext: extBySection, btf: btf! } : { code };
  const programs: ProgramSpec[] = [];
  for (const sec of [...code.values()].sort((a, b) => a.sec.index - b.sec.index)) {
    if (sec.sec.index === s.textIndex) continue;
    const optional = sec.sec.name.startsWith('?');
    const secName = optional ? sec.sec.name.slice(1) : sec.sec.name;
    if (sec.funcs.length === 0) continue;
    const def = findSectionDef(secName);
    if (!def) throw new ObjectParseError(`unknown program section '${secName}' (program '${sec.funcs[0]!.name}'): libbpf has no rule for it`, sec.sec.name, 0);
    for (const f of sec.funcs) {
      if (programs.some((p) => p.name === f.name)) throw new ObjectParseError(`two programs are named '${f.name}'`, sec.sec.name, f.start * 8);
      const p = linkProgram(f, { ...def }, input);
      if (optional) p.autoload = false;
      programs.push(p);
    }
  }
  const spec: ObjectSpec = { license: s.license, kernelVersion: s.kernelVersion, programs, maps, externs: externs.list, btfLayout: btfLayout(elf) };
  if (btfBytes) spec.btf = btfBytes;
  return spec;
}

/** Section sizes and global symbol offsets/visibility, for the loader's BTF fix-up. */
function btfLayout(elf: ElfRel): BtfLayout {
  type Section = BtfLayout['sections'][number];
  const byIndex = new Map<number, Section>();
  for (const sec of elf.sections) {
    if (sec.index !== 0 && sec.name) byIndex.set(sec.index, { name: sec.name, size: sec.size, symbols: [] });
  }
  const hiddenFuncs: string[] = [];
  for (const sym of elf.symbols) {
    if (sym.bind !== STB_GLOBAL && sym.bind !== STB_WEAK) continue;
    if (sym.shndx === 0 || sym.shndx >= 0xff00) continue;
    const hidden = sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL;
    if (sym.type === STT.OBJECT) byIndex.get(sym.shndx)?.symbols.push({ name: sym.name, offset: sym.value, hidden });
    else if (sym.type === STT.FUNC && hidden) hiddenFuncs.push(sym.name);
  }
  return { sections: [...byIndex.values()], hiddenFuncs };
}

const STB_GLOBAL = 1;
const STB_WEAK = 2;
const STV_INTERNAL = 1;
const STV_HIDDEN = 2;

interface Sections {
  license: string;
  kernelVersion: number;
  code: RelSection[];
  textIndex: number;
  rels: RelSection[];
  btf?: RelSection;
  btfExt?: RelSection;
  btfMaps?: RelSection;
  mapsRel?: RelSection;
  legacyMaps?: RelSection;
}

/** Sort the sections into what they are for, as libbpf's bpf_object__elf_collect. */
function classify(elf: ElfRel): Sections {
  const out: Sections = { license: '', kernelVersion: 0, code: [], textIndex: 0, rels: [] };
  const seen = new Set<string>();
  for (const sec of elf.sections) {
    const name = sec.name;
    if (sec.index === 0 || sec.type === SHT.STRTAB || sec.type === SHT.SYMTAB || sec.type === SHT_LLVM_ADDRSIG) continue;
    if (name.startsWith('.debug_') || name.startsWith('.rel.debug_') || name === '.rel.BTF' || name === '.rel.BTF.ext') continue;
    const once = (): void => {
      if (seen.has(name)) throw new ObjectParseError('section appears twice', name, 0);
      seen.add(name);
    };
    if (UNSUPPORTED.has(name)) throw new ObjectParseError(`section '${name}' is not supported by this parser`, name, 0);
    if (name === 'license') {
      once();
      const b = sectionBytes(elf, sec);
      const end = b.indexOf(0);
      out.license = Buffer.from(b.buffer, b.byteOffset, end < 0 ? b.byteLength : end).toString('latin1');
    } else if (name === 'version') {
      once();
      if (sec.size !== 4) throw new ObjectParseError(`version section is ${sec.size} bytes, not 4`, name, 0);
      const b = sectionBytes(elf, sec);
      out.kernelVersion = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, elf.littleEndian);
    } else if (name === 'maps') {
      once();
      out.legacyMaps = sec;
    } else if (name === '.maps') {
      once();
      out.btfMaps = sec;
    } else if (name === '.BTF' || name === '.BTF.ext') {
      once();
      if (sec.type !== SHT.PROGBITS) throw new ObjectParseError(`${name} is not SHT_PROGBITS (type ${sec.type})`, name, 0);
      if (name === '.BTF') out.btf = sec;
      else out.btfExt = sec;
    } else if (sec.type === SHT.PROGBITS && (sec.flags & SHF_EXECINSTR) !== 0 && sec.size > 0) {
      once();
      if (name === '.text') out.textIndex = sec.index;
      out.code.push(sec);
    } else if (sec.type === SHT.REL) {
      if (sec.info === 0 || sec.info >= elf.sections.length) throw new ObjectParseError(`sh_info ${sec.info} names no section`, name, 0);
      if (sec.link !== elf.symtabIndex) throw new ObjectParseError(`sh_link ${sec.link} is not the symbol table`, name, 0);
      const target = elf.sections[sec.info]!;
      if (target.name === '.maps') out.mapsRel = sec;
      else if ((target.flags & SHF_EXECINSTR) !== 0) out.rels.push(sec);
    }
  }
  return out;
}

/** .BTF.ext records by ELF section index, insnOff converted from bytes to instructions. */
function extIndex(elf: ElfRel, btf: BtfReader, ext: BtfExt): Map<number, SectionExt> {
  const out = new Map<number, { funcInfo: SectionExt['funcInfo'][number][]; lineInfo: SectionExt['lineInfo'][number][]; coreRelos: SectionExt['coreRelos'][number][] }>();
  const add = <K extends keyof SectionExt>(key: K, secs: readonly { nameOff: number; records: readonly SectionExt[K][number][] }[]): void => {
    for (const sec of secs) {
      const name = btfString(btf, sec.nameOff, `.BTF.ext ${key} section name`);
      const elfSec = elf.sections.find((x) => x.name === name && name !== '');
      // libbpf ignores records of sections the object does not have.
      if (!elfSec) continue;
      let entry = out.get(elfSec.index);
      if (!entry) out.set(elfSec.index, (entry = { funcInfo: [], lineInfo: [], coreRelos: [] }));
      for (const r of sec.records) {
        if (r.insnOff % 8 !== 0) throw new ObjectParseError(`${key} record for '${name}' has instruction offset ${r.insnOff}, not a multiple of 8`, '.BTF.ext', 0);
        (entry[key] as SectionExt[K][number][]).push({ ...r, insnOff: r.insnOff / 8 });
      }
    }
  };
  add('funcInfo', ext.funcInfo);
  add('lineInfo', ext.lineInfo);
  add('coreRelos', ext.coreRelos);
  return out;
}
