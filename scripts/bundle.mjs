// Bundles each runtime package's compiled modules (tsc's dist/src) into a few
// ES modules in dist/bundle, which the package's exports and bins point at.
// Why: Node 20 spends ~0.5 ms resolving, reading and linking each ES module,
// and @lockne/bpf with @lockne/obj is 174 of them: `import('@lockne/bpf')` took
// 100-190 ms unbundled against ~20 ms bundled. Types, tests and source maps
// still come from dist/src (the bundle's maps chain through tsc's to src/*.ts).
//
// Every bare import stays external (other @lockne packages, commander, node:*),
// so each package's code exists once in a process: @lockne/bpf's bundle
// imports @lockne/obj's bundle, not a copy of it. Entries of one package share
// chunks for the same reason (index and testing see the same module state).
//
//   node scripts/bundle.mjs            # after tsc -b; part of npm run build
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Package directory → entry name → module under dist/src. */
const packages = {
  'packages/obj': { index: 'index.js' },
  'packages/kernel': { index: 'index.js' },
  'packages/bpf': { index: 'index.js', testing: 'testing.js', cli: 'cli/main.js' },
};

async function bundle(dir, entries) {
  const dist = path.join(root, dir, 'dist');
  const outdir = path.join(dist, 'bundle');
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, path.join(dist, 'src', file)])),
    outdir,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    // Error classes and codecs print their own names; renaming on collision must not change them.
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
}

for (const [dir, entries] of Object.entries(packages)) await bundle(dir, entries);
