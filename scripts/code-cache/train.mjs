// Trains the V8 code caches of the bundles (see runtime.js): a fresh Node
// process imports @lockne/bpf, loads train.bpf.c's object, uses its maps,
// globals and programs the way a program would, then writes each script's
// cache (which now holds the bytecode of every function that ran) next to it.
// Part of `npm run build`, after scripts/bundle.mjs.
//
// Needs root (loading programs), a kernel that lets it load them, and clang
// (to build the object). Without them it says so and writes nothing: the
// packages work the same, their first object load is ~10 ms slower. Under
// LOCKNE_REQUIRE_KERNEL=1 (CI) that is an error instead. The child runs with
// no extra Node or V8 flags (nor NODE_OPTIONS): V8 rejects a cache made under
// other flags.
//
//   node scripts/code-cache/train.mjs
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Trains the caches; returns why it could not, or null. */
function train() {
  if (process.getuid?.() !== 0) return 'not root (loading programs needs it)';
  if (spawnSync('clang', ['--version']).error) return 'clang not found';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockne-train-'));
  try {
    const object = path.join(dir, 'train.bpf.o');
    const multiarch = `/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
    const cc = spawnSync('clang', ['-O2', '-g', '-target', 'bpf', `-I${multiarch}`, '-c', path.join(here, 'train.bpf.c'), '-o', object], { encoding: 'utf8' });
    if (cc.status !== 0) return `clang failed: ${(cc.stderr || cc.error?.message || '').trim()}`;
    // A plain `node`: V8 rejects a cache made under other V8 flags, and NODE_OPTIONS may carry some.
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', object], { encoding: 'utf8', env });
    if (run.status !== 0) return `the training process exited ${run.status ?? run.signal}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`;
    process.stdout.write(run.stdout);
    return null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function parent() {
  const failed = train();
  if (!failed) return;
  const message = `code cache: not trained: ${failed}; the packages work without it (first object load ~10 ms slower)`;
  // CI must ship what it tests.
  if (process.env.LOCKNE_REQUIRE_KERNEL === '1') throw new Error(message);
  console.log(message);
}

/** What a typical program does with an object, once. */
async function child(object) {
  const { BpfObject, RingBufferReader } = await import('@lockne/bpf');
  const obj = BpfObject.load(object);
  const reader = new RingBufferReader(obj.map('ring'), { watch: false, onRecord: () => {} });
  try {
    const stats = obj.map('stats');
    const packet = new Uint8Array(64);
    packet.set([0x08, 0x00], 12); // IPv4 ethertype
    const tc = obj.program('tc_account').testRun({ data: packet, repeat: 2 });
    if (tc.retval !== 2) throw new Error(`code cache: tc_account returned ${tc.retval}, expected 2`);
    obj.program('xdp_account').testRun({ data: packet });
    obj.program('sock_keep').testRun({ data: packet });
    const records = reader.consume();
    if (records !== 1) throw new Error(`code cache: the ring buffer gave ${records} records, expected 1`);
    const entries = [...stats.entries()];
    if (entries.length !== 2) throw new Error(`code cache: stats has ${entries.length} entries, expected 2`);
    if (stats.lookupBatch().length !== 2) throw new Error('code cache: a batch lookup of stats did not give its 2 entries');
    stats.set(7, { packets: 1n, bytes: 2n });
    stats.get(7);
    stats.delete(7);
    obj.globals.get('seen');
    obj.globals.set('total', 0n);
  } finally {
    reader.close();
    obj.close();
  }
  const status = globalThis[Symbol.for('lockne.codeCache.scripts')] ?? [];
  if (status.length === 0) throw new Error('code cache: no cached script ran (is the build bundled?)');
  for (const { cacheFile, script } of status) {
    const data = script.createCachedData();
    fs.writeFileSync(cacheFile, data);
    console.log(`code cache: ${path.relative(process.cwd(), cacheFile)} (${Math.round(data.length / 1024)} KiB)`);
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else parent();
