// Builds the traffic helper (net.c) into bench/build/lockne/lkb_net with gcc,
// every run, so the figures always come from the source next to them.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_DIR } from '../lib/build-c.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const NET_CFLAGS = ['-O2', '-Wall', '-Wextra', '-pthread'];

/** Compile net.c; returns the binary's path. @example const bin = buildNet(); // .../bench/build/lockne/lkb_net */
export function buildNet() {
  const dir = path.join(BUILD_DIR, 'lockne');
  mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, 'lkb_net');
  const args = [...NET_CFLAGS, '-o', bin, path.join(here, 'net.c')];
  const r = spawnSync('gcc', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`bench lockne: cannot run gcc (${r.error.message}); run \`bash scripts/setup.sh\``);
  if (r.status !== 0) throw new Error(`bench lockne: gcc ${args.join(' ')} failed:\n${r.stderr}`);
  if (r.stderr.trim()) console.warn(`bench lockne: gcc warnings for net.c:\n${r.stderr.trim()}`);
  chmodSync(bin, 0o755);
  return bin;
}
