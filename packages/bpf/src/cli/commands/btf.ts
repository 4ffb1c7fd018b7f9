// `lockne-bpf btf dump <file>`: the types of a raw BTF blob (/sys/kernel/btf/vmlinux,
// a module's split BTF) or of an ELF object's .BTF section, as TypeScript
// declarations (default), bpftool's raw text, or JSON.
//
// @example
// lockne-bpf btf dump /sys/kernel/btf/vmlinux --types task_struct,xdp_md > kernel.ts
// lockne-bpf btf dump counter.bpf.o --format raw      # same lines as: bpftool btf dump file counter.bpf.o
import type { Command } from 'commander';
import { btfToTypeScript, type BtfToTsOptions } from '@lockne/obj';
import { ArgumentError } from '../../errors.js';
import { toJson } from '../io.js';
import { rawDump } from './btf-raw.js';
import { listArg, readBtf } from './object-file.js';

const FORMATS = ['ts', 'raw', 'json'] as const;
type Format = (typeof FORMATS)[number];

export interface BtfDumpOptions {
  format: string;
  types?: string;
  importFrom?: string;
  pointees?: string;
  anonMembers?: string;
  functions?: boolean;
  base?: string;
}

function choice<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new ArgumentError(`${option} '${value}' is unknown; one of: ${allowed.join(', ')}`);
  return value as T;
}

/** The text `btf dump` prints for `file`. */
export function btfDump(file: string, opts: BtfDumpOptions): string {
  const format: Format = choice(opts.format, FORMATS, '--format');
  if (format !== 'ts') {
    const tsOnly = (['types', 'importFrom', 'pointees', 'anonMembers', 'functions'] as const).find((k) => opts[k] !== undefined);
    if (tsOnly) throw new ArgumentError(`--${tsOnly.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} applies only to --format ts`);
  }
  const btf = readBtf(file, opts.base);
  if (format === 'raw') return rawDump(btf);
  if (format === 'json') return toJson({ firstId: btf.firstId, lastId: btf.lastId, types: [...btf.types()] });
  const ts: BtfToTsOptions = {};
  if (opts.types !== undefined) ts.types = listArg(opts.types);
  if (opts.importFrom !== undefined) ts.prelude = { importFrom: opts.importFrom };
  if (opts.pointees !== undefined) ts.pointees = choice(opts.pointees, ['full', 'opaque'] as const, '--pointees');
  if (opts.anonMembers !== undefined) ts.anonMembers = choice(opts.anonMembers, ['flatten', 'name'] as const, '--anon-members');
  if (opts.functions) ts.functions = true;
  return btfToTypeScript(btf, ts).trimEnd();
}

/** Adds `dump` to the `btf` command group. */
export function registerBtfDump(btf: Command): void {
  btf.command('dump')
    .description('print the types of a BTF blob or of an ELF object\'s .BTF section')
    .argument('<file>', "raw BTF (/sys/kernel/btf/vmlinux) or an eBPF ELF object, or '-' for stdin")
    .option('-f, --format <format>', `output: ${FORMATS.join(' | ')}`, 'ts')
    .option('--types <names>', 'ts: print only these types (comma-separated) and what they use')
    .option('--import-from <module>', "ts: import u8..u64, Ptr, FixedArray from this module (e.g. '@lockne/kernel') instead of printing them")
    .option('--pointees <mode>', 'ts: structs reached only through pointers: full | opaque')
    .option('--anon-members <mode>', 'ts: anonymous struct/union members: flatten | name')
    .option('--functions', 'ts: also declare every function (FUNC)')
    .option('--base <file>', 'base BTF for split BTF (default: vmlinux for /sys/kernel/btf/<module>)')
    .action((file: string, opts: BtfDumpOptions) => {
      process.stdout.write(`${btfDump(file, opts)}\n`);
    });
}
