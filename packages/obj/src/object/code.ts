// Code sections: the functions in each executable section (from FUNC symbols)
// and what each relocation in '.rel<section>' asks of an instruction — a call
// or function address into some code section, or a map / global data / extern
// load the loader must patch (libbpf's bpf_program__record_reloc rules).
import type { Instruction } from '../insn/instruction.js';
import { R_BPF, SHN_LORESERVE, SHN_UNDEF, STB, STT, sectionBytes, type ElfRel, type RelEntry, type RelSection, type RelSymbol } from './elf-rel.js';
import { ObjectParseError } from './errors.js';
import type { PlacedMap } from './maps.js';
import type { ExternSpec, Relocation } from './spec.js';

/** A relocation without its instruction index (added when it is placed). */
export type RelocBody = Relocation extends infer R ? (R extends unknown ? Omit<R, 'insn'> : never) : never;

/** What a relocated instruction refers to. */
export type FuncRelo =
  /** A bpf-to-bpf call (CALL src=1) or function address (LD_IMM64) into code section `sec` at instruction `target`. */
  | { kind: 'code'; sec: number; target: number }
  | { kind: 'data'; body: RelocBody };

/** One function of a code section. */
export interface Func {
  readonly name: string;
  readonly sec: RelSection;
  /** First instruction, as an index into the section. */
  readonly start: number;
  readonly count: number;
  /** In a section other than .text: an entry program. */
  readonly entry: boolean;
  /** Instructions, with relocated LD_IMM64 immediates zeroed. */
  readonly insns: Instruction[];
  /** Relocations by instruction index relative to `start`. */
  readonly relos: Map<number, FuncRelo>;
}

export interface CodeSection {
  readonly sec: RelSection;
  /** Functions in instruction order. */
  readonly funcs: Func[];
}

const CALL = 0x85;
const LD_IMM64 = 0x18;
const PSEUDO_CALL = 1;
const PSEUDO_KFUNC_CALL = 2;

/** Decode instructions of either byte order (big-endian objects keep dst in the high nibble). */
export function decodeCode(bytes: Uint8Array, le: boolean): Instruction[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Instruction[] = [];
  for (let o = 0; o + 8 <= bytes.byteLength; o += 8) {
    const regs = bytes[o + 1]!;
    out.push({
      code: bytes[o]!, dst: le ? regs & 0xf : regs >> 4, src: le ? regs >> 4 : regs & 0xf,
      off: view.getInt16(o + 2, le), imm: view.getInt32(o + 4, le),
    });
  }
  return out;
}

/** Find the functions of code section `sec` (FUNC symbols, libbpf's bpf_object__add_programs). */
export function codeSection(elf: ElfRel, sec: RelSection, isText: boolean): CodeSection {
  if (sec.size % 8 !== 0) throw new ObjectParseError(`code size ${sec.size} is not a multiple of 8`, sec.name, 0);
  const insns = decodeCode(sectionBytes(elf, sec), elf.littleEndian);
  const syms = elf.symbols.filter((s) => s.shndx === sec.index && s.type === STT.FUNC).sort((a, b) => a.value - b.value);
  const symtab = elf.sections[elf.symtabIndex]!.name;
  const funcs: Func[] = [];
  let end = 0;
  for (const s of syms) {
    // Reported at the symbol's st_value field: the bad value may lie outside the section.
    const bad = (msg: string): ObjectParseError => new ObjectParseError(`function '${s.name}' in '${sec.name}': ${msg}`, symtab, s.index * 24 + 8);
    if (s.value % 8 !== 0 || s.size % 8 !== 0 || s.size === 0) throw bad(`${s.value}+${s.size} is not whole instructions`);
    if (s.value > sec.size || s.size > sec.size - s.value) throw bad(`${s.value}+${s.size} crosses the section end (${sec.size})`);
    if (s.value < end) throw bad('overlaps the previous function');
    if (!isText && s.bind === STB.LOCAL) throw bad('is static; entry programs must be global');
    if (s.name === '') throw bad('has no name');
    const start = s.value / 8;
    const count = s.size / 8;
    funcs.push({ name: s.name, sec, start, count, entry: !isText, insns: insns.slice(start, start + count), relos: new Map() });
    end = s.value + s.size;
  }
  return { sec, funcs };
}

/** The function of `code` containing instruction `idx` (section-relative), if any. */
export function funcAt(code: CodeSection, idx: number): Func | undefined {
  let lo = 0;
  let hi = code.funcs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const f = code.funcs[mid]!;
    if (idx < f.start) hi = mid - 1;
    else if (idx >= f.start + f.count) lo = mid + 1;
    else return f;
  }
  return undefined;
}

/** How relocations find what their symbols name. */
export interface RelocTargets {
  readonly code: ReadonlyMap<number, CodeSection>;
  /** Maps of '.maps' and legacy 'maps', found by section and definition offset. */
  readonly maps: readonly PlacedMap[];
  /** Global data sections (by ELF index) → their map's name and size. */
  readonly data: ReadonlyMap<number, { readonly name: string; readonly size: number }>;
  readonly externs: ReadonlyMap<number, ExternSpec>;
}

