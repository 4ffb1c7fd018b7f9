// `lockne-bpf prog list`, `map list`, `link list`, `btf list`: what is loaded
// in the kernel, like `bpftool <obj> show`, as text or --json.
import type { Command } from 'commander';
import { listBtf, listLinks, listMaps, listPrograms } from '../../introspect.js';
import { formatBtf, formatLink, formatMap, formatProgram } from '../format.js';
import { toJson } from '../io.js';

/** Print `items` as one JSON array or as formatted text blocks. */
export function printList<T>(items: readonly T[], json: boolean | undefined, format: (item: T) => string): void {
  if (json) process.stdout.write(`${toJson(items)}\n`);
  else if (items.length) process.stdout.write(`${items.map(format).join('\n')}\n`);
}

/** Adds `<group> list [--json]` (alias `show`) and returns the group for more subcommands. */
export function listGroup<T>(cli: Command, group: string, what: string, list: () => T[], format: (item: T) => string): Command {
  const g = cli.command(group).description(`${what} in the kernel`);
  g.command('list')
    .alias('show')
    .description(`list every ${what.replace(/s$/, '')} (like bpftool ${group} show)`)
    .option('--json', 'print a JSON array')
    .action((opts: { json?: boolean }) => printList(list(), opts.json, format));
  return g;
}

export function registerLists(cli: Command): Command {
  listGroup(cli, 'prog', 'programs', listPrograms, formatProgram);
  const map = listGroup(cli, 'map', 'maps', listMaps, formatMap);
  listGroup(cli, 'link', 'links', listLinks, formatLink);
  listGroup(cli, 'btf', 'BTF objects', listBtf, formatBtf);
  return map;
}
