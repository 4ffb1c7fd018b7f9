// Builds the C/libbpf counterparts (bench/c/*.c) into bench/build/ with
// `gcc -O2 ... -lbpf`, every run (a few hundred ms), so results always come
// from the sources next to them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BENCH_DIR = path.resolve(here, '..');
export const BUILD_DIR = path.join(BENCH_DIR, 'build');
const SRC_DIR = path.join(BENCH_DIR, 'c');
export const CFLAGS = ['-O2', '-Wall', '-Wextra'];

/** Compile every bench/c/*.c into bench/build/<name>; returns name -> binary path. */
export function buildC() {
  mkdirSync(BUILD_DIR, { recursive: true });
  const out = {};
  for (const file of readdirSync(SRC_DIR).filter((f) => f.endsWith('.c')).sort()) {
    const name = file.slice(0, -2);
    const bin = path.join(BUILD_DIR, name);
    const args = [...CFLAGS, '-o', bin, path.join(SRC_DIR, file), '-lbpf'];
    const r = spawnSync('gcc', args, { encoding: 'utf8' });
    if (r.error) throw new Error(`bench: cannot run gcc (${r.error.message}); run \`bash scripts/setup.sh\` (gcc, libbpf-dev)`);
    if (r.status !== 0) throw new Error(`bench: gcc ${args.join(' ')} failed:\n${r.stderr}`);
    if (r.stderr.trim()) console.warn(`bench: gcc warnings for ${file}:\n${r.stderr.trim()}`);
    out[name] = bin;
  }
  return out;
}
