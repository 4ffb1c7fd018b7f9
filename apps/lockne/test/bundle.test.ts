// The installed `lockne` command (bin/lockne.js) runs the bundle
// (dist/bundle/cli.js, zod and smol-toml inside it), while the other tests
// import dist/src. Both must be the same program: the same help, and the
// config errors that come from inside the bundled zod/TOML code. And zod
// (most of the bundle's bytes) loads only for commands that read a config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { APP_ROOT, LOCKNE_BIN, appFile } from '../src/paths.js';
import { objectPath } from '../src/kernel/object.js';

const SOURCE_CLI = appFile('dist/src/cli/main.js');

function run(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('paths: the package root holds lockne\'s package.json, the bin runs the bundle, the kernel object is built', () => {
  assert.equal((JSON.parse(fs.readFileSync(path.join(APP_ROOT, 'package.json'), 'utf8')) as { name: string }).name, 'lockne');
  assert.match(fs.readFileSync(LOCKNE_BIN, 'utf8'), /import "\.\.\/dist\/bundle\/cli\.js";/);
  assert.ok(fs.existsSync(appFile('dist/bundle/cli.js')));
  assert.ok(fs.statSync(objectPath()).size > 0, objectPath());
});

test('the bin and dist/src print the same help (program and commands) and version', () => {
  const version = (JSON.parse(fs.readFileSync(appFile('package.json'), 'utf8')) as { version: string }).version;
  for (const args of [['--help'], ['run', '--help'], ['status', '--help'], ['--version']]) {
    const a = run(LOCKNE_BIN, args);
    const b = run(SOURCE_CLI, args);
    assert.equal(a.status, 0, `lockne ${args.join(' ')}: ${a.stderr}`);
    assert.ok(args[0] === '--version' ? a.stdout === `${version}\n` : a.stdout.includes('Usage: lockne'), a.stdout);
    assert.deepEqual(a, b);
  }
});

test('config errors through the bin: bundled TOML and schema checks name file:line:col and the key, as dist/src does', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lk${process.pid}bundle-`));
  try {
    const cases = [
      { toml: '[lockne]\npin-dir = "/x"\n', want: /bad\.toml:2:1: lockne\.pin-dir: unknown key; did you mean "pin_dir"\?/ },
      { toml: '[lockne]\nmark_base = "x"\n', want: /bad\.toml:2:13: lockne\.mark_base: expected an integer, got string "x"/ },
      { toml: '[lockne\n', want: /bad\.toml:1:\d+: / },
    ];
    for (const c of cases) {
      const file = path.join(dir, 'bad.toml');
      fs.writeFileSync(file, c.toml);
      // `up` validates the whole config before it touches the kernel.
      const a = run(LOCKNE_BIN, ['--config', file, 'up']);
      const b = run(SOURCE_CLI, ['--config', file, 'up']);
      assert.equal(a.status, 1, a.stderr);
      assert.match(a.stderr, c.want);
      assert.deepEqual(a, b);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('zod is loaded only by commands that read a config, @lockne/bpf\'s core only by commands that use the kernel: --help and run load neither', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lk${process.pid}bundle-`));
  try {
    // A module hook that prints every file: URL the process loads.
    const hook = path.join(dir, 'hook.mjs');
    fs.writeFileSync(hook, `export async function load(url, ctx, next) { if (url.startsWith('file:')) process.stderr.write('LOADED ' + url + '\\n'); return next(url, ctx); }\n`);
    const register = path.join(dir, 'register.mjs');
    fs.writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hook).href)});\n`);
    const loaded = (args: string[]): string[] => {
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, LOCKNE_BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, args.includes('up') || args.includes('run') ? 1 : 0, r.stderr);
      return [...r.stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => fileURLToPath(m[1]!));
    };
    const withZod = (files: string[]): string[] => files.filter((f) => fs.readFileSync(f, 'utf8').includes('ZodError'));
    // @lockne/bpf's main chunk (program loading, maps, links): `run` needs only its cgroup entry.
    const withBpfCore = (files: string[]): string[] => files.filter((f) => fs.readFileSync(f, 'utf8').includes('PROG_LOAD'));
    const help = loaded(['--help']);
    assert.ok(help.includes(appFile('dist/bundle/cli.js')), help.join('\n'));
    assert.deepEqual(withZod(help), []);
    assert.deepEqual(withZod(loaded(['--pin-dir', path.join(dir, 'no-deployment'), 'status'])), []);
    // `run` with no deployment and no config stops at "not up", having loaded neither zod nor bpf's core.
    const run = loaded(['--pin-dir', path.join(dir, 'no-deployment'), 'run', '--profile', 'p', '--user', 'root', '--', '/bin/true']);
    assert.ok(run.includes(fileURLToPath(import.meta.resolve('@lockne/bpf/cgroup'))), run.join('\n'));
    assert.deepEqual(withZod(run), []);
    assert.deepEqual(withBpfCore(run), []);
    assert.deepEqual(withBpfCore(help), []);
    // The check can see bpf's core: status loads it.
    assert.equal(withBpfCore(loaded(['--pin-dir', path.join(dir, 'no-deployment'), 'status'])).length, 1);
    // The check can see zod: a command that reads a config loads it.
    const bad = path.join(dir, 'bad.toml');
    fs.writeFileSync(bad, '[lockne]\nmark_base = "x"\n');
    assert.equal(withZod(loaded(['--config', bad, 'up'])).length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the bundle is at least as new as dist/src (after tsc alone, run node scripts/bundle.mjs)', () => {
  const newest = (dir: string): number => Math.max(0, ...(fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.js')).map((f) => fs.statSync(path.join(dir, f)).mtimeMs));
  const src = newest(appFile('dist/src'));
  const bundle = fs.statSync(appFile('dist/bundle/cli.js')).mtimeMs;
  assert.ok(bundle >= src, `dist/bundle/cli.js is older than dist/src: bin/lockne.js runs stale code; npm run build, or node scripts/bundle.mjs after tsc`);
});
