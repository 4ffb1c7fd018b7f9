// Test support for CO-RE and BTF fix-up tests: compile C with clang for BPF,
// and pull out of the object what those tests need without the object parser:
// the .BTF blob, each code section's instructions with its CO-RE records
// (from .BTF.ext, insnOff converted to an instruction index), and the ELF
// section sizes/symbols btf/fixup.ts takes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BtfReader, ElfFile, SymbolBind, SymbolType, decodeInstructions, type Instruction } from '../../src/index.js';
import type { CoreRelo } from '../../src/object/spec.js';
import type { BtfSectionInfo } from '../../src/btf/fixup.js';

const cache = new Map<string, Uint8Array>();

/** clang -O2 -g -target bpf -c: the object's bytes (cached per source). Throws with clang's stderr. */
export function compileBpf(source: string): Uint8Array {
  const hit = cache.get(source);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), 'lockne-core-'));
  try {
    writeFileSync(join(dir, 'x.bpf.c'), source);
    const multiarch = `/usr/include/${arch() === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
    const args = ['-O2', '-g', '-target', 'bpf', '-Wall', '-Werror', '-c', join(dir, 'x.bpf.c'), '-o', join(dir, 'x.o')];
    if (existsSync(multiarch)) args.unshift('-I', multiarch);
    const r = spawnSync('clang', args, { encoding: 'utf8' });
    if (r.error) throw new Error(`clang is not runnable: ${r.error.message}`);
    if (r.status !== 0) throw new Error(`clang failed:\n${r.stderr}`);
    const bytes = new Uint8Array(readFileSync(join(dir, 'x.o')));
    cache.set(source, bytes);
    return bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface CoreProgram {
  /** Function symbol name. */
  name: string;
  section: string;
  instructions: Instruction[];
  relos: CoreRelo[];
}

export interface CoreObject {
  elf: ElfFile;
  btfBytes: Uint8Array;
  btf: BtfReader;
  /** Functions of the code sections by symbol name, each with its CO-RE records (insnOff relative to it). */
  programs: Map<string, CoreProgram>;
  /** Input for fixupBtf: every section with its size and global/weak OBJECT symbols. */
  sections: Map<string, BtfSectionInfo>;
}

const STV_INTERNAL = 1;
const STV_HIDDEN = 2;

/** Split a clang BPF object into what the CO-RE and fix-up tests need. */
export function readCoreObject(bytes: Uint8Array): CoreObject {
  const elf = ElfFile.parse(bytes);
  const data = (name: string): Uint8Array => {
    const s = elf.section(name);
    if (!s) throw new Error(`object has no ${name} section`);
    return bytes.subarray(s.offset, s.offset + s.size);
  };
  const btfBytes = data('.BTF');
  const btf = BtfReader.parse(btfBytes);
  const code = new Map<string, { insns: Instruction[]; relos: CoreRelo[] }>();
  for (const s of elf.sections) {
    if ((s.flags & 0x4n) !== 0n && s.size > 0) { // SHF_EXECINSTR
      code.set(s.name, { insns: decodeInstructions(bytes.subarray(s.offset, s.offset + s.size)), relos: [] });
    }
  }
  for (const { section, relos } of coreRecords(data('.BTF.ext'), btf)) {
    const c = code.get(section);
    if (!c) throw new Error(`.BTF.ext names section '${section}', which has no code`);
    c.relos.push(...relos);
  }
  const programs = new Map<string, CoreProgram>();
  for (const sym of elf.symbols()) {
    const sec = elf.sections[sym.shndx];
    const c = sec && code.get(sec.name);
    if (sym.type !== SymbolType.FUNC || !c) continue;
    const first = sym.value / 8;
    const count = sym.size / 8;
    programs.set(sym.name, {
      name: sym.name,
      section: sec.name,
      instructions: c.insns.slice(first, first + count),
      relos: c.relos.filter((r) => r.insnOff >= first && r.insnOff < first + count).map((r) => ({ ...r, insnOff: r.insnOff - first })),
    });
  }

  // st_other (visibility) is not in ElfSymbol: read it from .symtab directly (entry byte 5).
  const symtab = elf.sections.find((s) => s.name === '.symtab')!;
  const sections = new Map<string, BtfSectionInfo>();
  for (const s of elf.sections) if (s.index > 0) sections.set(s.name, { size: s.size, symbols: new Map(), hidden: new Set() });
  elf.symbols().forEach((sym, i) => {
    if (sym.type !== SymbolType.OBJECT || (sym.bind !== SymbolBind.GLOBAL && sym.bind !== SymbolBind.WEAK)) return;
    const sec = elf.sections[sym.shndx];
    const info = sec && sections.get(sec.name);
    if (!info) return;
    (info.symbols as Map<string, number>).set(sym.name, sym.value);
    const vis = bytes[symtab.offset + 24 * i + 5]! & 3;
    if (vis === STV_HIDDEN || vis === STV_INTERNAL) (info.hidden as Set<string>).add(sym.name);
  });
  return { elf, btfBytes, btf, programs, sections };
}

/** The core_relo sub-section of .BTF.ext: per section name, records with instruction indices. */
function coreRecords(ext: Uint8Array, btf: BtfReader): { section: string; relos: CoreRelo[] }[] {
  const v = new DataView(ext.buffer, ext.byteOffset, ext.byteLength);
  const hdrLen = v.getUint32(4, true);
  if (hdrLen < 32) return [];
  const off = v.getUint32(24, true);
  const len = v.getUint32(28, true);
  if (len === 0) return [];
  const start = hdrLen + off;
  const recSize = v.getUint32(start, true);
  const out: { section: string; relos: CoreRelo[] }[] = [];
  for (let o = start + 4; o < start + len;) {
    const section = btf.string(v.getUint32(o, true));
    const n = v.getUint32(o + 4, true);
    o += 8;
    const relos: CoreRelo[] = [];
    for (let i = 0; i < n; i++, o += recSize) {
      relos.push({
        insnOff: v.getUint32(o, true) / 8,
        typeId: v.getUint32(o + 4, true),
        accessStr: btf.string(v.getUint32(o + 8, true)),
        kind: v.getUint32(o + 12, true),
      });
    }
    out.push({ section, relos });
  }
  return out;
}
