// The possible-CPU set: per-CPU maps hold one value per possible CPU, in the
// order of /sys/devices/system/cpu/possible (which may have holes).
import fs from 'node:fs';
import { NotSupportedError } from '../errors.js';

let cached: readonly number[] | undefined;

/** Parse a kernel CPU list such as "0-3,8,10-11". */
export function parseCpuList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.trim().split(',')) {
    if (!part) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new NotSupportedError(`cannot parse CPU list '${text.trim()}'`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  return out;
}

/** Ids of the possible CPUs, ascending; a per-CPU value array follows this order. */
export function possibleCpus(): readonly number[] {
  if (!cached) {
    const path = '/sys/devices/system/cpu/possible';
    let text: string;
    try {
      text = fs.readFileSync(path, 'utf8');
    } catch (e) {
      throw new NotSupportedError(`cannot read ${path}: ${(e as Error).message}`);
    }
    cached = Object.freeze(parseCpuList(text));
  }
  return cached;
}

/** How many values a per-CPU map lookup returns. */
export function possibleCpuCount(): number {
  return possibleCpus().length;
}
