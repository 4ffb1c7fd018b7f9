// `lockne-bpf map dump <id|pinned path>`: every key and value in hex; per-CPU
// maps show one value per possible CPU.
import type { Command } from 'commander';
import { BpfMap } from '../../maps/map.js';
import { perCpuStride } from '../../maps/codec.js';
import { possibleCpus } from '../../maps/cpus.js';
import { MapType, enumName } from '../../sys/consts.js';
import { ArgumentError } from '../../errors.js';
import { mapById } from '../../introspect.js';
import { openPinnedMap } from '../../pin.js';
import { spacedHex, toHex, toJson } from '../io.js';

export interface DumpEntry {
  key: string;
  /** Set for ordinary maps. */
  value?: string;
  /** Set for per-CPU maps: one value per possible CPU. */
  values?: { cpu: number; value: string }[];
}

/** A map by id (all digits) or by bpffs path. */
export function openMapArg(ref: string): BpfMap {
  return /^\d+$/.test(ref) ? mapById(Number(ref)) : openPinnedMap(ref);
}

/** Every element of `map` as hex. Elements deleted while we walk are skipped. */
export function dumpMap(map: BpfMap): DumpEntry[] {
  if (map.keySize === 0) {
    throw new ArgumentError(`${map.handle.description} (${enumName(MapType, map.type).toLowerCase()}) has no keys to dump`);
  }
  const perCpu = map.perCpu;
  const cpus = perCpu ? possibleCpus() : [];
  const stride = perCpuStride(map.valueSize);
  const out: DumpEntry[] = [];
  for (let k = map.nextKeyBytes(null); k; k = map.nextKeyBytes(k)) {
    const v = map.getBytes(k);
    if (!v) continue;
    if (perCpu) {
      out.push({ key: toHex(k), values: cpus.map((cpu, i) => ({ cpu, value: toHex(v.subarray(i * stride, i * stride + map.valueSize)) })) });
    } else {
      out.push({ key: toHex(k), value: toHex(v) });
    }
  }
  return out;
}

const spaced = (hex: string) => spacedHex(Buffer.from(hex, 'hex'));

export function formatDump(entries: readonly DumpEntry[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(`key: ${spaced(e.key)}`);
    if (e.values) for (const c of e.values) lines.push(`  value (CPU ${String(c.cpu).padStart(2, '0')}): ${spaced(c.value)}`);
    else lines.push(`  value: ${spaced(e.value ?? '')}`);
  }
  lines.push(`Found ${entries.length} element${entries.length === 1 ? '' : 's'}`);
  return lines.join('\n');
}

export function registerMapDump(mapGroup: Command): void {
  mapGroup.command('dump')
    .description('print every key and value of a map, in hex')
    .argument('<map>', 'map id, or the path where it is pinned')
    .option('--json', 'print a JSON array of {key, value} (per-CPU: {key, values: [{cpu, value}]})')
    .action((ref: string, opts: { json?: boolean }) => {
      const map = openMapArg(ref);
      try {
        const entries = dumpMap(map);
        process.stdout.write(`${opts.json ? toJson(entries) : formatDump(entries)}\n`);
      } finally {
        map.close();
      }
    });
}
