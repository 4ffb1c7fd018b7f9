// The lockne-bpf command tree and its error handling; main.ts runs it.
import { createRequire } from 'node:module';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { AsmError } from '@lockne/obj';
import { BpfError } from '../errors.js';
import { registerAsm } from './commands/asm.js';
import { registerDisasm } from './commands/disasm.js';
import { registerLists } from './commands/list.js';
import { registerMapDump } from './commands/map-dump.js';
import { registerProbe } from './commands/probe.js';
import { registerTestRun } from './commands/test-run.js';
import { registerInspect } from './commands/inspect.js';
import { registerBtfDump } from './commands/btf.js';
import { registerLoad } from './commands/load.js';
import { registerCompile } from './commands/compile.js';
import { PACKAGE_ROOT } from '../sys/package-root.js';

const pkg = createRequire(import.meta.url)(path.join(PACKAGE_ROOT, 'package.json')) as { version: string };

/** The command tree (exported for tests and embedding). */
export function buildCli(): Command {
  const cli = new Command('lockne-bpf')
    .description('eBPF from the command line: assemble, disassemble, test-run, list, dump, probe')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  registerAsm(cli);
  registerDisasm(cli);
  registerTestRun(cli);
  const map = registerLists(cli);
  registerMapDump(map);
  registerProbe(cli);
  registerInspect(cli);
  registerLoad(cli);
  registerCompile(cli);
  registerBtfDump(cli.commands.find((c) => c.name() === 'btf')!);
  return cli;
}

/** Run with `argv` (as process.argv); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildCli().parseAsync([...argv]);
    return 0;
  } catch (e) {
    // Commander already printed usage errors, --help and --version.
    if (e instanceof CommanderError) return e.exitCode;
    if (e instanceof BpfError || e instanceof AsmError) process.stderr.write(`lockne-bpf: ${e.message}\n`);
    else process.stderr.write(`lockne-bpf: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    return 1;
  }
}
