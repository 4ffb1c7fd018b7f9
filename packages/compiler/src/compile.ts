// The pipeline: TS program → diagnostics (tsc's and ours) → IR per program →
// instruction selection → register allocation → encoding with line info.
import ts from 'typescript';
import path from 'node:path';
import type { Instruction } from '@lockne/obj';
import { DiagnosticBag, type Diagnostic } from './diagnostics.js';
import { createTsProgram, type SourceInput } from './front/host.js';
import { lowerModule } from './front/module.js';
import type { IrGlobal, MapRef } from './ir/ir.js';
import { printIr } from './ir/print.js';
import { emitProgram, type LineRecord, type MapReloc } from './back/emit.js';
import { selectInstructions } from './back/isel.js';
import { allocateRegisters, deadCodeElimination } from './back/regalloc.js';
import { cleanupBranches } from './back/branches.js';
import { formatAsm } from './asm.js';
import { buildObject } from './object/build.js';

export interface CompileOptions {
  /** Source text; read from `file` when absent. */
  source?: string;
  /** Also return the IR as text (debugging). */
  ir?: boolean;
}

export interface CompiledProgram {
  /** Exported const name = program name. */
  readonly name: string;
  /** ELF section by libbpf convention ('xdp', 'tc', ...). */
  readonly section: string;
  /** @lockne/bpf ProgType name ('XDP', 'SCHED_CLS', ...). */
  readonly progType: string;
  readonly instructions: Instruction[];
  /** TS position of instructions (where it changes): BTF line_info. */
  readonly lines: LineRecord[];
  /** LD_IMM64 slots that must hold the named map's fd (PSEUDO_MAP_FD). */
  readonly mapRelocs: MapReloc[];
  readonly stackSize: number;
  readonly irText?: string;
}

export interface CompiledModule {
  readonly programs: CompiledProgram[];
  readonly maps: MapRef[];
  readonly diagnostics: Diagnostic[];
  /** rodata()/data()/bss() globals (absent when there are none). */
  readonly globals?: IrGlobal[];
  /** From `export const LICENSE = license('...')`, when declared. */
  readonly license?: string;
}

const MAX_STACK = 512;

/**
 * Compile a *.bpf.ts file to instructions (no ELF). Diagnostics are returned, not thrown;
 * `programs` holds only the programs that compiled.
 * @example
 * const { programs, diagnostics } = compileToInstructions('count.bpf.ts');
 */
export function compileToInstructions(file: string, opts: CompileOptions = {}): CompiledModule {
  const input: SourceInput = opts.source === undefined ? { file } : { file, source: opts.source };
  const program = createTsProgram(input);
  const diags = new DiagnosticBag();
  const sf = program.getSourceFile(path.resolve(file));
  if (!sf) {
    diags.external('LK0000', `cannot read ${file}`, { file, line: 1, column: 1, text: '' });
    return { programs: [], maps: [], diagnostics: diags.items };
  }
  for (const d of ts.getPreEmitDiagnostics(program, sf)) {
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
    diags.external(`TS${d.code}`, ts.flattenDiagnosticMessageText(d.messageText, ' '), { file, line: at.line + 1, column: at.character + 1, text: '' });
  }
  if (diags.hasErrors) return { programs: [], maps: [], diagnostics: diags.items };
  const mod = lowerModule({ checker: program.getTypeChecker(), sf, file, diags, maps: new Map() });
  const programs: CompiledProgram[] = [];
  for (const p of mod.programs) {
    const mfn = selectInstructions(p.ir);
    deadCodeElimination(mfn);
    allocateRegisters(mfn);
    cleanupBranches(mfn);
    const out = emitProgram(mfn);
    if (out.stackSize > MAX_STACK) {
      diags.report('LK5001', `program '${p.name}' needs ${out.stackSize} bytes of stack (max ${MAX_STACK})`, p.ir.pos);
      continue;
    }
    programs.push({
      name: p.name, section: p.section, progType: p.progType, instructions: out.instructions, lines: out.lines,
      mapRelocs: out.mapRelocs, stackSize: out.stackSize, ...(opts.ir ? { irText: printIr(p.ir) } : {}),
    });
  }
  return { programs, maps: mod.maps, diagnostics: diags.items, ...(mod.globals.length ? { globals: mod.globals } : {}), ...(mod.license === undefined ? {} : { license: mod.license }) };
}

export interface CompileToObjectOptions {
  /** Source text; read from `file` when absent. */
  source?: string;
  /** 'object' (default): ELF bytes; 'asm': disassembly with `; file:line source` comments. */
  emit?: 'object' | 'asm';
  /** Object license; default the module's `license(...)`, else "GPL". */
  license?: string;
}

export interface CompileResult {
  /** The ELF object (emit 'object'), absent when there were errors. */
  object?: Uint8Array;
  /** Disassembly of every program (emit 'asm'), absent when there were errors. */
  asm?: string;
  diagnostics: Diagnostic[];
}

/**
 * Compile a *.bpf.ts file to a libbpf-compatible ELF object (or its disassembly).
 * Diagnostics are returned, not thrown; on any error there is no output.
 * @example
 * const { object, diagnostics } = compile('count.bpf.ts');
 * if (object) fs.writeFileSync('count.bpf.o', object);
 */
export function compile(file: string, opts: CompileToObjectOptions = {}): CompileResult {
  const m = compileToInstructions(file, opts.source === undefined ? {} : { source: opts.source });
  if (m.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: m.diagnostics };
  if (opts.emit === 'asm') return { asm: `${m.programs.map((p) => formatAsm(p)).join('\n\n')}\n`, diagnostics: m.diagnostics };
  const object = buildObject(m, { sourceFile: path.basename(file), ...(opts.license === undefined ? {} : { license: opts.license }) });
  return { object, diagnostics: m.diagnostics };
}
