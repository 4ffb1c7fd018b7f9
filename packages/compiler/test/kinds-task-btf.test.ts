// The current task as a trusted BTF pointer (bpf.getCurrentTaskBtf(), a
// KernelRef<'task_struct'>) and TaskStorage. Reads through the pointer are plain
// loads whose offsets carry CO-RE records (no bpf_probe_read_kernel), checked by
// the verifier against the kernel's BTF: a tp_btf program on sched_process_exec
// records tgid, real_parent->tgid and comm of a process we start; a raw_tp run
// with BPF_PROG_TEST_RUN (current = this thread) counts in TaskStorage, read back
// with a pidfd key, and deletes; libbpf (bpftool) loads the same object; misuse
// is diagnosed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { BpfObject, ensureBpffs, native } from '@lockne/bpf';
import { compileToInstructions, formatAsm, formatDiagnostic } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { cString, objectOf } from './support/run.js';

checkFdLeaks();

const HEAD = `import { tpBtf, rawTracepoint, tc, TcAction, HashMap, ArrayMap, TaskStorage, StorageFlag, struct, array, kernelStruct, kernelPtr, core, bpf, license, type Infer, type KernelRef, u8, u32, u64, i32 } from '@lockne/kernel';
export const LICENSE = license('GPL');
export const Task = kernelStruct('task_struct', { pid: i32, tgid: i32, real_parent: kernelPtr('task_struct'), group_leader: kernelPtr('task_struct'), comm: array(u8, 16) });
`;

const EXEC = `
export const Exec = struct('exec', { tgid: i32, ptgid: i32, leader: i32, comm: array(u8, 16) });
export const execs = new HashMap<u32, Infer<typeof Exec>>({ maxEntries: 1024, key: u32, value: Exec });
export const perTask = new TaskStorage<u32>({ value: u32 });
export const onExec = tpBtf('sched_process_exec', (ctx) => {
  const t = bpf.getCurrentTaskBtf();
  const tgid = core.read(Task, t, 'tgid');
  const parent = core.read(Task, t, 'real_parent');          // a KernelRef again: read through it directly
  execs.update(u32(tgid), {
    tgid, ptgid: core.read(Task, parent, 'tgid'),
    leader: core.read(Task, core.read(Task, t, 'group_leader'), 'pid'),
    comm: core.read(Task, t, 'comm'),                         // an array: bpf_probe_read_kernel from t + offset
  });
  const n = perTask.get(StorageFlag.CREATE);                  // this task's exec count
  if (n !== null) n.value += 1;
  return 0;
});
`;

const object = (src: string): Uint8Array => objectOf(HEAD + src, '/virtual/task-btf.bpf.ts');
const cstr = cString;

