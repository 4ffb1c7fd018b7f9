// BPF iterators against the real kernel: a task iterator that writes binary
// records (bpf_seq_write) and one that prints text (bpf_seq_printf), a map
// element iterator, repeated passes over one link, and a missing target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { assemble } from '@lockne/obj';
import {
  BpfMap, MapFlags, NotSupportedError, attachIter, iterate, kernelBtf, loadIter, u32, u64, type Program,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

/** Byte offset of task_struct.<member> from the kernel's BTF (these move between builds). */
function taskOffset(member: 'pid' | 'tgid'): number {
  const btf = kernelBtf();
  const task = btf.find('task_struct', 'STRUCT');
  const m = task?.members.find((x) => x.name === member);
  assert.ok(m, `task_struct.${member} not in kernel BTF`);
  return m.bitOffset / 8;
}

// ctx of a task iterator: struct bpf_iter__task { meta @0, task @8 }; meta->seq @0.
test('task iterator, bpf_seq_write: one (tgid, pid) record per task, ours among them', (t) => {
  if (skipUnless(t, needRoot())) return;
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  let prog: Program | undefined;
  try {
    prog = loadIter({ target: 'task', name: 'lk_iter_task', instructions: assemble(`
      r7 = *(u64 *)(r1 + 8)
      if r7 == 0 goto out
      r6 = *(u64 *)(r1 + 0)
      r3 = *(u32 *)(r7 + ${taskOffset('tgid')})
      *(u32 *)(r10 - 8) = r3
      r3 = *(u32 *)(r7 + ${taskOffset('pid')})
      *(u32 *)(r10 - 4) = r3
      r1 = *(u64 *)(r6 + 0)
      r2 = r10
      r2 += -8
      r3 = 8
      call bpf_seq_write
    out:
      r0 = 0
      exit`) });
    const out = iterate(prog);
    assert.equal(out.length % 8, 0);
    const records: [number, number][] = [];
    for (let o = 0; o < out.length; o += 8) records.push([out.readUInt32LE(o), out.readUInt32LE(o + 4)]);
    // Every thread of every process: our main thread (pid == tgid), node's other threads, the child.
    assert.ok(records.some(([tgid, pid]) => tgid === process.pid && pid === process.pid), `pid ${process.pid} not in ${records.length} records`);
    assert.ok(records.filter(([tgid]) => tgid === process.pid).length >= 2, 'node\'s threads share its tgid');
    assert.ok(records.some(([tgid, pid]) => tgid === child.pid && pid === child.pid), `child ${child.pid} not seen`);
  } finally {
    prog?.close();
    child.kill('SIGKILL');
  }
});

test('task iterator, bpf_seq_printf: text lines; each read() is a fresh pass', (t) => {
  if (skipUnless(t, needRoot())) return;
  // bpf_seq_printf wants its format in read-only map memory: a frozen ARRAY.
  const fmt = BpfMap.create({ type: 'ARRAY', keySize: 4, valueSize: 16, maxEntries: 1, flags: MapFlags.RDONLY_PROG, name: 'lk_iter_fmt' });
  let prog: Program | undefined;
  try {
    const text = new Uint8Array(16);
    text.set(new TextEncoder().encode('%d %d\n'));
    fmt.setBytes(new Uint8Array(4), text);
    fmt.freeze();
    prog = loadIter({ target: 'task', name: 'lk_iter_text', instructions: assemble(`
      r7 = *(u64 *)(r1 + 8)
      if r7 == 0 goto out
      r6 = *(u64 *)(r1 + 0)
      r3 = *(u32 *)(r7 + ${taskOffset('tgid')})
      *(u64 *)(r10 - 16) = r3
      r3 = *(u32 *)(r7 + ${taskOffset('pid')})
      *(u64 *)(r10 - 8) = r3
      r1 = *(u64 *)(r6 + 0)
      r2 = map_value(${fmt.fd}, 0) ll
      r3 = 7
      r4 = r10
      r4 += -16
      r5 = 16
      call bpf_seq_printf
    out:
      r0 = 0
      exit`) });
    const link = attachIter(prog);
    try {
      assert.equal(link.info().typeName, 'ITER');
      for (let pass = 0; pass < 2; pass++) {
        const lines = link.read().toString('utf8').trim().split('\n');
        assert.ok(lines.includes(`${process.pid} ${process.pid}`), `pass ${pass}: no line for pid ${process.pid}`);
        assert.ok(lines.every((l) => /^\d+ \d+$/.test(l)), `pass ${pass}: malformed line`);
      }
    } finally {
      link.close();
    }
  } finally {
    prog?.close();
    fmt.close();
  }
});

// ctx of a map element iterator: struct bpf_iter__bpf_map_elem { meta @0, map @8, key @16, value @24 }.
test('bpf_map_elem iterator: visits exactly the elements of the map it is given', (t) => {
  if (skipUnless(t, needRoot())) return;
  const map = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: 16, name: 'lk_iter_map' });
  let prog: Program | undefined;
  try {
    const want = new Map<number, bigint>([[1, 10n], [2, 20n], [7, 2n ** 63n + 70n]]);
    for (const [k, v] of want) map.set(k, v);
    prog = loadIter({ target: 'bpf_map_elem', name: 'lk_iter_elem', instructions: assemble(`
      r2 = *(u64 *)(r1 + 16)
      r3 = *(u64 *)(r1 + 24)
      if r2 == 0 goto out
      if r3 == 0 goto out
      r6 = *(u64 *)(r1 + 0)
      r4 = 0
      *(u64 *)(r10 - 16) = r4
      r4 = *(u32 *)(r2 + 0)
      *(u32 *)(r10 - 16) = r4
      r4 = *(u64 *)(r3 + 0)
      *(u64 *)(r10 - 8) = r4
      r1 = *(u64 *)(r6 + 0)
      r2 = r10
      r2 += -16
      r3 = 16
      call bpf_seq_write
    out:
      r0 = 0
      exit`) });
    const out = iterate(prog, { map });
    const got = new Map<number, bigint>();
    for (let o = 0; o < out.length; o += 16) got.set(out.readUInt32LE(o), out.readBigUInt64LE(o + 8));
    assert.deepEqual(got, want);
    // Without a map the kernel refuses the link: the error names the command.
    assert.throws(() => iterate(prog!), /BPF_LINK_CREATE failed: (EBADF|EINVAL)/);
  } finally {
    prog?.close();
    map.close();
  }
});

test('an iterator target the kernel lacks: NotSupportedError naming bpf_iter_<target>', (t) => {
  if (skipUnless(t, needRoot())) return;
  assert.throws(() => loadIter({ target: 'lk_nothing', instructions: assemble('r0 = 0\nexit') }), (e: unknown) =>
    e instanceof NotSupportedError && /iterator 'lk_nothing': no FUNC 'bpf_iter_lk_nothing' in kernel BTF/.test(e.message));
});
