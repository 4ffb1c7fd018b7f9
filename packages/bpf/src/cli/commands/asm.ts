// `lockne-bpf asm <file|->`: assemble eBPF text to instructions, printed as hex
// (one 8-byte slot a line), raw bytes, or JSON slots.
import type { Command } from 'commander';
import { encodeInstructions } from '@lockne/obj';
import { ArgumentError } from '../../errors.js';
import { assembleSource } from '../args.js';
import { readInput, toHex, toJson } from '../io.js';

const FORMATS = ['hex', 'bytes', 'json'] as const;
type Format = (typeof FORMATS)[number];

export function registerAsm(cli: Command): void {
  cli.command('asm')
    .description('assemble eBPF text (kernel/LLVM syntax) into instructions')
    .argument('<file>', "assembly source file, or '-' for stdin")
    .option('-f, --format <format>', `output: ${FORMATS.join(' | ')}`, 'hex')
    .action((file: string, opts: { format: string }) => {
      if (!(FORMATS as readonly string[]).includes(opts.format)) {
        throw new ArgumentError(`--format '${opts.format}' is unknown; one of: ${FORMATS.join(', ')}`);
      }
      const format = opts.format as Format;
      const insns = assembleSource(readInput(file).toString('utf8'), file === '-' ? '<stdin>' : file);
      const bytes = encodeInstructions(insns);
      if (format === 'bytes') process.stdout.write(bytes);
      else if (format === 'json') process.stdout.write(`${toJson(insns)}\n`);
      else {
        const lines: string[] = [];
        for (let o = 0; o < bytes.byteLength; o += 8) lines.push(toHex(bytes.subarray(o, o + 8)));
        process.stdout.write(lines.length ? `${lines.join('\n')}\n` : '');
      }
    });
}
