// `lockne-bpf test-run`: load a program from assembly and run it once or
// --repeat times with BPF_PROG_TEST_RUN.
//
// Contract relied on by other tools: with --json, stdout is exactly one JSON
// object on one line: {"retval": u32, "durationNs": number, "repeat": number,
// "dataOutHex": string, "ctxOutHex": string}; exit code 0. On failure nothing is
// printed to stdout, the error goes to stderr, and the exit code is 1.
//
// @example
// lockne-bpf test-run --type sched_cls --asm 'r0 = 7; exit' --data-hex "$(printf '00%.0s' {1..64})" --repeat 1000 --json
//
// The object form, `test-run obj.o --prog NAME`, loads the object (its maps
// too) and runs the program NAME, printing the same JSON (test-run-object.ts).
import type { Command } from 'commander';
import { Program, type TestRunOptions } from '../../programs/program.js';
import { ArgumentError } from '../../errors.js';
import { assembleSource, attachTypeArg, progTypeArg } from '../args.js';
import { hexDump, parseCount, parseHex, readInput, toHex, toJson } from '../io.js';
import { runObjectTestRun } from './test-run-object.js';

export interface TestRunCliOptions {
  /** Required for --asm/--asm-file programs; an object's program has its type from its section. */
  type?: string;
  /** The object form: the program (function name) to run. */
  prog?: string;
  asm?: string;
  asmFile?: string;
  dataHex?: string;
  ctxHex?: string;
  repeat: string;
  dataOutSize?: string;
  ctxOutSize?: string;
  attachType?: string;
  name: string;
  json?: boolean;
}

export interface TestRunJson {
  retval: number;
  durationNs: number;
  repeat: number;
  dataOutHex: string;
  ctxOutHex: string;
}

const CTX_OUT_DEFAULT = 4096;

/** Do the work of the command; returns the JSON-shaped result. */
export function runTestRun(opts: TestRunCliOptions): TestRunJson {
  if ((opts.asm === undefined) === (opts.asmFile === undefined)) {
    throw new ArgumentError('give the program as exactly one of --asm <text> or --asm-file <file|->');
  }
  if (opts.type === undefined) throw new ArgumentError("required option '-t, --type <type>' not specified (for --asm/--asm-file programs)");
  if (opts.prog !== undefined) throw new ArgumentError('--prog names a program of an object file: give the object as the argument');
  const source = opts.asm !== undefined ? '--asm' : opts.asmFile === '-' ? '<stdin>' : opts.asmFile!;
  const text = opts.asm ?? readInput(opts.asmFile!).toString('utf8');
  const instructions = assembleSource(text, source);
  const input = testRunInput(opts);
  const prog = Program.load({
    type: progTypeArg(opts.type),
    instructions,
    name: opts.name,
    ...(opts.attachType !== undefined ? { expectedAttachType: attachTypeArg(opts.attachType) } : {}),
  });
  try {
    return testRunLoaded(prog, input);
  } finally {
    prog.close();
  }
}

/** The run's inputs, parsed from the options (before anything is loaded, so bad input fails first). */
export function testRunInput(opts: TestRunCliOptions): TestRunOptions & { repeat: number } {
  const data = opts.dataHex !== undefined ? parseHex(opts.dataHex, '--data-hex') : undefined;
  const ctx = opts.ctxHex !== undefined ? parseHex(opts.ctxHex, '--ctx-hex') : undefined;
  return {
    ...(data ? { data } : {}),
    ...(ctx ? { ctx } : {}),
    ...(opts.dataOutSize !== undefined ? { dataOutSize: parseCount(opts.dataOutSize, '--data-out-size') } : {}),
    // The kernel copies its whole context struct back (192 bytes for __sk_buff)
    // and fails with ENOSPC if it does not fit: leave room by default.
    ...(ctx ? { ctxOutSize: opts.ctxOutSize !== undefined ? parseCount(opts.ctxOutSize, '--ctx-out-size') : Math.max(ctx.byteLength, CTX_OUT_DEFAULT) } : {}),
    repeat: parseCount(opts.repeat, '--repeat'),
  };
}

/** Run a loaded program (shared by the asm and object forms). */
export function testRunLoaded(prog: Program, input: TestRunOptions & { repeat: number }): TestRunJson {
  const r = prog.testRun(input);
  return { retval: r.retval, durationNs: r.durationNs, repeat: input.repeat, dataOutHex: toHex(r.data), ctxOutHex: toHex(r.ctx) };
}

function formatResult(r: TestRunJson): string {
  const lines = [`retval    ${r.retval} (0x${r.retval.toString(16)})`, `duration  ${r.durationNs} ns/run (repeat ${r.repeat})`];
  const data = Buffer.from(r.dataOutHex, 'hex');
  lines.push(`data out  ${data.byteLength} bytes`);
  if (data.byteLength) lines.push(hexDump(data));
  const ctx = Buffer.from(r.ctxOutHex, 'hex');
  if (ctx.byteLength) lines.push(`ctx out   ${ctx.byteLength} bytes`, hexDump(ctx));
  return lines.join('\n');
}

export function registerTestRun(cli: Command): void {
  cli.command('test-run')
    .description('load a program from assembly (or an object file) and run it with BPF_PROG_TEST_RUN')
    .argument('[object]', 'an eBPF ELF object: load it and run its program --prog')
    .option('--prog <name>', 'with an object: the program (function name) to run')
    .option('-t, --type <type>', 'program type, e.g. sched_cls, xdp, socket_filter (required with --asm/--asm-file)')
    .option('--asm <text>', "the program, e.g. 'r0 = 7; exit'")
    .option('--asm-file <file>', "a file holding the program, or '-' for stdin")
    .option('--data-hex <hex>', 'input packet (data_in) in hex')
    .option('--ctx-hex <hex>', 'input context (ctx_in), e.g. a struct __sk_buff, in hex')
    .option('--repeat <n>', 'runs; durationNs is the mean', '1')
    .option('--data-out-size <n>', 'room for data_out (default: input size + 256)')
    .option('--ctx-out-size <n>', `room for ctx_out (default: ${CTX_OUT_DEFAULT} when --ctx-hex is given)`)
    .option('--attach-type <type>', 'expected attach type, for types that need one')
    .option('--name <name>', 'program name', 'lk_test_run')
    .option('--json', 'print one JSON object: {retval, durationNs, repeat, dataOutHex, ctxOutHex}')
    .action((object: string | undefined, opts: TestRunCliOptions) => {
      const r = object !== undefined ? runObjectTestRun(object, opts) : runTestRun(opts);
      process.stdout.write(`${opts.json ? toJson(r) : formatResult(r)}\n`);
    });
}
