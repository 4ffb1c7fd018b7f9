// `lockne-bpf probe`: which program types, map types and (with --helpers)
// helpers this kernel supports, found by probing, not by version.
import type { Command } from 'commander';
import { probeAll, type ProbeTable } from '../../probes/index.js';
import { progTypeArg } from '../args.js';
import { formatProbe } from '../format.js';
import { toJson } from '../io.js';

function formatTable(t: ProbeTable): string {
  const lines = ['program types:'];
  for (const [name, r] of Object.entries(t.programTypes)) lines.push(formatProbe(name, r));
  lines.push('map types:');
  for (const [name, r] of Object.entries(t.mapTypes)) lines.push(formatProbe(name, r));
  for (const [type, row] of Object.entries(t.helpers)) {
    const ok = Object.entries(row).filter(([, r]) => r.status === 'supported').map(([h]) => h);
    lines.push(`helpers in ${type.toLowerCase()} (${ok.length} of ${Object.keys(row).length}):`);
    for (let i = 0; i < ok.length; i += 4) lines.push(`  ${ok.slice(i, i + 4).join(', ')}`);
  }
  return lines.join('\n');
}

export function registerProbe(cli: Command): void {
  cli.command('probe')
    .description('probe the running kernel for program types, map types and helpers')
    .option('--json', 'print the whole table as JSON')
    .option('--helpers [types...]', 'also probe every helper for these program types (default: all supported types)')
    .action((opts: { json?: boolean; helpers?: boolean | string[] }) => {
      const helpers = opts.helpers === true ? true : Array.isArray(opts.helpers) ? opts.helpers.map(progTypeArg) : false;
      const table = probeAll({ helpers });
      process.stdout.write(`${opts.json ? toJson(table) : formatTable(table)}\n`);
    });
}
