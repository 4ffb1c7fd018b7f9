// Reproducers: a failing case's bytes (and base BTF) plus a JSON description
// with the seed, index, mutations and error, under fuzz/crashes/.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Failure } from './pool.js';
import type { CaseInput, TargetName } from './targets.js';

export interface Reproducer {
  target: TargetName;
  seed: number;
  index: number;
  input: string;
  ops: string[];
  kind: Failure['kind'];
  error: string;
  stack: string;
  ms: number;
  /** File names, relative to the JSON file. */
  bytes: string;
  base?: string;
  /** The window of type ids read (large BTF). */
  window?: readonly [number, number];
}

/** Write `f` under `dir`; returns the JSON file's path. */
export function writeReproducer(dir: string, seed: number, f: Failure): string {
  mkdirSync(dir, { recursive: true });
  const stem = `${f.target}-s${seed}-c${f.index}`;
  writeFileSync(join(dir, `${stem}.bin`), f.bytes);
  if (f.base) writeFileSync(join(dir, `${stem}.base.bin`), f.base);
  const meta: Reproducer = {
    target: f.target, seed, index: f.index, input: f.input, ops: f.ops, kind: f.kind, error: f.error, stack: f.stack,
    ms: Math.round(f.ms), bytes: `${stem}.bin`, ...(f.base ? { base: `${stem}.base.bin` } : {}), ...(f.window ? { window: f.window } : {}),
  };
  const file = join(dir, `${stem}.json`);
  writeFileSync(file, `${JSON.stringify(meta, null, 2)}\n`);
  return file;
}

export function readReproducer(file: string): { meta: Reproducer; input: CaseInput } {
  const meta = JSON.parse(readFileSync(file, 'utf8')) as Reproducer;
  const dir = dirname(file);
  const input: CaseInput = { bytes: new Uint8Array(readFileSync(join(dir, basename(meta.bytes)))) };
  if (meta.base) input.base = new Uint8Array(readFileSync(join(dir, basename(meta.base))));
  if (meta.window) input.window = meta.window;
  input.index = meta.index;
  return { meta, input };
}

/** Failures with the same signature are most likely one bug: kind, error without numbers, first stack frame. */
export function failureSignature(f: Failure): string {
  const frame = /\n\s+at (.*)/.exec(f.stack)?.[1]?.replace(/:\d+:\d+\)?$/, '') ?? '';
  return `${f.target} ${f.kind}: ${f.error.replace(/\d+/g, 'N').replace(/'[^']*'/g, "'…'").slice(0, 160)}${frame ? ` @ ${frame}` : ''}`;
}
