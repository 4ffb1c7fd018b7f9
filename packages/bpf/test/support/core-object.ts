// Support for object-btf.test.ts: compile C with clang for BPF and pull out
// what the BTF fix-up and CO-RE tests need without the object parser: the
// .BTF blob, each function's instructions with its CO-RE records (from
// .BTF.ext, insnOff as an instruction index relative to the function), and
// the ELF section sizes/symbols fixupBtf takes. (The same helper exists for
// @lockne/obj's pure tests in packages/obj/test/support/core-elf.ts; package
// boundaries keep test code from being shared.)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BtfReader, ElfFile, SymbolBind, SymbolType, decodeInstructions, type BtfSectionInfo, type Instruction,
} from '@lockne/obj';

/** A CO-RE record with insnOff relative to its function (spec.ts's CoreRelo). */
export interface TestCoreRelo { insnOff: number; typeId: number; accessStr: string; kind: number }

export interface CoreObject {
  btfBytes: Uint8Array;
  btf: BtfReader;
  programs: Map<string, { instructions: Instruction[]; relos: TestCoreRelo[] }>;
  sections: Map<string, BtfSectionInfo>;
}

const cache = new Map<string, Uint8Array>();

/** clang -O2 -g -target bpf -c (cached per source). Throws with clang's stderr. */
export function compileBpf(source: string): Uint8Array {
  const hit = cache.get(source);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), 'lkcc'));
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

export function readCoreObject(bytes: Uint8Array): CoreObject {
  const elf = ElfFile.parse(bytes);
  const data = (name: string): Uint8Array => {
    const s = elf.section(name);
    if (!s) throw new Error(`object has no ${name} section`);
    return bytes.subarray(s.offset, s.offset + s.size);
  };
  const btfBytes = data('.BTF');
  const btf = BtfReader.parse(btfBytes);
  const relos = coreRecords(data('.BTF.ext'), btf);
  const programs = new Map<string, { instructions: Instruction[]; relos: TestCoreRelo[] }>();
  const sections = new Map<string, BtfSectionInfo>();
  for (const s of elf.sections) if (s.index > 0) sections.set(s.name, { size: s.size, symbols: new Map() });
  for (const sym of elf.symbols()) {
    const sec = elf.sections[sym.shndx];
    if (!sec) continue;
    if (sym.type === SymbolType.FUNC && (sec.flags & 0x4n) !== 0n) {
      const first = sym.value / 8;
      const count = sym.size / 8;
      programs.set(sym.name, {
        instructions: decodeInstructions(bytes.subarray(sec.offset + sym.value, sec.offset + sym.value + sym.size)),
        relos: (relos.get(sec.name) ?? []).filter((r) => r.insnOff >= first && r.insnOff < first + count).map((r) => ({ ...r, insnOff: r.insnOff - first })),
      });
    } else if (sym.type === SymbolType.OBJECT && (sym.bind === SymbolBind.GLOBAL || sym.bind === SymbolBind.WEAK)) {
      (sections.get(sec.name)!.symbols as Map<string, number>).set(sym.name, sym.value);
    }
  }
  return { btfBytes, btf, programs, sections };
}

/** .BTF.ext core_relo records by section name, insnOff in instructions from the section start. */
function coreRecords(ext: Uint8Array, btf: BtfReader): Map<string, TestCoreRelo[]> {
  const v = new DataView(ext.buffer, ext.byteOffset, ext.byteLength);
  const out = new Map<string, TestCoreRelo[]>();
  const hdrLen = v.getUint32(4, true);
  if (hdrLen < 32 || v.getUint32(28, true) === 0) return out;
  const start = hdrLen + v.getUint32(24, true);
  const end = start + v.getUint32(28, true);
  const recSize = v.getUint32(start, true);
  for (let o = start + 4; o < end;) {
    const list: TestCoreRelo[] = [];
    out.set(btf.string(v.getUint32(o, true)), list);
    const n = v.getUint32(o + 4, true);
    o += 8;
    for (let i = 0; i < n; i++, o += recSize) {
      list.push({ insnOff: v.getUint32(o, true) / 8, typeId: v.getUint32(o + 4, true), accessStr: btf.string(v.getUint32(o + 8, true)), kind: v.getUint32(o + 12, true) });
    }
  }
  return out;
}