/** Record the relocations of '.rel<code.sec>' on its functions. */
export function recordRelocations(elf: ElfRel, code: CodeSection, relSec: RelSection, rels: readonly RelEntry[], targets: RelocTargets): void {
  const name = code.sec.name;
  rels.forEach((rel, i) => {
    const fail = (msg: string): ObjectParseError =>
      new ObjectParseError(`relocation #${i} (in ${relSec.name}) at offset ${rel.offset}: ${msg}`, name, rel.offset);
    if (rel.type === R_BPF.NONE) return;
    if (rel.offset >= code.sec.size) throw new ObjectParseError(`relocation #${i} at offset ${rel.offset} is past the end of '${name}' (${code.sec.size} bytes)`, relSec.name, i * 16);
    if (rel.offset % 8 !== 0) throw fail('not an instruction of the section');
    const sym = rel.sym === 0 ? undefined : elf.symbols[rel.sym];
    if (!sym) throw fail(`relocation against missing symbol #${rel.sym}`);
    const idx = rel.offset / 8;
    // libbpf skips relocations outside every function (an overridden weak function).
    const func = funcAt(code, idx);
    if (!func) return;
    const local = idx - func.start;
    const insn = func.insns[local]!;
    const isCall = insn.code === CALL;
    if (!isCall && insn.code !== LD_IMM64) throw fail(`instruction code 0x${insn.code.toString(16)} cannot be relocated against '${sym.name}'`);
    if (rel.type !== (isCall ? R_BPF.R64_32 : R_BPF.R64_64)) throw fail(`relocation type ${rel.type} does not fit a ${isCall ? 'call (R_BPF_64_32)' : 'LD_IMM64 (R_BPF_64_64)'}`);
    if (!isCall && local + 1 >= func.count) throw fail(`LD_IMM64 is missing its second slot in '${func.name}'`);
    const r = classify(sym, insn, isCall, targets, fail);
    func.relos.set(local, r);
    // The loader fills the immediates: leave clean placeholders (any addend is in the Relocation).
    if (r.kind === 'data') {
      insn.imm = 0;
      if (isCall) insn.src = PSEUDO_KFUNC_CALL;
      else func.insns[local + 1]!.imm = 0;
    }
  });
}

function classify(sym: RelSymbol, insn: Instruction, isCall: boolean, t: RelocTargets, fail: (msg: string) => ObjectParseError): FuncRelo {
  const ext = t.externs.get(sym.index);
  if (ext) {
    if (isCall) {
      if (ext.kind !== 'kfunc') throw fail(`call to extern '${ext.name}', which is a ${ext.kind}, not a kfunc`);
      return { kind: 'data', body: { kind: 'kfunc', extern: ext.name } };
    }
    return { kind: 'data', body: { kind: ext.kind === 'kconfig' ? 'kconfig' : 'ksym', extern: ext.name } };
  }
  if (sym.shndx === SHN_UNDEF || sym.shndx >= SHN_LORESERVE) {
    throw fail(`'${sym.name}' is not defined in the object (special section 0x${sym.shndx.toString(16)}; an uninitialised global?)`);
  }
  const code = t.code.get(sym.shndx);
  if (isCall) {
    if (insn.src !== PSEUDO_CALL) throw fail(`call against '${sym.name}' is not a bpf-to-bpf call (src ${insn.src})`);
    if (!code) throw fail(`call against '${sym.name}', which is not in a code section`);
    if (sym.value % 8 !== 0) throw fail(`call target '${sym.name}' at ${sym.value} is not instruction-aligned`);
    // Global functions: value = offset, imm = -1. Static ones: section symbol, imm = target - 1.
    return { kind: 'code', sec: sym.shndx, target: sym.value / 8 + insn.imm + 1 };
  }
  if (code) {
    if (sym.value % 8 !== 0 || insn.imm % 8 !== 0) throw fail(`function address '${sym.name}' ${sym.value}+${insn.imm} is not instruction-aligned`);
    return { kind: 'code', sec: sym.shndx, target: (sym.value + insn.imm) / 8 };
  }
  const offset = sym.value + insn.imm;
  const map = t.maps.find((m) => m.section === sym.shndx && m.offset === offset);
  if (map) return { kind: 'data', body: { kind: 'map', map: map.spec.name } };
  if (t.maps.some((m) => m.section === sym.shndx)) throw fail(`no map is defined at offset ${offset} ('${sym.name}')`);
  const data = t.data.get(sym.shndx);
  if (data !== undefined) {
    // The kernel refuses a map value address at or past the value's end.
    if (offset < 0 || offset >= data.size) throw fail(`offset ${offset} ('${sym.name}') is outside '${data.name}' (${data.size} bytes)`);
    return { kind: 'data', body: { kind: 'mapValue', map: data.name, offset } };
  }
  throw fail(`'${sym.name}' is in section #${sym.shndx}, which is neither code, maps nor global data`);
}
