// Spin locks in map values: `v.value.lock.lock()` / `unlock()` compile to
// bpf_spin_lock / bpf_spin_unlock on the value's `spinLock` field. Two threads
// run the same tc program at once (BPF_PROG_TEST_RUN with repeat, one per core);
// it bumps two plain (non-atomic) u64 fields under the lock and counts a torn
// pair, and userspace reads the value with BPF_F_LOCK: both fields are exactly
// the total and no run saw them differ. Then every LK3005 misuse (the
// verifier's rules said at compile time) and the placement rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { BpfObject, UpdateFlags } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { tc, xdp, socketFilter, TcAction, XdpAction, ArrayMap, HashMap, LruHashMap, PerCpuArrayMap, struct, array, spinLock, bpf, type Infer, u32, u64 } from '@lockne/kernel';
export const Pair = struct('pair', { lock: spinLock, a: u64, b: u64, torn: u64 });
export type Pair = Infer<typeof Pair>;
export const pairs = new ArrayMap<Pair>({ maxEntries: 1, value: Pair });
`;

const SRC = HEAD + `
export const bump = tc((ctx) => {
  const v = pairs.lookup(0);
  if (v === null) return TcAction.SHOT;
  v.value.lock.lock();
  if (v.value.a !== v.value.b) v.value.torn += 1n;
  v.value.a += 1n;
  v.value.b += 1n;
  v.value.lock.unlock();
  return TcAction.OK;
});
`;

/**
 * BPF_PROG_TEST_RUN of `fd` with `repeat` in `n` worker threads started together (a
 * barrier: each waits until all are ready), so the runs overlap on different CPUs.
 * The workers call bpf(2) directly with the fd: a thread must not own our FdHandle.
 */
async function runTogether(fd: number, repeat: number, n: number): Promise<number[]> {
  // The package's entry is its bundle (dist/bundle/index.js); its internal modules are in dist/src.
  const bpf = new URL('../src/', import.meta.resolve('@lockne/bpf'));
  const gate = new Int32Array(new SharedArrayBuffer(8)); // [0]: go, [1]: ready count
  const workerData = {
    fd, repeat, gate,
    syscall: new URL('./sys/syscall.js', bpf).href,
    layout: new URL('./sys/layout.js', bpf).href,
    attrs: new URL('./sys/attrs.js', bpf).href,
  };
  const runs = Array.from({ length: n }, () => new Promise<number>((resolve, reject) => {
    const w = new Worker(`
      const { workerData, parentPort } = require('node:worker_threads');
      (async () => {
        const { bpfRaw } = await import(workerData.syscall);
        const { encode } = await import(workerData.layout);
        const { TestRunAttr } = await import(workerData.attrs);
        const data = new Uint8Array(64);
        const attr = encode(TestRunAttr, { prog_fd: workerData.fd, data_in: data, data_size_in: data.length, repeat: workerData.repeat });
        Atomics.add(workerData.gate, 1, 1);
        Atomics.wait(workerData.gate, 0, 0);
        parentPort.postMessage(bpfRaw('PROG_TEST_RUN', attr).ret);
      })();
    `, { eval: true, workerData });
    let ret = Number.NaN;
    w.on('message', (m: number) => { ret = m; });
    w.on('error', reject);
    w.on('exit', () => resolve(ret));
  }));
  for (const t0 = Date.now(); Atomics.load(gate, 1) < n && Date.now() - t0 < 10_000;) await new Promise((r) => setTimeout(r, 1));
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  return Promise.all(runs);
}

type PairValue = { lock: { val: number }; a: bigint; b: bigint; torn: bigint };
const REPEAT = 300_000;

/** Load `src`, run `bump` from two threads at once, and read the pair with BPF_F_LOCK. */
async function bumpTogether(src: string): Promise<PairValue> {
  const r = compile('/virtual/spin-lock.bpf.ts', { source: src });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const obj = BpfObject.load(r.object!, { requireBtf: true });
  try {
    assert.deepEqual(await runTogether(obj.program('bump').fd, REPEAT, 2), [0, 0], 'both test runs succeeded');
    return obj.map<number, PairValue>('pairs').get(0, UpdateFlags.F_LOCK)!;
  } finally {
    obj.close();
  }
}

test('spin lock: two threads bump two fields under the lock; a BPF_F_LOCK read finds both == total, never torn', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const v = await bumpTogether(SRC);
  assert.equal(v.a, BigInt(2 * REPEAT), 'every increment of a counted');
  assert.equal(v.b, BigInt(2 * REPEAT), 'every increment of b counted');
  assert.equal(v.torn, 0n, 'no run saw a != b under the lock');
  assert.equal(v.lock.val, 0, 'the lock is free afterwards (userspace reads it as zero)');
  // The control: the same program without lock()/unlock() loses updates and sees torn pairs,
  // which shows the two runs really overlapped (only meaningful with two CPUs).
  // A busy machine can run the two threads one after the other, so a run that
  // saw no race is tried again (up to 4 times) before the control fails.
  if (availableParallelism() >= 2) {
    const unlocked = SRC.replace('v.value.lock.lock();', '').replace('v.value.lock.unlock();', '');
    const tries: string[] = [];
    let raced = false;
    for (let i = 0; i < 4 && !raced; i++) {
      const c = await bumpTogether(unlocked);
      tries.push(`a=${c.a} b=${c.b} torn=${c.torn}`);
      raced = c.torn > 0n || c.a < BigInt(2 * REPEAT);
    }
    assert.ok(raced, `without the lock the runs race (${tries.join('; ')})`);
  }
});

test('spin lock: the compiled code is bpf_spin_lock(&v->lock) ... bpf_spin_unlock(&v->lock) around the field updates', () => {
  const r = compile('/virtual/spin-lock.bpf.ts', { source: SRC, emit: 'asm' });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const asm = r.asm!;
  const lock = asm.indexOf('call bpf_spin_lock');
  const unlock = asm.indexOf('call bpf_spin_unlock');
  assert.ok(lock > 0 && unlock > lock, asm);
  assert.match(asm.slice(lock, unlock), /\+= 1/, 'the increments sit between lock and unlock');
});

/** `line:col CODE` of each diagnostic of HEAD + body (HEAD is 4 lines: body starts on line 5). */
function diags(body: string): string[] {
  return compileSource(HEAD + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
}
/** `line:col CODE` of the `nth` occurrence of `needle` in `body` (line 5 = the body's first line). */
function at(body: string, needle: string, code = 'LK3005', nth = 0): string {
  const lines = body.split('\n');
  for (let l = 0, seen = 0; l < lines.length; l++) {
    for (let c = lines[l]!.indexOf(needle); c >= 0; c = lines[l]!.indexOf(needle, c + 1)) if (seen++ === nth) return `${l + 5}:${c + 1} ${code}`;
  }
  throw new Error(`'${needle}' not in the body`);
}
const prog = (inner: string): string =>
  `export const p = tc((ctx) => { const v = pairs.lookup(0); if (v === null) return TcAction.OK; ${inner} return TcAction.OK; });`;

test('LK3005: a helper call while the lock is held', () => {
  const body = prog('v.value.lock.lock(); v.value.a = bpf.ktimeGetNs(); v.value.lock.unlock();');
  assert.deepEqual(diags(body), [at(body, 'bpf.ktimeGetNs')]);
  assert.match(compileSource(HEAD + body).diagnostics[0]!.message, /bpf_ktime_get_ns is called while the spin lock taken at line 5:\d+ is held: unlock\(\) first/);
});

test('LK3005: a map lookup while the lock is held (map methods are helper calls)', () => {
  const body = prog('v.value.lock.lock(); const w = pairs.lookup(0); v.value.lock.unlock();');
  assert.deepEqual(diags(body), [at(body, 'pairs.lookup', 'LK3005', 1)]);
});

test('LK3005: a return while the lock is held, and the message says where it was taken', () => {
  const body = prog('v.value.lock.lock(); if (v.value.a > 5n) return TcAction.SHOT; v.value.lock.unlock();');
  assert.deepEqual(diags(body), [at(body, 'return TcAction.SHOT')]);
  assert.match(compileSource(HEAD + body).diagnostics[0]!.message, new RegExp(`taken at line ${at(body, 'v.value.lock.lock').split(' ')[0]} is still held`));
});

test('LK3005: a second lock while one is held; unlocking another lock than the one held', () => {
  const q = `export const q = new HashMap<u32, Pair>({ maxEntries: 4, key: u32, value: Pair });\n`;
  const second = q + prog('const w = q.lookup(1); if (w === null) return TcAction.OK; v.value.lock.lock(); w.value.lock.lock(); w.value.lock.unlock(); v.value.lock.unlock();');
  assert.deepEqual(diags(second), [at(second, 'w.value.lock.lock')]);
  assert.match(compileSource(HEAD + second).diagnostics[0]!.message, /second spin lock is taken while the one locked at line 6:\d+ is held/);
  const other = q + prog('const w = q.lookup(1); if (w === null) return TcAction.OK; v.value.lock.lock(); w.value.lock.unlock();');
  assert.deepEqual(diags(other), [at(other, 'w.value.lock.unlock')]);
  assert.match(compileSource(HEAD + other).diagnostics[0]!.message, /another lock than the one locked at/);
});

test('LK3005: not released on one path (the program ends with the lock held); unlock without a lock', () => {
  const onePath = prog('v.value.lock.lock(); if (v.value.a > 5n) { v.value.lock.unlock(); }');
  assert.deepEqual(diags(onePath), [at(onePath, 'return TcAction.OK', 'LK3005', 1)]);
  const maybe = prog('if (v.value.a > 5n) v.value.lock.lock(); v.value.lock.unlock();');
  assert.deepEqual(diags(maybe), [at(maybe, 'v.value.lock.unlock')]);
  assert.match(compileSource(HEAD + maybe).diagnostics[0]!.message, /not held on every path/);
  const bare = prog('v.value.lock.unlock();');
  assert.deepEqual(diags(bare), [at(bare, 'v.value.lock.unlock')]);
  assert.match(compileSource(HEAD + bare).diagnostics[0]!.message, /without a lock\(\)/);
});

test('LK3005: a lock in a stack struct; lock placement in maps the kernel refuses', () => {
  const stack = `export const p = tc((ctx) => { const s: Pair = { lock: { val: 0 } as never, a: 0n, b: 0n, torn: 0n }; s.lock.lock(); s.lock.unlock(); return TcAction.OK; });`;
  assert.deepEqual(diags(stack), [at(stack, 's.lock.lock')]);
  const lru = `export const lru = new LruHashMap<u32, Pair>({ maxEntries: 4, key: u32, value: Pair });\nexport const p = tc((ctx) => TcAction.OK);`;
  assert.deepEqual(diags(lru), [at(lru, 'lru')]);
  const pc = `export const pc = new PerCpuArrayMap<Pair>({ maxEntries: 1, value: Pair });\nexport const p = tc((ctx) => TcAction.OK);`;
  assert.deepEqual(diags(pc), [at(pc, 'pc =')]);
  const two = `export const Two = struct('two', { l1: spinLock, l2: spinLock });\nexport const two = new ArrayMap<Infer<typeof Two>>({ maxEntries: 1, value: Two });\nexport const p = tc((ctx) => TcAction.OK);`;
  assert.deepEqual(diags(two), [at(two, 'two =')]);
  assert.match(compileSource(HEAD + two).diagnostics[0]!.message, /2 spin locks; the kernel allows one per value/);
  const nested = `export const Outer = struct('outer', { n: u64, p: Pair });\nexport const outer = new ArrayMap<Infer<typeof Outer>>({ maxEntries: 1, value: Outer });\nexport const p = tc((ctx) => TcAction.OK);`;
  assert.deepEqual(diags(nested), [at(nested, 'outer =')]);
  assert.match(compileSource(HEAD + nested).diagnostics[0]!.message, /'p\.lock' must be a top-level field/);
});

test('LK6001: socket filters cannot use spin locks (check_map_prog_compatibility)', () => {
  const body = `export const p = socketFilter((ctx) => { const v = pairs.lookup(0); if (v !== null) { v.value.lock.lock(); v.value.lock.unlock(); } return 0; });`;
  assert.deepEqual(diags(body), [at(body, 'v.value.lock.lock', 'LK6001')]);
});

test('spin lock through an inlined helper taking the value by reference: no false "another lock"', () => {
  const src = HEAD + `function bumpBoth(p: Pair): void { p.lock.lock(); p.a += 1n; p.b += 1n; p.lock.unlock(); }\n` +
    `export const p = xdp((ctx) => { const v = pairs.lookup(0); if (v !== null) bumpBoth(v.value); return XdpAction.PASS; });`;
  assert.deepEqual(compileSource(src).diagnostics.map(formatDiagnostic), []);
});
