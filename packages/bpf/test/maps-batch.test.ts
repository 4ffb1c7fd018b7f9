// Batch operations on 10k entries: BPF_MAP_{UPDATE,LOOKUP,LOOKUP_AND_DELETE,
// DELETE}_BATCH, chunked with in/out tokens, ENOENT at the end, ENOSPC when a
// hash bucket outgrows the chunk (the chunk grows), per-CPU values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArgumentError, ArrayMap, BatchError, BpfCmd, Errno, HashMap, PerCpuHashMap, SyscallError, UpdateFlags, native,
  possibleCpuCount, u32, u64,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const N = 10_000;
const entries = (): [number, bigint][] => Array.from({ length: N }, (_, i) => [i * 7 + 1, BigInt(i) * 3n + 2n ** 40n]);

/** Record what the batch commands returned, to prove a code path ran. */
function spyBatch<T>(f: () => T): { result: T; rets: Map<string, number[]> } {
  const real = native.bpf;
  const names = new Map<number, string>(Object.entries(BpfCmd).map(([k, v]) => [v, k]));
  const rets = new Map<string, number[]>();
  native.bpf = (cmd, attr, ptrs, nested) => {
    const r = real(cmd, attr, ptrs, nested);
    const name = names.get(cmd) ?? String(cmd);
    if (name.endsWith('_BATCH')) rets.set(name, [...(rets.get(name) ?? []), r]);
    return r;
  };
  try {
    return { result: f(), rets };
  } finally {
    native.bpf = real;
  }
}

test('hash: 10k entries written and read back in batches', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = HashMap.create({ key: u32, value: u64, maxEntries: N, name: 'lk_batch' });
  try {
    const want = new Map(entries());
    assert.equal(m.updateBatch(entries()), N);
    assert.equal(m.get(1), 2n ** 40n);
    const { result: all, rets } = spyBatch(() => m.lookupBatch({ chunkSize: 1000 }));
    assert.equal(all.length, N);
    assert.deepEqual(new Map(all), want);
    const lookups = rets.get('MAP_LOOKUP_BATCH')!;
    assert.ok(lookups.length >= 10, `${lookups.length} chunks`);
    assert.equal(lookups.at(-1), -Errno.ENOENT, 'the last chunk ends with ENOENT');
    // A chunk of one entry is smaller than many buckets: ENOSPC, then a bigger chunk.
    const { result: small, rets: smallRets } = spyBatch(() => m.lookupBatch({ chunkSize: 1 }));
    assert.ok(smallRets.get('MAP_LOOKUP_BATCH')!.includes(-Errno.ENOSPC), 'some bucket held more than one entry');
    assert.deepEqual(new Map(small), want);
    // Chunks can be consumed lazily and abandoned.
    let seen = 0;
    for (const chunk of m.batchChunks('MAP_LOOKUP_BATCH', { chunkSize: 128 })) {
      seen += chunk.length;
      if (seen >= 256) break;
    }
    assert.ok(seen >= 256 && seen < N);
    // Delete a third of the keys in one call.
    const doomed = entries().filter((_, i) => i % 3 === 0).map(([k]) => k);
    assert.equal(m.deleteBatch(doomed), doomed.length);
    assert.equal(m.get(1), undefined);
    assert.equal(m.lookupBatch().length, N - doomed.length);
    // A missing key stops the delete with ENOENT, saying how far it got.
    assert.throws(() => m.deleteBatch([8, 1, 15]), (e: unknown) => {
      assert.ok(e instanceof BatchError && e instanceof SyscallError);
      assert.equal(e.code, 'ENOENT');
      assert.equal(e.syscall, 'BPF_MAP_DELETE_BATCH');
      assert.equal(e.done, 1);
      assert.equal(e.total, 3);
      assert.match(e.message, /map 'lk_batch': 1 of 3 entries done/);
      return true;
    });
    assert.equal(m.get(8), undefined, 'entries before the missing key were deleted');
    assert.notEqual(m.get(15), undefined, 'entries after it were not');
    // Lookup-and-delete drains the map.
    const drained = m.lookupAndDeleteBatch({ chunkSize: 500 });
    assert.equal(drained.length, N - doomed.length - 1);
    assert.deepEqual(drained.map(([k, v]) => want.get(k) === v).filter((ok) => !ok), []);
    assert.deepEqual(m.lookupBatch(), []);
    assert.deepEqual([...m.keys()], []);
  } finally {
    m.close();
  }
});

test('per-CPU hash: 10k entries with a value per CPU', (t) => {
  if (skipUnless(t, needRoot())) return;
  const cpus = possibleCpuCount();
  const m = PerCpuHashMap.create({ key: u32, value: u32, maxEntries: N, name: 'lk_batch_pcpu' });
  try {
    const data = Array.from({ length: N }, (_, i): [number, number[]] => [i, Array.from({ length: cpus }, (_, c) => i * 10 + c)]);
    assert.equal(m.updateBatch(data), N);
    assert.deepEqual(m.get(1234), Array.from({ length: cpus }, (_, c) => 12340 + c));
    const back = new Map(m.lookupBatch({ chunkSize: 333 }));
    assert.equal(back.size, N);
    for (const [k, v] of data) assert.deepEqual(back.get(k), v);
    assert.equal(m.lookupAndDeleteBatch().length, N);
    assert.equal(m.lookupBatch().length, 0);
  } finally {
    m.close();
  }
});

test('array: batch lookup uses keys as tokens; batch delete is refused', (t) => {
  if (skipUnless(t, needRoot())) return;
  const a = ArrayMap.create({ value: u64, maxEntries: 1000, name: 'lk_batch_arr' });
  try {
    assert.equal(a.updateBatch(Array.from({ length: 1000 }, (_, i) => [i, BigInt(i * i)] as [number, bigint])), 1000);
    const all = a.lookupBatch({ chunkSize: 64 });
    assert.equal(all.length, 1000);
    assert.deepEqual(all.slice(0, 3), [[0, 0n], [1, 1n], [2, 4n]]);
    assert.deepEqual(all[999], [999, 998001n]);
    assert.throws(() => a.deleteBatch([1]), (e: unknown) => e instanceof BatchError && e.code === 'ENOTSUPP' && e.done === 0);
    assert.throws(() => a.lookupAndDeleteBatch(), (e: unknown) => e instanceof SyscallError && e.syscall === 'BPF_MAP_LOOKUP_AND_DELETE_BATCH');
    // An update past the end stops the batch after the good ones.
    assert.throws(() => a.updateBatch([[998, 1n], [999, 1n], [1000, 1n]]), (e: unknown) => e instanceof BatchError && e.code === 'E2BIG' && e.done === 2);
    assert.equal(a.get(999), 1n);
  } finally {
    a.close();
  }
});

test('batch arguments are checked before the syscall', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = HashMap.create({ key: u32, value: u32, maxEntries: 4, name: 'lk_batch_args' });
  try {
    assert.throws(() => m.updateBatch([[1, 1]], { elemFlags: UpdateFlags.NOEXIST }), (e: unknown) => e instanceof ArgumentError && /batch elem_flags must be 0 or F_LOCK/.test(e.message));
    assert.throws(() => m.lookupBatch({ chunkSize: 0 }), /chunkSize 0 is not a positive integer/);
    assert.throws(() => m.updateBatch([[1, 1], [2, -1]]), /map 'lk_batch_args' value: u32: -1/);
    assert.equal(m.updateBatch([]), 0);
    assert.equal(m.get(1), undefined, 'nothing was written by the refused batch');
  } finally {
    m.close();
  }
});
