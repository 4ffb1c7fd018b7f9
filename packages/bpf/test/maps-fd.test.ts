// Maps of file descriptors: prog arrays (tail calls), arrays/hashes of maps,
// perf event arrays (bpf_perf_event_output), cgroup arrays
// (bpf_current_task_under_cgroup), and the stack trace map (bpf_get_stackid).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { assemble } from '@lockne/obj';
import {
  ArrayMap, ArrayOfMaps, BpfMap, CgroupArray, Errno, HashMap, HashOfMaps, PerfEventArray, Program, ProgramArray,
  StackTraceMap, SyscallError, native, u32, u64,
} from '../src/index.js';
import { perfEventOpen, PerfSoftware, PerfType } from '../src/sys/perf.js';
import { cgroupOf, createCgroup, openCgroup, removeCgroup } from '../src/net/cgroup.js';
import { checkFdLeaks, needRoot, skipUnless, uniqueName } from './support/kernel.js';

checkFdLeaks();

const PKT = new Uint8Array(64);
const ret = (v: number) => Program.load({ type: 'SCHED_CLS', instructions: assemble(`r0 = ${v}\nexit`) });

test('prog array: a tail call jumps into the program in the slot, and falls through once it is deleted', (t) => {
  if (skipUnless(t, needRoot())) return;
  const jt = ProgramArray.create({ maxEntries: 4, name: 'lk_jt' });
  const target = ret(42);
  const other = ret(7);
  const caller = Program.load({
    type: 'SCHED_CLS',
    instructions: assemble(`
      r2 = map[jt] ll
      r3 = 2
      call bpf_tail_call
      r0 = 1 // reached only when the tail call did not happen
      exit`, { maps: { jt: jt.fd } }),
  });
  try {
    assert.equal(caller.testRun({ data: PKT }).retval, 1, 'empty slot: falls through');
    jt.set(2, target);
    assert.equal(caller.testRun({ data: PKT }).retval, 42);
    assert.equal(jt.get(2), target.info().id, 'lookups return the program id');
    jt.set(2, other.fd);
    assert.equal(caller.testRun({ data: PKT }).retval, 7, 'replacing the slot retargets the jump');
    assert.equal(jt.delete(2), true);
    assert.equal(caller.testRun({ data: PKT }).retval, 1);
    assert.equal(jt.get(2), undefined);
    const xdp = Program.load({ type: 'XDP', instructions: assemble('r0 = 2\nexit') });
    try {
      assert.throws(() => jt.set(0, xdp), (e: unknown) => e instanceof SyscallError && e.code === 'EINVAL', 'program types must match');
    } finally {
      xdp.close();
    }
    assert.throws(() => jt.set(0, -1), /expected a file descriptor/);
  } finally {
    caller.close();
    target.close();
    other.close();
    jt.close();
  }
});

/** Look up key 0 (array) or `key` (hash) in the outer map, then key 0 in the inner map; return its u32. */
function innerReader(outer: BpfMap<unknown, unknown>, key: number): Program {
  return Program.load({
    type: 'SCHED_CLS',
    instructions: assemble(`
      *(u32 *)(r10 - 4) = ${key}
      r1 = map[outer] ll
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      if r0 == 0 goto none
      *(u32 *)(r10 - 4) = 0
      r1 = r0
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      if r0 == 0 goto none
      r0 = *(u32 *)(r0 + 0)
      exit
    none:
      r0 = 0xffff
      exit`, { maps: { outer: outer.fd } }),
  });
}

test('array and hash of maps: a program reads through the outer map what user space put in the inner one', (t) => {
  if (skipUnless(t, needRoot())) return;
  const a = ArrayMap.create({ value: u32, maxEntries: 1, name: 'lk_inner_a' });
  const b = ArrayMap.create({ value: u32, maxEntries: 1, name: 'lk_inner_b' });
  const aom = ArrayOfMaps.create({ inner: a, maxEntries: 2, name: 'lk_aom' });
  const hom = HashOfMaps.create({ key: u32, inner: a, maxEntries: 4, name: 'lk_hom' });
  const viaArray = innerReader(aom, 0);
  const viaHash = innerReader(hom, 77);
  try {
    a.set(0, 1234);
    b.set(0, 5678);
    assert.equal(viaArray.testRun({ data: PKT }).retval, 0xffff, 'no inner map yet');
    aom.set(0, a);
    hom.set(77, a.fd);
    assert.equal(viaArray.testRun({ data: PKT }).retval, 1234);
    assert.equal(viaHash.testRun({ data: PKT }).retval, 1234);
    aom.set(0, b);
    assert.equal(viaArray.testRun({ data: PKT }).retval, 5678, 'swapping the inner map is atomic for readers');
    assert.equal(aom.get(0), b.id, 'lookups return the inner map id');
    assert.equal(hom.get(77), a.id);
    const opened = hom.open(77, { key: u32, value: u32 });
    try {
      assert.equal(opened?.get(0), 1234);
      assert.equal(opened?.name, 'lk_inner_a');
    } finally {
      opened?.close();
    }
    assert.equal(hom.open(78), undefined);
    const wrong = HashMap.create({ key: u32, value: u32, maxEntries: 1 });
    try {
      assert.throws(() => aom.set(1, wrong), (e: unknown) => e instanceof SyscallError && e.code === 'EINVAL', 'inner maps must match the template');
    } finally {
      wrong.close();
    }
  } finally {
    viaArray.close();
    viaHash.close();
    aom.close();
    hom.close();
    a.close();
    b.close();
  }
});

