// Where @lockne/bpf is installed. Its modules run from two depths, dist/src/**
// (the package's own tests) and dist/bundle/** (its entry points and bin), so
// paths relative to the package (the native addon, package.json) are found by
// walking up to the directory that holds binding.gyp, not by a fixed '../..'.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function find(): string {
  const start = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`@lockne/bpf: no binding.gyp in ${start} or any directory above it (package installed incompletely?)`);
  }
}

/** The package's root directory (holds package.json, binding.gyp and build/). */
export const PACKAGE_ROOT = find();
