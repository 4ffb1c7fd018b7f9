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
import { emitProgram, JumpOutOfRange, type CoreReloc, type EmittedProgram, type FuncReloc, type LineRecord, type MapReloc } from './back/emit.js';
import type { IrFunction } from './ir/ir.js';
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
  /**
   * Most verbose `log.*` level compiled (LogLevel: 0 error … 3 debug, the default). Calls above it
   * emit nothing; the rest are gated at run time by the `lockne_log_level` rodata (default INFO).
   */
  logLevel?: number;
}

/** Machine code of one function (a program or one of its subprograms). */
export interface CompiledFunction {
  readonly name: string;
  readonly instructions: Instruction[];
  /** TS position of instructions (where it changes): BTF line_info. */
  readonly lines: LineRecord[];
  /** LD_IMM64 slots that must hold the named map's fd (PSEUDO_MAP_FD) or global's address. */
  readonly mapRelocs: MapReloc[];
  /** LD_IMM64 slots that must hold a subprogram's address (BPF_PSEUDO_FUNC: bpf_loop callbacks). */
  readonly funcRelocs: FuncReloc[];
  /** Moves whose immediate the loader relocates for the running kernel (CO-RE: core.read, core.fieldExists, ...). */
  readonly coreRelocs: CoreReloc[];
  readonly stackSize: number;
}

/** A bpf.loop body: a static function in `.text`, linked into its program by the loader. */
export interface CompiledSubprogram extends CompiledFunction {
  /** The program or subprogram that takes its address. */
  readonly caller: string;
}

export interface CompiledProgram extends CompiledFunction {
  /** Exported const name = program name. */
  readonly name: string;
  /** ELF section by libbpf convention ('xdp', 'tc', ...). */
  readonly section: string;
  /** @lockne/bpf ProgType name ('XDP', 'SCHED_CLS', ...). */
  readonly progType: string;
  /** Its bpf.loop bodies, callers before callees (empty for most programs). */
  readonly subprograms: CompiledSubprogram[];
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
/** Longest program BPF_PROG_LOAD takes from a privileged loader (BPF_COMPLEXITY_LIMIT_INSNS; E2BIG beyond). */
const MAX_INSNS = 1_000_000;

/** The backend for one function: instruction selection, register allocation, encoding. */
function lowerFunction(ir: IrFunction): EmittedProgram {
  const mfn = selectInstructions(ir);
  deadCodeElimination(mfn);
  allocateRegisters(mfn);
  cleanupBranches(mfn);
  return emitProgram(mfn);
}

/** A frame as the verifier counts it along a call chain (check_max_stack_depth: at least 1 byte, rounded up to 32). */
const frameBytes = (n: number): number => Math.ceil(Math.max(n, 1) / 32) * 32;

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
  const mod = lowerModule({ checker: program.getTypeChecker(), sf, file, diags, maps: new Map(), options: opts.logLevel === undefined ? {} : { logLevel: opts.logLevel } });
  const programs: CompiledProgram[] = [];
  /** The backend, with what makes a program unencodable or unloadable reported as LK5005 (undefined then). */
  const backend = (ir: IrFunction, what: string): EmittedProgram | undefined => {
    try {
      return lowerFunction(ir);
    } catch (e) {
      if (!(e instanceof JumpOutOfRange)) throw e;
      diags.report('LK5005', `${what}: ${e.message}; split the code into a bpf.loop body, shorten unrolled loops or move work to another program (tail call)`, e.pos);
      return undefined;
    }
  };
  for (const p of mod.programs) {
    const out = backend(p.ir, `program '${p.name}'`);
    if (!out) continue;
    if (out.stackSize > MAX_STACK) {
      diags.report('LK5001', `program '${p.name}' needs ${out.stackSize} bytes of stack (max ${MAX_STACK})`, p.ir.pos);
      continue;
    }
    const subprograms: CompiledSubprogram[] = [];
    // Stack along each call chain (program → loop body → nested body), as the verifier adds it up.
    const depth = new Map<string, number>([[p.name, frameBytes(out.stackSize)]]);
    let tooDeep = false;
    for (const s of [...p.subprograms].reverse()) {
      const sub = backend(s.ir, `the bpf.loop body '${s.name}'`);
      if (!sub) { tooDeep = true; continue; }
      const d = (depth.get(s.caller) ?? 0) + frameBytes(sub.stackSize);
      depth.set(s.name, d);
      if (d > MAX_STACK && !tooDeep) {
        tooDeep = true;
        diags.report('LK5002', `the bpf.loop body '${s.name}' and its callers need ${d} bytes of stack together (max ${MAX_STACK})`, s.ir.pos);
      }
      subprograms.push({ name: s.name, caller: s.caller, instructions: sub.instructions, lines: sub.lines, mapRelocs: sub.mapRelocs, funcRelocs: sub.funcRelocs, coreRelocs: sub.coreRelocs, stackSize: sub.stackSize });
    }
    if (tooDeep) continue;
    const total = out.instructions.length + subprograms.reduce((n, s) => n + s.instructions.length, 0);
    if (total > MAX_INSNS) {
      diags.report('LK5005', `program '${p.name}' has ${total} instructions; the kernel loads at most ${MAX_INSNS}: split it (tail calls, bpf.loop)`, p.ir.pos);
      continue;
    }
    programs.push({
      name: p.name, section: p.section, progType: p.progType, instructions: out.instructions, lines: out.lines,
      mapRelocs: out.mapRelocs, funcRelocs: out.funcRelocs, coreRelocs: out.coreRelocs, stackSize: out.stackSize, subprograms,
      ...(opts.ir ? { irText: [p.ir, ...p.subprograms.map((s) => s.ir)].map(printIr).join('\n') } : {}),
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
  /** Most verbose `log.*` level compiled (see CompileOptions.logLevel). */
  logLevel?: number;
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
  const m = compileToInstructions(file, { ...(opts.source === undefined ? {} : { source: opts.source }), ...(opts.logLevel === undefined ? {} : { logLevel: opts.logLevel }) });
  if (m.diagnostics.some((d) => d.severity === 'error')) return { diagnostics: m.diagnostics };
  if (opts.emit === 'asm') {
    const fns = m.programs.flatMap((p) => [formatAsm(p), ...p.subprograms.map((s) => formatAsm({ ...s, section: '.text' }))]);
    return { asm: `${fns.join('\n\n')}\n`, diagnostics: m.diagnostics };
  }
  const object = buildObject(m, { sourceFile: path.basename(file), ...(opts.license === undefined ? {} : { license: opts.license }) });
  return { object, diagnostics: m.diagnostics };
}
