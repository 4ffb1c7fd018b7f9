// The linker: one entry function plus every subprogram it reaches becomes one
// ProgramSpec, the way libbpf's bpf_object__reloc_code does it. Starting with
// the entry function, each bpf-to-bpf call (CALL src=1) and function address
// (LD_IMM64, becomes src=BPF_PSEUDO_FUNC, e.g. a bpf_loop callback) whose
// callee is not yet in the program appends the callee's code at the end and
// is processed depth-first before the caller continues; then the call's imm is
// set to the callee's new position. func_info, line_info and CO-RE records of
// each appended function are rebased to where it landed, and its map / data /
// extern relocations are re-indexed likewise.
//
// func_info and line_info follow libbpf: when the entry function has none,
// the program gets none; when it has some, every appended function must too.
//
// @example
// // xdp: prog → calls static add2 → calls static add1; prog also calls global gfunc
// // instructions: [prog..., add2..., add1..., gfunc...], each call imm pointing at its callee
import type { BtfReader } from '../btf/reader.js';
import type { Instruction } from '../insn/instruction.js';
import type { CoreReloRec, FuncInfoRec, LineInfoRec } from './btf-ext.js';
import { btfString } from './btf-util.js';
import { funcAt, type CodeSection, type Func } from './code.js';
import { ObjectParseError } from './errors.js';
import type { ProgramSpec, Relocation, SectionDef } from './spec.js';

/** .BTF.ext records of one ELF section, insnOff already in instructions (section-relative). */
export interface SectionExt {
  readonly funcInfo: readonly FuncInfoRec[];
  readonly lineInfo: readonly LineInfoRec[];
  readonly coreRelos: readonly CoreReloRec[];
}

export interface LinkInput {
  readonly code: ReadonlyMap<number, CodeSection>;
  /** By ELF section index; absent without .BTF.ext. */
  readonly ext?: ReadonlyMap<number, SectionExt>;
  readonly btf?: BtfReader;
}

const CALL = 0x85;
const LD_IMM64 = 0x18;
const PSEUDO_CALL = 1;
const PSEUDO_FUNC = 4;

interface Frame { readonly f: Func; readonly base: number; i: number }

/** Link entry function `main` with its subprograms into a ProgramSpec. */
export function linkProgram(main: Func, def: SectionDef, input: LinkInput): ProgramSpec {
  const out: Instruction[] = [];
  const placed = new Map<Func, number>();
  const spec: ProgramSpec = { name: main.name, def, instructions: out, relocations: [], funcInfo: [], lineInfo: [], coreRelos: [] };
  let withFunc = false;
  let withLine = false;
  const place = (f: Func): number => {
    const base = out.length;
    placed.set(f, base);
    for (const insn of f.insns) out.push({ ...insn });
    for (const [i, r] of f.relos) if (r.kind === 'data') spec.relocations.push({ ...r.body, insn: base + i } as Relocation);
    const ext = input.ext?.get(f.sec.index);
    if (!ext || !input.btf) return base;
    const btf = input.btf;
    const mine = <R extends { insnOff: number }>(recs: readonly R[]): R[] =>
      recs.filter((r) => r.insnOff >= f.start && r.insnOff < f.start + f.count).map((r) => ({ ...r, insnOff: r.insnOff - f.start + base }));
    const fi = mine(ext.funcInfo);
    const li = mine(ext.lineInfo);
    if (f === main) { withFunc = fi.length > 0; withLine = li.length > 0; }
    const missing = (what: string): ObjectParseError =>
      new ObjectParseError(`function '${f.name}' has no ${what} records, but the program '${main.name}' it is linked into has`, '.BTF.ext', 0);
    if (withFunc) {
      if (fi.length === 0) throw missing('func_info');
      for (const r of fi) {
        if (r.typeId < 1 || r.typeId > btf.lastId || btf.kind(r.typeId) !== 'FUNC') {
          throw new ObjectParseError(`func_info of '${f.name}' names type ${r.typeId}, which is not a BTF FUNC`, '.BTF.ext', 0);
        }
        spec.funcInfo.push({ insnOff: r.insnOff, typeId: r.typeId });
      }
    }
    if (withLine) {
      if (li.length === 0) throw missing('line_info');
      // Offsets are only checked here (decoding every file name and source
      // line just to check it would cost a string per record).
      for (const r of li) {
        checkBtfString(btf, r.fileNameOff, f.name, 'file name');
        checkBtfString(btf, r.lineOff, f.name, 'line text');
        spec.lineInfo.push(r);
      }
    }
    for (const r of mine(ext.coreRelos)) {
      if (r.typeId > btf.lastId) throw new ObjectParseError(`CO-RE relocation of '${f.name}' names type ${r.typeId}, past the last type ${btf.lastId}`, '.BTF.ext', 0);
      spec.coreRelos.push({ insnOff: r.insnOff, typeId: r.typeId, kind: r.kind, accessStr: btfString(btf, r.accessStrOff, `CO-RE relocation of '${f.name}': access string`) });
    }
    return base;
  };
  place(main);
  const stack: Frame[] = [{ f: main, base: 0, i: 0 }];
  while (stack.length > 0) {
    const fr = stack[stack.length - 1]!;
    if (fr.i >= fr.f.count) { stack.pop(); continue; }
    const at = fr.base + fr.i;
    const insn = out[at]!;
    const target = callTarget(fr.f, fr.i, insn);
    if (!target) { fr.i++; continue; }
    const fail = (msg: string): ObjectParseError => new ObjectParseError(`'${fr.f.name}' instruction ${fr.i}: ${msg}`, fr.f.sec.name, (fr.f.start + fr.i) * 8);
    const section = input.code.get(target.sec);
    const callee = section && funcAt(section, target.idx);
    if (!callee) throw fail(`call target ${target.idx} in section #${target.sec} is not inside any function`);
    const cbase = placed.get(callee);
    if (cbase === undefined) {
      // Append the callee and link it first; this instruction is revisited afterwards.
      stack.push({ f: callee, base: place(callee), i: 0 });
      continue;
    }
    const imm = cbase + (target.idx - callee.start) - at - 1;
    insn.imm = imm;
    if (insn.code === LD_IMM64) insn.src = PSEUDO_FUNC;
    fr.i++;
  }
  spec.relocations.sort((a, b) => a.insn - b.insn);
  return spec;
}

/** Throw btfString's error when `off` is not a string offset of `btf`. */
function checkBtfString(btf: BtfReader, off: number, func: string, what: string): void {
  if (!Number.isInteger(off) || off < 0 || off >= btf.stringsLength) btfString(btf, off, `line_info of '${func}': ${what}`);
}

/** Where instruction `i` of `f` calls or points to, as (section, instruction), if it does. */
function callTarget(f: Func, i: number, insn: Instruction): { sec: number; idx: number } | undefined {
  const r = f.relos.get(i);
  if (r?.kind === 'code') return { sec: r.sec, idx: r.target };
  if (r) return undefined;
  if (insn.code === CALL && insn.src === PSEUDO_CALL) {
    // A call within the section needs no relocation: imm is relative to the call itself.
    return { sec: f.sec.index, idx: f.start + i + insn.imm + 1 };
  }
  if (insn.code === LD_IMM64 && insn.src === PSEUDO_FUNC) {
    throw new ObjectParseError(`'${f.name}' instruction ${i}: function address without a relocation`, f.sec.name, (f.start + i) * 8);
  }
  return undefined;
}
