// Bundles each runtime package's compiled modules (tsc's dist/src) into a few
// ES modules in dist/bundle, which the package's exports and bins point at.
// Why: Node 20 spends ~0.5 ms resolving, reading and linking each ES module,
// and @lockne/bpf with @lockne/obj is 174 of them: `import('@lockne/bpf')` took
// 100-190 ms unbundled against ~35-45 ms as four bundled modules. Types, tests and source maps
// still come from dist/src (the bundle's maps chain through tsc's to src/*.ts).
//
// The libraries keep every bare import external (other @lockne packages,
// commander, node:*), so each package's code exists once in a process:
// @lockne/bpf's bundle imports @lockne/obj's bundle, not a copy of it. Entries
// of one package share chunks for the same reason (index and testing see the
// same module state). The lockne app (bin/lockne.js) also takes in its ESM
// dependencies: zod alone is ~95 modules (80-90 ms to import unbundled); it
// lands in the chunk of the config parser, which only config commands import.
//
// Then the largest files of @lockne/obj and @lockne/bpf become classic scripts
// behind ES module shims, so V8 can use a code cache for them (first object
// load ~25 -> ~15 ms); scripts/code-cache/train.mjs, the next build step,
// writes the cache. See scripts/code-cache/runtime.js.
//
//   node scripts/bundle.mjs            # after tsc -b; part of npm run build
import { build } from 'esbuild';
import { copyFileSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { toCachedScript } from './code-cache/convert.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Bundle files at least this large become cached scripts (code-cache/runtime.js).
const CODE_CACHE_MIN_BYTES = 32 * 1024;

/** Package directory → entries (name → module under dist/src) and what stays an import. */
const packages = {
  // codeCache: these entries and the shared chunks, when large, run as classic scripts with a V8
  // code cache (code-cache/runtime.js). Not the CLI: it awaits at top level, which a script cannot.
  'packages/obj': { entries: { index: 'index.js' }, codeCache: ['index'] },
  'packages/kernel': { entries: { index: 'index.js' } },
  // cgroup: the cgroup helpers alone, for callers that need nothing else (`lockne run`).
  'packages/bpf': { entries: { index: 'index.js', testing: 'testing.js', cli: 'cli/main.js', cgroup: 'net/cgroup.js' }, codeCache: ['index'] },
  // commander is CommonJS (it would need a require shim inside ESM); ink and
  // react are only imported by `monitor`/`top`, lazily, and stay out.
  'apps/lockne': { entries: { cli: 'cli/main.js' }, external: ['@lockne/*', 'commander', 'ink', 'react', 'react/*'] },
};

async function bundle(dir, { entries, external, codeCache }) {
  const dist = path.join(root, dir, 'dist');
  const outdir = path.join(dist, 'bundle');
  rmSync(outdir, { recursive: true, force: true });
  const { metafile } = await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, path.join(dist, 'src', file)])),
    outdir,
    bundle: true,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    ...(external ? { external } : { packages: 'external' }),
    // Functions and classes keep their names: esbuild renames top-level names that collide across
    // modules (struct -> struct2), and names show in errors (@lockne/kernel's map classes print
    // new.target.name) and to users (bundle.test compares every export's name).
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
    metafile: true,
  });
  if (codeCache) await cacheLargeFiles(outdir, metafile, codeCache);
}

/** Converts the large chunks and the large `entries` of a bundle to cached scripts. */
async function cacheLargeFiles(outdir, metafile, entries) {
  // A cached script's exports are read once, after its body ran (code-cache/convert.mjs,
  // plainExports): an exported binding reassigned later would go stale.
  const srcDir = path.join(path.dirname(outdir), 'src');
  for (const rel of readdirSync(srcDir, { recursive: true })) {
    if (!rel.endsWith('.js')) continue;
    const m = /^export (let|var) (\w+)/m.exec(readFileSync(path.join(srcDir, rel), 'utf8'));
    if (m) throw new Error(`bundle: ${path.join(srcDir, rel)} exports a mutable binding (${m[1]} ${m[2]}), which a cached script would not keep live; export a function or an object instead`);
  }
  const runtime = path.join(outdir, 'code-cache.js');
  copyFileSync(path.join(root, 'scripts', 'code-cache', 'runtime.js'), runtime);
  for (const [rel, meta] of Object.entries(metafile.outputs)) {
    if (!rel.endsWith('.js') || meta.bytes < CODE_CACHE_MIN_BYTES) continue;
    if (meta.entryPoint && !entries.includes(path.basename(rel, '.js'))) continue;
    await toCachedScript(path.resolve(rel), meta, runtime);
  }
}

for (const [dir, target] of Object.entries(packages)) await bundle(dir, target);