test('reads through getCurrentTaskBtf() are loads with CO-RE offsets, not probe_read', () => {
  const m = compileToInstructions('/virtual/task-btf.bpf.ts', { source: HEAD + EXEC });
  assert.deepEqual(m.diagnostics.map(formatDiagnostic), []);
  const p = m.programs.find((x) => x.name === 'onExec')!;
  const asm = formatAsm({ ...p, section: p.section });
  assert.match(asm, /call bpf_get_current_task_btf#158/);
  assert.match(asm, /r\d = \*\(u32 \*\)\(r\d \+ 4\) ; CO-RE byte_off task_struct\.tgid \(0:1\)/, asm);
  assert.match(asm, /r\d = \*\(u64 \*\)\(r\d \+ 8\) ; CO-RE byte_off task_struct\.real_parent \(0:2\)/, asm);
  assert.match(asm, /r\d = \*\(u32 \*\)\(r\d \+ 0\) ; CO-RE byte_off task_struct\.pid \(0:0\)/, asm);
  assert.equal(asm.match(/call bpf_probe_read_kernel/g)?.length, 1, 'only the comm array is copied by the helper');
  assert.match(asm, /call bpf_task_storage_get#156/);
});

test('tp_btf(sched_process_exec): tgid, real_parent->tgid, group_leader->pid and comm of an exec via the BTF task; TaskStorage counts execs per task (pidfd key)', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lktask-'));
  const obj = BpfObject.load(object(EXEC), { requireBtf: true });
  let child: ReturnType<typeof spawn> | undefined;
  let pidfd = -1;
  try {
    const bin = path.join(dir, 'lktask-probe');
    fs.copyFileSync('/bin/sleep', bin);
    fs.chmodSync(bin, 0o755);
    const link = obj.program('onExec').attach();
    try {
      // Three execs in one task: sh, sh again, then our sleep under its own name.
      child = spawn('/bin/sh', ['-c', `exec /bin/sh -c 'exec "${bin}" 5'`], { stdio: 'ignore' });
      const deadline = Date.now() + 5000;
      while (obj.map<number, { comm: number[] }>('execs').get(child.pid!)?.comm.every((c, i) => c === ('lktask-probe'.charCodeAt(i) || 0)) !== true) {
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      link.close();
    }
    const pid = child.pid!;
    const got = obj.map<number, { tgid: number; ptgid: number; leader: number; comm: number[] }>('execs').get(pid);
    assert.ok(got, 'the program saw the exec');
    assert.equal(got.tgid, pid, 'task->tgid');
    assert.equal(got.ptgid, process.pid, 'task->real_parent->tgid: this process started it');
    assert.equal(got.leader, pid, 'task->group_leader->pid of a single-threaded process is itself');
    assert.equal(cstr(got.comm), 'lktask-probe', 'task->comm after the last exec');
    pidfd = native.pidfdOpen(pid);
    assert.equal(obj.map<number, number>('perTask').get(pidfd), 3, 'three execs counted in the task\'s own storage');
  } finally {
    if (pidfd >= 0) fs.closeSync(pidfd);
    if (child && child.exitCode === null && child.signalCode === null) { child.kill('SIGKILL'); await once(child, 'exit'); }
    obj.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const TEST_RUN = `
export const Seen = struct('seen', { tgid: i32, pid: i32, comm: array(u8, 16) });
export const seen = new ArrayMap<Infer<typeof Seen>>({ maxEntries: 1, value: Seen });
export const counts = new TaskStorage<u64>({ value: u64 });
export const results = new ArrayMap<u64>({ maxEntries: 4 });
export const count = rawTracepoint('sched_process_exec', (ctx) => {
  const t = bpf.getCurrentTaskBtf();
  const s = seen.lookup(0);
  if (s !== null) {
    s.value.tgid = core.read(Task, t, 'tgid');
    s.value.pid = core.read(Task, t, 'pid');
    core.readInto(s.value.comm, Task, t, 'comm');
  }
  const v = counts.get(t, StorageFlag.CREATE);               // the same task, passed explicitly
  if (v === null) return 1;
  v.value += 1n;
  const again = counts.get();                                // no CREATE: found, the current task's
  if (again !== null) results.update(0, again.value);
  return 0;
});
export const forget = rawTracepoint('sched_process_exec', (ctx) => {
  results.update(1, u64(counts.delete()));                   // 0, then -ENOENT
  results.update(2, u64(counts.get() === null ? 1 : 0));
  return 0;
});
`;

/** BPF_PROG_TEST_RUN of a raw_tp program: runs on this thread (ctx: the 8-byte args, no repeat). */
const runRawTp = (obj: BpfObject, name: string): number => obj.program(name).testRun({ ctx: new Uint8Array(8), repeat: 0, ctxOutSize: 0 }).retval;

test('TaskStorage via BPF_PROG_TEST_RUN: get(CREATE) on the current task counts, userspace reads it by pidfd, delete() removes it', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(object(TEST_RUN), { requireBtf: true });
  const pidfd = native.pidfdOpen(process.pid); // test-run's current task is this (main) thread
  try {
    assert.equal(runRawTp(obj, 'count'), 0);
    assert.equal(runRawTp(obj, 'count'), 0);
    const s = obj.map<number, { tgid: number; pid: number; comm: number[] }>('seen').get(0)!;
    assert.equal(s.tgid, process.pid, 'tgid through the BTF pointer');
    assert.equal(s.pid, process.pid, 'the main thread: pid == tgid');
    assert.equal(cstr(s.comm), fs.readFileSync(`/proc/${process.pid}/task/${process.pid}/comm`, 'utf8').trim(), 'comm via core.readInto from the BTF pointer');
    const counts = obj.map<number, bigint>('counts');
    assert.equal(counts.get(pidfd), 2n, 'two runs counted');
    assert.equal(obj.map<number, bigint>('results').get(0), 2n, 'get() without CREATE found the same value');
    assert.equal(runRawTp(obj, 'forget'), 0);
    assert.equal(obj.map<number, bigint>('results').get(1), 0n, 'delete() returned 0');
    assert.equal(obj.map<number, bigint>('results').get(2), 1n, 'get() after delete: null');
    assert.equal(counts.get(pidfd), undefined, 'userspace sees no value either');
    assert.equal(runRawTp(obj, 'forget'), 0);
    assert.equal(BigInt.asIntN(64, obj.map<number, bigint>('results').get(1)!), -2n, 'a second delete(): -ENOENT');
  } finally {
    fs.closeSync(pidfd);
    obj.close();
  }
});

test('getCurrentTaskBtf and TaskStorage load in a tc program too (6.x gives every kind both helpers)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(object(`
export const perTask = new TaskStorage<u32>({ value: u32 });
export const out = new ArrayMap<u32>({ maxEntries: 1 });
export const classify = tc((ctx) => {
  out.update(0, u32(core.read(Task, bpf.getCurrentTaskBtf(), 'tgid')));
  const v = perTask.get(StorageFlag.CREATE);
  if (v !== null) v.value += 1;
  return TcAction.OK;
});
`), { requireBtf: true });
  try {
    assert.equal(obj.program('classify').testRun({ data: new Uint8Array(64) }).retval, 0);
    assert.equal(obj.map<number, number>('out').get(0), process.pid, 'tc test-run: current is this thread');
  } finally {
    obj.close();
  }
});

function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

test('libbpf (bpftool prog loadall) relocates the load offsets and loads the program', (t) => {
  if (skipUnless(t, needRoot() ?? (run('bpftool', ['version']).status === 0 ? null : 'bpftool is not installed'))) return;
  ensureBpffs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lktask-'));
  const pin = `/sys/fs/bpf/lk${process.pid % 100000}taskbtf`;
  try {
    fs.writeFileSync(path.join(dir, 'task.o'), object(EXEC));
    const r = run('bpftool', ['-d', 'prog', 'loadall', path.join(dir, 'task.o'), pin]);
    assert.equal(r.status, 0, r.out);
    const matched = [...r.out.matchAll(/relo #\d+: matching candidate #0 <(\w+)> \[\d+\] struct task_struct\.(\w+)/g)].map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual(matched.sort(), ['byte_off comm', 'byte_off group_leader', 'byte_off pid', 'byte_off real_parent', 'byte_off tgid', 'byte_off tgid'].sort());
  } finally {
    fs.rmSync(pin, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('misuse: a KernelRef is not a u64, another struct\'s ref, or an integer; TaskStorage takes a task_struct ref', () => {
  const diag = (body: string) => compileToInstructions('/virtual/task-btf.bpf.ts', { source: HEAD + `export const Mm = kernelStruct('mm_struct', { total_vm: u64, owner: kernelPtr('task_struct') });\nexport const ts = new TaskStorage<u32>({ value: u32 });\nexport const out = new ArrayMap<u64>({ maxEntries: 1 });\n` + body })
    .diagnostics.map((d) => `${d.code} ${d.message}`);
  const prog = (b: string) => `export const p = tpBtf('sched_process_exec', (ctx) => {\n${b}\n  return 0;\n});\n`;
  // A BTF pointer where a u64 address is expected: tsc refuses (TS2345), the compiler too.
  assert.match(diag(prog(`  out.update(0, bpf.getCurrentTaskBtf());`)).join('\n'), /TS2345|LK3010|LK3007/);
  // Read a task_struct pointer with another struct's declaration: tsc refuses (TS2345); a cast
  // does not fool the compiler, which knows what the verifier will (LK3010).
  assert.ok(diag(prog(`  out.update(0, core.read(Mm, bpf.getCurrentTaskBtf(), 'total_vm'));`)).some((d) => /TS2345/.test(d)));
  const wrong = diag(prog(`  const t = bpf.getCurrentTaskBtf();\n  out.update(0, core.read(Mm, t as unknown as KernelRef<'mm_struct'>, 'total_vm'));`));
  assert.ok(wrong.some((d) => /^LK3010 .*points to struct task_struct, and mm_struct describes struct mm_struct/.test(d)), wrong.join('\n'));
  // Arithmetic or a comparison on a KernelRef: tsc refuses.
  assert.ok(diag(prog(`  const t = bpf.getCurrentTaskBtf();\n  if (t === 0n) return 0;`)).some((d) => /TS2367/.test(d)));
  // TaskStorage with a u64 task (bpf.getCurrentTask()).
  const u = diag(prog(`  const v = ts.get(bpf.getCurrentTask() as never, StorageFlag.CREATE);\n  if (v !== null) v.value = 1;`));
  assert.ok(u.some((d) => /^LK3010 TaskStorage 'ts' takes a KernelRef<'task_struct'>/.test(d)), u.join('\n'));
  // GPL-only: both the helper and the BTF loads.
  const gpl = compileToInstructions('/virtual/task-btf.bpf.ts', { source: HEAD.replace("license('GPL')", "license('MIT')") + prog(`  const t = bpf.getCurrentTaskBtf();`) }).diagnostics;
  assert.deepEqual(gpl.map((d) => d.code), ['LK4008']);
});
