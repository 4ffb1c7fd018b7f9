// BTF func_info / line_info for BPF_PROG_LOAD, re-encoded from the linked
// program's records (struct bpf_func_info = {insn_off, type_id}; struct
// bpf_line_info = {insn_off, file_name_off, line_off, line_col}, line_col =
// line << 10 | column), and the reverse: the source line of the instruction a
// verifier log stopped at.
import type { BtfReader, ProgramSpec } from '@lockne/obj';
import type { SourceLocation } from './errors.js';

export const FUNC_INFO_SIZE = 8;
export const LINE_INFO_SIZE = 16;

export interface EncodedBtfExt {
  funcInfo?: Uint8Array; funcInfoRecSize?: number; funcInfoCount?: number;
  lineInfo?: Uint8Array; lineInfoRecSize?: number; lineInfoCount?: number;
}

/**
 * The records of `prog` in the kernel's layout. `strMap` translates string
 * offsets when the loaded BTF's string section differs from the object's.
 */
export function encodeBtfExt(prog: ProgramSpec, strMap?: (off: number) => number): EncodedBtfExt {
  const out: EncodedBtfExt = {};
  if (prog.funcInfo.length) {
    const b = new Uint8Array(prog.funcInfo.length * FUNC_INFO_SIZE);
    const v = new DataView(b.buffer);
    prog.funcInfo.forEach((f, i) => {
      v.setUint32(i * FUNC_INFO_SIZE, f.insnOff, true);
      v.setUint32(i * FUNC_INFO_SIZE + 4, f.typeId, true);
    });
    Object.assign(out, { funcInfo: b, funcInfoRecSize: FUNC_INFO_SIZE, funcInfoCount: prog.funcInfo.length });
  }
  if (prog.lineInfo.length) {
    const b = new Uint8Array(prog.lineInfo.length * LINE_INFO_SIZE);
    const v = new DataView(b.buffer);
    const str = strMap ?? ((o: number) => o);
    prog.lineInfo.forEach((l, i) => {
      const o = i * LINE_INFO_SIZE;
      v.setUint32(o, l.insnOff, true);
      v.setUint32(o + 4, str(l.fileNameOff), true);
      v.setUint32(o + 8, str(l.lineOff), true);
      v.setUint32(o + 12, ((l.line << 10) | (l.column & 0x3ff)) >>> 0, true);
    });
    Object.assign(out, { lineInfo: b, lineInfoRecSize: LINE_INFO_SIZE, lineInfoCount: prog.lineInfo.length });
  }
  return out;
}

/** The instruction index of the last "N: (op) ..." line of a verifier log. */
export function lastLoggedInsn(log: string): number | undefined {
  let last: number | undefined;
  for (const m of log.matchAll(/^(\d+): \([0-9a-f]{2}\)/gm)) last = Number(m[1]);
  return last;
}

/** The C source location of instruction `insn`, from the program's line info. */
export function sourceOf(prog: ProgramSpec, btf: BtfReader | undefined, insn: number): SourceLocation | undefined {
  if (!btf) return undefined;
  let best: ProgramSpec['lineInfo'][number] | undefined;
  for (const l of prog.lineInfo) if (l.insnOff <= insn && (!best || l.insnOff >= best.insnOff)) best = l;
  if (!best) return undefined;
  const str = (off: number): string => {
    try {
      return btf.string(off);
    } catch {
      return '';
    }
  };
  return { file: str(best.fileNameOff), line: best.line, column: best.column, text: str(best.lineOff), insn };
}
