// Files of the installed lockne package. Its code runs from two layouts,
// dist/src/** (tests, `npm run demo`) and dist/bundle/** (bin/lockne.js), so
// paths are taken from the package root, found by walking up to lockne's
// package.json, never relative to the running module.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface PackageJson { name?: unknown; version?: unknown }

/** `dir`'s package.json when it is lockne's, else undefined. */
function lockneManifest(dir: string): PackageJson | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
    return pkg.name === 'lockne' ? pkg : undefined;
  } catch {
    return undefined;
  }
}

function findRoot(): { dir: string; version: string } {
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = lockneManifest(dir);
    if (pkg) return { dir, version: String(pkg.version) };
    if (path.dirname(dir) === dir) throw new Error(`lockne: no package.json named "lockne" in ${start} or above it (package installed incompletely?)`);
  }
}

const root = findRoot();

/** The lockne package's directory (package.json, bin/, dist/). */
export const APP_ROOT = root.dir;

/** The package's version, from the package.json read to find APP_ROOT. */
export const APP_VERSION = root.version;

/** `rel` (a path inside the package, like 'dist/bpf/lockne.bpf.o') as an absolute path. */
export function appFile(rel: string): string {
  return path.join(APP_ROOT, rel);
}

/** The `lockne` command as installed: runs the bundle (dist/bundle/cli.js). */
export const LOCKNE_BIN = appFile('bin/lockne.js');
