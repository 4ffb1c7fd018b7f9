// Per-CPU maps compiled from *.bpf.ts: PerCpuArrayMap and PerCpuHashMap values
// bumped by test runs, read back from userspace as one value per possible CPU
// (their sum is the number of runs; the CPU the program saw holds them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject } from '@lockne/bpf';
import { parseObject } from '@lockne/obj';
import { compile, formatDiagnostic } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const SRC = `import { tc, PerCpuArrayMap, PerCpuHashMap, TcAction, bpf, u32, u64 } from '@lockne/kernel';
export const runs = new PerCpuArrayMap<u64>({ maxEntries: 2 });
export const byLen = new PerCpuHashMap<u32, u32>({ maxEntries: 16 });
export const count = tc((ctx) => {
  const r = runs.lookup(0);
  if (r !== null) r.value += 1n;
  const c = runs.lookup(1);
  if (c !== null) c.value = u64(bpf.getSmpProcessorId()) + 1n;
  const v = byLen.lookup(ctx.len);
  if (v !== null) v.value += 1; else byLen.update(ctx.len, 1);
  return TcAction.OK;
});
`;

function objectBytes(): Uint8Array {
  const r = compile('/virtual/percpu.bpf.ts', { source: SRC });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return r.object!;
}

test('per-CPU map types in the object: PERCPU_ARRAY (6), PERCPU_HASH (5)', () => {
  const types = Object.fromEntries(parseObject(objectBytes()).maps.map((m) => [m.name, m.type]));
  assert.equal(types.runs, 6);
  assert.equal(types.byLen, 5);
});

test('PerCpuArrayMap / PerCpuHashMap: one value per CPU, summing to the runs', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectBytes(), { requireBtf: true });
  try {
    const prog = obj.program('count');
    prog.testRun({ data: new Uint8Array(64), repeat: 5 });
    prog.testRun({ data: new Uint8Array(100), repeat: 2 });
    const runs = obj.map<number, bigint[]>('runs');
    const perCpu = runs.get(0)!;
    assert.ok(Array.isArray(perCpu) && perCpu.length >= 1, `per-CPU values: ${String(perCpu)}`);
    assert.equal(perCpu.reduce((a, b) => a + b, 0n), 7n);
    // Slot 1 holds cpu+1 on every CPU that ran the program: those CPUs are the ones with runs.
    const seen = runs.get(1)!;
    seen.forEach((v, cpu) => { if (v !== 0n) assert.equal(v, BigInt(cpu) + 1n); });
    perCpu.forEach((n, cpu) => { if (n !== 0n) assert.equal(seen[cpu], BigInt(cpu) + 1n, `cpu ${cpu} ran the program`); });
    const byLen = obj.map<number, number[]>('byLen');
    assert.equal(byLen.get(64)!.reduce((a, b) => a + b, 0), 5);
    assert.equal(byLen.get(100)!.reduce((a, b) => a + b, 0), 2);
  } finally {
    obj.close();
  }
});