test('perf event array: bpf_perf_event_output writes a sample into the perf event in the slot', (t) => {
  if (skipUnless(t, needRoot())) return;
  const events = PerfEventArray.create({ name: 'lk_perf' });
  // A BPF_OUTPUT event of this thread (any CPU): it is on the CPU the test-run runs on.
  const perfFd = perfEventOpen({ type: PerfType.SOFTWARE, config: PerfSoftware.BPF_OUTPUT, sample_type: 1n << 10n, wakeup_events: 1 },
    { pid: 0, cpu: -1, what: 'BPF_OUTPUT event' });
  const page = native.pageSize();
  const ring = native.mmap(perfFd, 2 * page, 3, 1, 0);
  const prog = Program.load({
    type: 'SCHED_CLS',
    instructions: assemble(`
      r6 = r1
      r1 = 0x1122334455667788 ll
      *(u64 *)(r10 - 8) = r1
      r1 = r6
      r2 = map[events] ll
      r3 = 0 // index 0, not BPF_F_CURRENT_CPU
      r4 = r10
      r4 += -8
      r5 = 8
      call bpf_perf_event_output
      exit`, { maps: { events: events.fd } }),
  });
  try {
    assert.ok(ring instanceof ArrayBuffer, `mmap: ${String(ring)}`);
    const meta = new DataView(ring, 0, page);
    assert.equal(prog.testRun({ data: PKT }).retval | 0, -Errno.ENOENT, 'empty slot');
    events.set(0, perfFd);
    assert.equal(prog.testRun({ data: PKT }).retval, 0);
    const head = meta.getBigUint64(1024, true); // perf_event_mmap_page.data_head
    assert.ok(head > 0n, 'the ring advanced');
    const data = new DataView(ring, page, page);
    assert.equal(data.getUint32(0, true), 9, 'PERF_RECORD_SAMPLE');
    const rawSize = data.getUint32(8, true);
    assert.ok(rawSize >= 8);
    assert.equal(data.getBigUint64(12, true), 0x1122334455667788n, 'the sample carries the program\'s bytes');
    assert.equal(events.delete(0), true);
    assert.equal(prog.testRun({ data: PKT }).retval | 0, -Errno.ENOENT);
  } finally {
    prog.close();
    if (ring instanceof ArrayBuffer) native.munmap(ring);
    native.close(perfFd);
    events.close();
  }
});

test('cgroup array: bpf_current_task_under_cgroup tells our cgroup from a fresh one', (t) => {
  if (skipUnless(t, needRoot())) return;
  let mine: string;
  try {
    mine = cgroupOf('self');
  } catch (e) {
    if (skipUnless(t, `no cgroup v2: ${(e as Error).message}`)) return;
    throw e;
  }
  const fresh = createCgroup(uniqueName('cga'));
  const cg = CgroupArray.create({ maxEntries: 2, name: 'lk_cgarr' });
  const mineFd = openCgroup(mine);
  const freshFd = openCgroup(fresh);
  const under = (index: number) => Program.load({
    type: 'RAW_TRACEPOINT',
    instructions: assemble(`
      r1 = map[cg] ll
      r2 = ${index}
      call bpf_current_task_under_cgroup
      exit`, { maps: { cg: cg.fd } }),
  });
  const p0 = under(0);
  const p1 = under(1);
  try {
    cg.set(0, mineFd);
    cg.set(1, freshFd);
    assert.equal(p0.testRun({ repeat: 0, ctxOutSize: 0 }).retval, 1, 'we run in our own cgroup');
    assert.equal(p1.testRun({ repeat: 0, ctxOutSize: 0 }).retval, 0, 'not in the new one');
    assert.throws(() => cg.get(0), (e: unknown) => e instanceof SyscallError && e.code === 'ENOTSUPP', 'user space cannot read cgroup fds back');
    const file = fs.openSync('/proc/self/status', 'r');
    try {
      assert.throws(() => cg.set(0, file), (e: unknown) => e instanceof SyscallError && e.code === 'EBADF', 'not a cgroup');
    } finally {
      fs.closeSync(file);
    }
  } finally {
    p0.close();
    p1.close();
    cg.close();
    fs.closeSync(mineFd);
    fs.closeSync(freshFd);
    removeCgroup(fresh);
  }
});

test('stack trace map: empty lookups are ENOENT; bpf_get_stackid stores kernel addresses', (t) => {
  if (skipUnless(t, needRoot())) return;
  const stacks = StackTraceMap.create({ maxEntries: 64, depth: 32, name: 'lk_stacks' });
  const prog = Program.load({
    type: 'RAW_TRACEPOINT',
    instructions: assemble(`
      r2 = map[stacks] ll
      r3 = 0
      call bpf_get_stackid
      exit`, { maps: { stacks: stacks.fd } }),
  });
  try {
    assert.equal(stacks.get(0), undefined);
    assert.deepEqual([...stacks.keys()], []);
    const id = prog.testRun({ repeat: 0, ctxOutSize: 0 }).retval | 0;
    assert.ok(id >= 0, `bpf_get_stackid returned ${id}`);
    const ips = stacks.get(id);
    assert.ok(ips && ips.length > 0 && ips.length <= 32);
    for (const ip of ips) assert.ok(ip >= 0xffff800000000000n, `kernel address ${ip.toString(16)}`);
    assert.deepEqual([...stacks.keys()], [id]);
    assert.equal(stacks.valueSize, 32 * 8);
    assert.throws(() => StackTraceMap.create({ maxEntries: 1, depth: 100000 }), (e: unknown) => e instanceof SyscallError && e.code === 'EINVAL', 'deeper than perf_event_max_stack');
  } finally {
    prog.close();
    stacks.close();
  }
});
