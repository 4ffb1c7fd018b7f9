// The installed `lockne` command (bin/lockne.js) runs the bundle
// (dist/bundle/cli.js, zod and smol-toml inside it), while the other tests
// import dist/src. Both must be the same program: the same help, and the
// config errors that come from inside the bundled zod/TOML code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
  for (const args of [['--help'], ['run', '--help'], ['status', '--help'], ['--version']]) {
    const a = run(LOCKNE_BIN, args);
    const b = run(SOURCE_CLI, args);
    assert.equal(a.status, 0, `lockne ${args.join(' ')}: ${a.stderr}`);
    const version = (JSON.parse(fs.readFileSync(appFile('package.json'), 'utf8')) as { version: string }).version;
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
