// `lockne-bpf compile <x.bpf.ts> [-o x.bpf.o] [--emit object|asm]`: compile a
// TypeScript eBPF source with @lockne/compiler into a libbpf-compatible ELF
// object (or print its disassembly with `; file:line source` comments).
// Diagnostics go to stderr as `file:line:col: LKxxxx message`; any error exits 1.
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
  compile(file: string, opts: { emit?: 'object' | 'asm'; license?: string }): {
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
    .action(async (file: string, opts: { output?: string; emit: string; license?: string }) => {
      if (!(EMITS as readonly string[]).includes(opts.emit)) throw new ArgumentError(`--emit '${opts.emit}' is unknown; one of: ${EMITS.join(', ')}`);
      if (!fs.existsSync(file)) throw new ArgumentError(`'${file}': no such file`);
      const compiler = await loadCompiler();
      const r = compiler.compile(file, { emit: opts.emit as 'object' | 'asm', ...(opts.license ? { license: opts.license } : {}) });
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
