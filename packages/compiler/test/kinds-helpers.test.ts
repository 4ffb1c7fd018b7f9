// Task helpers in a compiled tracepoint program, checked against what userspace
// knows about the process that exec()ed: bpf.getCurrentPidTgid (pid and tgid),
// getCurrentUidGid, getCurrentComm into a map value's u8[16] field,
// getCurrentCgroupId (the cgroup directory's inode), ktimeGetNs (between two
// CLOCK_MONOTONIC reads around the exec) and getSmpProcessorId (< CPU count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { BpfObject, cgroupOf } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const SRC = `import { tracepoint, HashMap, struct, array, bpf, u8, u32, u64, type Infer, type FixedArray } from '@lockne/kernel';
export const Info = struct('task_info', { pidTgid: u64, uidGid: u64, cgroup: u64, ktime: u64, cpu: u32, comm: array(u8, 16) });
export type Info = Infer<typeof Info>;
export const info = new HashMap<u32, Info>({ maxEntries: 4096 });
export const onExec = tracepoint('sched', 'sched_process_exec', (ctx) => {
  const tgid = u32(bpf.getCurrentPidTgid() >> 32n);
  info.update(tgid, {
    pidTgid: bpf.getCurrentPidTgid(), uidGid: bpf.getCurrentUidGid(), cgroup: bpf.getCurrentCgroupId(),
    ktime: bpf.ktimeGetNs(), cpu: bpf.getSmpProcessorId(), comm: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] as FixedArray<u8, 16>,
  });
  const v = info.lookup(tgid);
  if (v !== null) bpf.getCurrentComm(v.value.comm);
  return 0;
});
`;

interface InfoValue { pidTgid: bigint; uidGid: bigint; cgroup: bigint; ktime: bigint; cpu: number; comm: unknown }

function commText(c: unknown): string {
  const bytes = typeof c === 'string' ? Buffer.from(c) : Buffer.from(c as Uint8Array | number[]);
  const nul = bytes.indexOf(0);
  return bytes.subarray(0, nul < 0 ? bytes.length : nul).toString();
}

test('task helpers report the exec-ing child: pid/tgid, uid/gid, comm, cgroup id, ktime, cpu', (t) => {
  if (skipUnless(t, needRoot())) return;
  const r = compile('/virtual/helpers.bpf.ts', { source: SRC });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const obj = BpfObject.load(r.object!, { requireBtf: true });
  try {
    const link = obj.program('onExec').attach();
    try {
      const before = process.hrtime.bigint();
      const child = spawnSync('/bin/true');
      const after = process.hrtime.bigint();
      assert.equal(child.status, 0);
      const v = obj.map<number, InfoValue>('info').get(child.pid);
      assert.ok(v, 'an entry for the child');
      const pid = BigInt(child.pid);
      assert.equal(v.pidTgid, (pid << 32n) | pid, 'single-threaded: tgid == pid');
      assert.equal(v.uidGid, (BigInt(process.getgid!()) << 32n) | BigInt(process.getuid!()));
      assert.equal(commText(v.comm), 'true');
      assert.equal(v.cgroup, fs.statSync(cgroupOf('self'), { bigint: true }).ino, 'cgroup v2 id = inode of the directory');
      assert.ok(v.ktime >= before && v.ktime <= after, `${before} <= ${v.ktime} <= ${after}`);
      assert.ok(v.cpu < os.cpus().length, `cpu ${v.cpu}`);
    } finally {
      link.close();
    }
  } finally {
    obj.close();
  }
});
