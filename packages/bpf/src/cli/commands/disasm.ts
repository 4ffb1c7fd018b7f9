// `lockne-bpf disasm <file|->`: instruction bytes (raw, or hex text as `asm`
// prints it) back to assembly text that `asm` accepts.
import type { Command } from 'commander';
import { decodeInstructions, disassemble } from '@lockne/obj';
import { ArgumentError } from '../../errors.js';
import { parseHex, readInput, toJson } from '../io.js';

const INPUTS = ['auto', 'bytes', 'hex'] as const;

/** Hex text: only hex digits, separators and 0x prefixes. */
const looksLikeHex = (b: Buffer): boolean => /^(?:\s|0x|[0-9a-fA-F,:])*$/.test(b.toString('latin1')) && /[0-9a-fA-F]/.test(b.toString('latin1'));

export function registerDisasm(cli: Command): void {
  cli.command('disasm')
    .description('disassemble eBPF instruction bytes into text')
    .argument('<file>', "instruction bytes (raw or hex text), or '-' for stdin")
    .option('-i, --input <kind>', `input encoding: ${INPUTS.join(' | ')}`, 'auto')
    .option('--offsets', 'prefix each line with its slot number')
    .option('--json', 'print [{slot, text}]')
    .action((file: string, opts: { input: string; offsets?: boolean; json?: boolean }) => {
      if (!(INPUTS as readonly string[]).includes(opts.input)) {
        throw new ArgumentError(`--input '${opts.input}' is unknown; one of: ${INPUTS.join(', ')}`);
      }
      const raw = readInput(file);
      const name = file === '-' ? 'stdin' : `'${file}'`;
      const hex = opts.input === 'hex' || (opts.input === 'auto' && looksLikeHex(raw));
      const bytes = hex ? parseHex(raw.toString('latin1'), name) : new Uint8Array(raw);
      if (bytes.byteLength === 0 || bytes.byteLength % 8 !== 0) {
        throw new ArgumentError(`${name}: ${bytes.byteLength} bytes is not a non-zero multiple of 8 (one instruction is 8 bytes)`);
      }
      const insns = decodeInstructions(bytes);
      const text = disassemble(insns);
      // Slot number of each line: a 64-bit immediate load spans two slots.
      const slots: number[] = [];
      for (let slot = 0, line = 0; line < text.length; line++) {
        slots.push(slot);
        slot += text[line]!.endsWith(' ll') ? 2 : 1;
      }
      if (opts.json) {
        process.stdout.write(`${toJson(text.map((t, i) => ({ slot: slots[i], text: t })))}\n`);
        return;
      }
      const width = String(insns.length).length;
      const out = text.map((t, i) => (opts.offsets ? `${String(slots[i]).padStart(width)}: ${t}` : t));
      process.stdout.write(`${out.join('\n')}\n`);
    });
}
