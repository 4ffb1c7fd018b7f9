// Files of the installed lockne package. Its code runs from two layouts,
// dist/src/** (tests, `npm run demo`) and dist/bundle/** (bin/lockne.js), so
// paths are taken from the package root, found by walking up to lockne's
// package.json, never relative to the running module.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function isLockneRoot(dir: string): boolean {
  try {
    return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'lockne';
  } catch {
    return false;
  }
}

function findRoot(): string {
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (isLockneRoot(dir)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`lockne: no package.json named "lockne" in ${start} or above it (package installed incompletely?)`);
  }
}

/** The lockne package's directory (package.json, bin/, dist/). */
export const APP_ROOT = findRoot();

/** `rel` (a path inside the package, like 'dist/bpf/lockne.bpf.o') as an absolute path. */
export function appFile(rel: string): string {
  return path.join(APP_ROOT, rel);
}

/** The `lockne` command as installed: runs the bundle (dist/bundle/cli.js). */
export const LOCKNE_BIN = appFile('bin/lockne.js');
