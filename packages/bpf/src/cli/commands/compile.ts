// `lockne-bpf compile <x.bpf.ts> [-o x.bpf.o] [--emit object|asm] [--log-level N]`: compile a
// TypeScript eBPF source with @lockne/compiler into a libbpf-compatible ELF
// object (or print its disassembly with `; file:line source` comments).
// Diagnostics go to stderr as `file:line:col: LKxxxx message`; any error exits 1.
// `--log-level N` (0 error … 3 debug) compiles only `log.*` calls up to that level.
// @lockne/compiler is an optional peer: loaded at run time, so @lockne/bpf
// does not depend on it (nor on TypeScript) to build or to run other commands.
//
// @example
// lockne-bpf compile count.bpf.ts -o count.bpf.o && lockne-bpf load count.bpf.o
import fs from 'node:fs';
import type { Command } from 'commander';
import { ArgumentError, BpfError, NotSupportedError } from '../../errors.js';

/** The part of @lockne/compiler this command uses. */
interface CompilerApi {
  compile(file: string, opts: { emit?: 'object' | 'asm'; license?: string; logLevel?: number }): {
    object?: Uint8Array;
    asm?: string;
    diagnostics: { code: string; message: string; file: string; line: number; column: number; severity: 'error' | 'warning' }[];
  };
  formatDiagnostic(d: { code: string; message: string; file: string; line: number; column: number }): string;
}

/** The source had errors (already printed as diagnostics). */
export class CompileFailedError extends BpfError {
  override name = 'CompileFailedError';
}

const EMITS = ['object', 'asm'] as const;
/** LogLevel names by number, for --log-level (the compiler's CompileOptions.logLevel). */
const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/** `--log-level` as 0..3, or a level name (`debug`). */
export function parseLogLevel(text: string): number {
  const byName = (LOG_LEVELS as readonly string[]).indexOf(text.toLowerCase());
  if (byName >= 0) return byName;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n < LOG_LEVELS.length)) {
    throw new ArgumentError(`--log-level '${text}' is unknown; one of 0..${LOG_LEVELS.length - 1} (${LOG_LEVELS.join(', ')})`);
  }
  return n;
}

async function loadCompiler(): Promise<CompilerApi> {
  // A variable specifier keeps tsc from resolving (and @lockne/bpf from depending on) the package.
  const name = '@lockne/compiler';
  try {
    return (await import(name)) as CompilerApi;
  } catch (e) {
    throw new NotSupportedError(`compile needs the @lockne/compiler package (npm install @lockne/compiler): ${(e as Error).message}`);
  }
}

/** x.bpf.ts → x.bpf.o, x.ts → x.o */
export function defaultOutput(file: string): string {
  return file.replace(/\.(m|c)?tsx?$/, '') + '.o';
}

export function registerCompile(cli: Command): void {
  cli.command('compile')
    .description('compile a TypeScript eBPF source (*.bpf.ts) to an ELF object (or its disassembly)')
    .argument('<file>', 'the *.bpf.ts source')
    .option('-o, --output <file>', 'object file to write (default: <file> with .o for .ts)')
    .option('--emit <kind>', `output: ${EMITS.join(' | ')}`, 'object')
    .option('--license <name>', "object license (default: the source's license(...), else GPL)")
    .option('--log-level <n>', `most verbose log.* calls compiled: 0..3 or ${LOG_LEVELS.join('|')} (default 3, debug)`)
    .action(async (file: string, opts: { output?: string; emit: string; license?: string; logLevel?: string }) => {
      if (!(EMITS as readonly string[]).includes(opts.emit)) throw new ArgumentError(`--emit '${opts.emit}' is unknown; one of: ${EMITS.join(', ')}`);
      const logLevel = opts.logLevel === undefined ? undefined : parseLogLevel(opts.logLevel);
      if (!fs.existsSync(file)) throw new ArgumentError(`'${file}': no such file`);
      const compiler = await loadCompiler();
      const r = compiler.compile(file, {
        emit: opts.emit as 'object' | 'asm',
        ...(opts.license ? { license: opts.license } : {}),
        ...(logLevel === undefined ? {} : { logLevel }),
      });
      for (const d of r.diagnostics) process.stderr.write(`${compiler.formatDiagnostic(d)}\n`);
      const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
      if (errors) throw new CompileFailedError(`${file}: ${errors} error${errors === 1 ? '' : 's'}, nothing written`);
      if (opts.emit === 'asm') {
        process.stdout.write(r.asm ?? '');
        return;
      }
      if (!r.object) throw new CompileFailedError(`${file}: the compiler returned no object`);
      fs.writeFileSync(opts.output ?? defaultOutput(file), r.object);
    });
}
