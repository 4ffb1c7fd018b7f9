// Command-line flags of the fuzz scripts (node:util parseArgs): `--flag N` or
// `--flag=N`; integer flags must be non-negative; an unknown flag names the
// script whose header documents the flags.
import { parseArgs } from 'node:util';

const camel = (flag) => flag.replace(/-([a-z])/g, (_, c) => c.toUpperCase());

/**
 * Parse `argv` into `defaults` overridden by the flags given.
 * @example fuzzArgs(['--cases', '500'], { script: 'fuzz/run.mjs', ints: ['cases'], defaults: { cases: 60000 } }).cases // 500
 */
export function fuzzArgs(argv, { script, ints = [], strings = [], defaults }) {
  const options = Object.fromEntries([...ints, ...strings].map((k) => [k, { type: 'string' }]));
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new Error(`fuzz: ${e.message} (see the header of ${script})`);
  }
  const o = { ...defaults };
  for (const [flag, v] of Object.entries(values)) {
    if (!ints.includes(flag)) { o[camel(flag)] = v; continue; }
    const n = Number(v);
    if (v === '' || !Number.isInteger(n) || n < 0) throw new Error(`fuzz: --${flag} takes a non-negative integer, got '${v}'`);
    o[camel(flag)] = n;
  }
  if (o.seed !== undefined) o.seed >>>= 0;
  if (o.workers !== undefined) o.workers = Math.max(1, o.workers);
  return o;
}
