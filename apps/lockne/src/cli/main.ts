#!/usr/bin/env node
// The `lockne` command. Each subcommand is a thin layer over deploy/, apps/
// and observe/; errors print as one line "lockne: …" with exit code 1 (2 for
// usage errors, from commander).
import { Command, Option } from 'commander';
import { addCommands } from './commands.js';
import { APP_VERSION } from '../paths.js';

const program = new Command('lockne')
  .description('Per-application VPN routing with eBPF: pick which apps use which tunnel.')
  .version(APP_VERSION)
  .addOption(new Option('-c, --config <file>', 'config file (default /etc/lockne/config.toml)'))
  .addOption(new Option('--pin-dir <dir>', 'bpffs directory of the deployment (default from the config, else /sys/fs/bpf/lockne)'))
  .showHelpAfterError()
  .enablePositionalOptions();

addCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`lockne: ${msg}\n`);
  if (process.env.LOCKNE_DEBUG && e instanceof Error) process.stderr.write(`${e.stack ?? ''}\n`);
  process.exitCode = 1;
});
