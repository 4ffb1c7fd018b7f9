#!/usr/bin/env node
// Runs every compiled test file with node's test runner. `--pure` runs only the
// packages that need no root (@lockne/obj).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const pure = process.argv.includes('--pure');
const roots = pure ? ['packages/obj', 'packages/kernel'] : ['packages/obj', 'packages/kernel', 'packages/bpf', 'packages/compiler', 'apps/lockne'];
const files = [];
function walk(dir) {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.test.js')) files.push(p);
  }
}
for (const r of roots) walk(join(r, 'dist', 'test'));
files.sort();
if (files.length === 0) {
  console.error('no test files found: did the build run?');
  process.exit(1);
}
const extra = process.argv.slice(2).filter((a) => a !== '--pure');
const res = spawnSync(process.execPath, ['--test', '--test-reporter=spec', ...extra, ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
