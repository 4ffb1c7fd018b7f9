// What users import is the bundle (dist/bundle, made by scripts/bundle.mjs),
// while this package's other tests import dist/src. The bundle must be the
// same library: the same exports under the same names, @lockne/obj's code
// only once in a process (its errors are the classes users catch), and source
// maps that still lead to src/*.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/test
const packagesDir = path.resolve(here, '../../..');

/** The package entries users import, and the tsc module each one bundles. */
const entries = [
  { specifier: '@lockne/bpf', source: 'bpf/dist/src/index.js', bundle: 'bpf/dist/bundle/index.js' },
  { specifier: '@lockne/bpf/testing', source: 'bpf/dist/src/testing.js', bundle: 'bpf/dist/bundle/testing.js' },
  { specifier: '@lockne/bpf/cgroup', source: 'bpf/dist/src/net/cgroup.js', bundle: 'bpf/dist/bundle/cgroup.js' },
  { specifier: '@lockne/obj', source: 'obj/dist/src/index.js', bundle: 'obj/dist/bundle/index.js' },
  { specifier: '@lockne/kernel', source: 'kernel/dist/src/index.js', bundle: 'kernel/dist/bundle/index.js' },
];

/** Export name → typeof, and the `.name` of every function (classes included). */
function shape(mod: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(mod)) out[k] = typeof v === 'function' ? `function ${v.name}` : typeof v;
  return out;
}

for (const e of entries) {
  test(`${e.specifier} resolves to its bundle, with the exports of ${e.source} under the same names`, async () => {
    assert.equal(fileURLToPath(import.meta.resolve(e.specifier)), path.join(packagesDir, e.bundle));
    const bundled = (await import(e.specifier)) as Record<string, unknown>;
    const source = (await import(path.join(packagesDir, e.source))) as Record<string, unknown>;
    assert.ok(Object.keys(source).length > 0);
    // Function names too: the bundler renames colliding top-level names (struct -> struct2) unless told to keep them.
    assert.deepEqual(shape(bundled), shape(source));
  });
}

test("@lockne/bpf's bundle uses @lockne/obj's, not a copy: an object parse error is obj's ObjectParseError", async () => {
  const bpf = await import('@lockne/bpf');
  const obj = await import('@lockne/obj');
  assert.throws(() => bpf.BpfObject.load(new Uint8Array(64)), (err: unknown) => {
    assert.ok(err instanceof obj.ObjectParseError, `got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    return true;
  });
});

test('every bundle file has a source map whose sources are src/*.ts files that exist', () => {
  const bundles = ['bpf', 'obj', 'kernel'].map((p) => path.join(packagesDir, p, 'dist/bundle'));
  let files = 0;
  for (const dir of bundles) {
    for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
      if (!rel.endsWith('.js')) continue;
      const js = path.join(dir, rel);
      assert.match(fs.readFileSync(js, 'utf8'), new RegExp(`//# sourceMappingURL=${path.basename(rel)}\\.map\\n?$`), js);
      const map = JSON.parse(fs.readFileSync(`${js}.map`, 'utf8')) as { sources: string[] };
      for (const s of map.sources) {
        const abs = path.resolve(path.dirname(js), s);
        // esbuild's own helpers (__name) have no source file.
        if (s.includes('<') || s === '') continue;
        assert.match(abs, /\/src\/.+\.ts$/, `${js}.map: ${s}`);
        assert.ok(fs.existsSync(abs), `${js}.map: ${s} does not exist`);
      }
      files++;
    }
  }
  assert.ok(files >= 4, `${files} bundle files`);
});

/** The newest modification time of the .js files under `dir`. */
function newestJs(dir: string): number {
  let newest = 0;
  for (const rel of fs.readdirSync(dir, { recursive: true }) as string[]) {
    if (rel.endsWith('.js')) newest = Math.max(newest, fs.statSync(path.join(dir, rel)).mtimeMs);
  }
  return newest;
}

test('every bundle is at least as new as the dist/src it is made from (after tsc alone, run node scripts/bundle.mjs)', () => {
  for (const p of ['obj', 'kernel', 'bpf']) {
    const src = newestJs(path.join(packagesDir, p, 'dist/src'));
    const bundle = Math.min(...fs.readdirSync(path.join(packagesDir, p, 'dist/bundle')).filter((f) => f.endsWith('.js'))
      .map((f) => fs.statSync(path.join(packagesDir, p, 'dist/bundle', f)).mtimeMs));
    assert.ok(bundle >= src, `@lockne/${p}: dist/bundle is older than dist/src (${new Date(bundle).toISOString()} < ${new Date(src).toISOString()}): the package entry runs stale code; npm run build, or node scripts/bundle.mjs after tsc`);
  }
});

test('@lockne/bpf/cgroup shares its modules with @lockne/bpf: the same functions, the same error classes', async () => {
  const bpf = await import('@lockne/bpf');
  const cgroup = await import('@lockne/bpf/cgroup');
  assert.equal(cgroup.enterCgroup, bpf.enterCgroup);
  assert.equal(cgroup.cgroup2Root, bpf.cgroup2Root);
  // A missing cgroup is the SyscallError users catch from the main entry.
  assert.throws(() => cgroup.cgroupProcs(`/lk${process.pid}-no-such-cgroup`), (e: unknown) => e instanceof bpf.SyscallError);
});
