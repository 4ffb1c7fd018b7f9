// `@lockne/compiler/userspace` is what applications load at run time (typed
// maps, the log reader): it must not pull in the TypeScript compiler, which
// costs ~0.6 s of startup (every `lockne` command paid it before log-format.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const probe = `
import { createRequire } from 'node:module';
const r = createRequire(import.meta.url);
const ts = () => Object.keys(r.cache).filter((k) => /[\\\\/]typescript[\\\\/]/.test(k));
await import('@lockne/compiler/userspace');
const light = ts();
await import('@lockne/compiler');
console.log(JSON.stringify({ light, full: ts() }));
`;

test('@lockne/compiler/userspace loads without the TypeScript compiler; the full entry loads it', () => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { light, full } = JSON.parse(r.stdout.trim()) as { light: string[]; full: string[] };
  assert.deepEqual(light, [], 'userspace loaded typescript');
  assert.ok(full.length > 0, 'the probe must see typescript once the compiler itself is loaded');
});
