// Strings from the kernel and from user space, run against real execs:
// ctx.dataLocString on sched_process_exec's `__data_loc char[] filename`,
// bpf.probeReadUserStr on sys_enter_execve's user `filename` pointer, and
// bpf.probeReadKernelStr on task->comm (offset from the kernel's BTF). Each
// program hashes the string it read with a variable-index loop (Lockne's exe
// rule hash) and stores hash + length under the exec-ing tgid. GPL-only helpers
// without a GPL-compatible license are LK4008, as the kernel would refuse them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { BpfObject, kernelBtf, tracefsDir } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { tracepoint, rawTracepoint, HashMap, PerCpuArrayMap, struct, array, bpf, license, type Infer, u8, u32, u64, i32, i64 } from '@lockne/kernel';
export const LICENSE = license('Dual MIT/GPL');
export const Path = struct('path', { bytes: array(u8, 256) });
export const Seen = struct('seen', { hash: u64, len: i64 });
export const scratch = new PerCpuArrayMap<Infer<typeof Path>>({ maxEntries: 1, value: Path });
export const seen = new HashMap<u32, Infer<typeof Seen>>({ maxEntries: 1024, key: u32, value: Seen });
function hashPath(p: Infer<typeof Path>): u64 {
  let h: u64 = 0xcbf29ce484222325n;
  for (let i: u32 = 0; i < 256; i++) {
    const c = p.bytes[i];
    if (c === 0) break;
    h = (h ^ u64(c)) * 0x100000001b3n;
  }
  return h;
}
function remember(p: Infer<typeof Path>, len: i64): void {
  seen.update(u32(bpf.getCurrentPidTgid() >> 32n), { hash: hashPath(p), len });
}
`;

function fnv1a(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of Buffer.from(s)) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  return h;
}

function load(src: string): BpfObject {
  const r = compile('/virtual/strings.bpf.ts', { source: HEAD + src });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return BpfObject.load(r.object!, { requireBtf: true });
}

let lastPid = 0;

/** Attach `name`, run /bin/true, and return what the program saw for that process. */
function execTrue(obj: BpfObject, name: string): { hash: bigint; len: bigint } | undefined {
  const link = obj.program(name).attach();
  try {
    const r = spawnSync('/bin/true');
    assert.equal(r.status, 0);
    lastPid = r.pid;
    // The object's BTF gives the map its struct codec: { hash, len }.
    return obj.map<number, { hash: bigint; len: bigint }>('seen').get(r.pid);
  } finally {
    link.close();
  }
}

test('ctx.dataLocString: sched_process_exec\'s __data_loc filename of an exec of /bin/true', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = load(`
const Exec = struct('exec_args', { common: u64, filenameLoc: u32, pid: i32, oldPid: i32 });
export const names = new HashMap<u32, Infer<typeof Path>>({ maxEntries: 1024, key: u32, value: Path });
export const onExec = tracepoint('sched', 'sched_process_exec', (ctx) => {
  const buf = scratch.lookup(0);
  if (buf === null) return 0;
  const n = ctx.dataLocString(ctx.args(Exec).filenameLoc, buf.value.bytes);
  remember(buf.value, n);
  names.update(u32(bpf.getCurrentPidTgid() >> 32n), buf.value);
  return 0;
});
`);
  try {
    const got = execTrue(obj, 'onExec');
    assert.ok(got, 'the program saw the exec');
    assert.equal(got.len, BigInt('/bin/true'.length + 1), 'bytes copied, NUL included');
    assert.equal(got.hash, fnv1a('/bin/true'));
    const name = obj.map<number, { bytes: ArrayLike<number> }>('names').get(lastPid);
    assert.ok(name, 'the filename was stored under the tgid');
    const bytes = Uint8Array.from(name.bytes);
    assert.equal(Buffer.from(bytes.subarray(0, bytes.indexOf(0))).toString(), '/bin/true', 'the filename read back');
  } finally {
    obj.close();
  }
});

test('bpf.probeReadUserStr: sys_enter_execve\'s user-space filename pointer', (t) => {
  if (skipUnless(t, needRoot())) return;
  let dir: string | null = null;
  try { dir = tracefsDir(); } catch { /* reported below */ }
  if (skipUnless(t, dir && fs.existsSync(`${dir}/events/syscalls/sys_enter_execve`) ? null : 'no syscalls/sys_enter_execve tracepoint (CONFIG_FTRACE_SYSCALLS)')) return;
  const obj = load(`
const Enter = struct('execve_args', { common: u64, nr: i32, pad: u32, filename: u64, argv: u64, envp: u64 });
export const onExecve = tracepoint('syscalls', 'sys_enter_execve', (ctx) => {
  const buf = scratch.lookup(0);
  if (buf === null) return 0;
  const n = bpf.probeReadUserStr(buf.value.bytes, ctx.args(Enter).filename);
  remember(buf.value, n);
  return 0;
});
`);
  try {
    const got = execTrue(obj, 'onExecve');
    assert.ok(got, 'the program saw the execve');
    assert.equal(got.len, BigInt('/bin/true'.length + 1));
    assert.equal(got.hash, fnv1a('/bin/true'));
  } finally {
    obj.close();
  }
});

test('bpf.probeReadKernelStr: task->comm of the exec-ing task (raw tracepoint arg 0, offset from kernel BTF)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const btf = kernelBtf();
  const task = btf.type(btf.findId('task_struct', 'STRUCT')!) as { members?: Array<{ name: string; bitOffset: number }> };
  const comm = task.members?.find((m) => m.name === 'comm');
  assert.ok(comm, 'task_struct has comm');
  const obj = load(`
export const onExecRaw = rawTracepoint('sched_process_exec', (ctx) => {
  const buf = scratch.lookup(0);
  if (buf === null) return 0;
  const n = bpf.probeReadKernelStr(buf.value.bytes, ctx.arg(0) + ${comm.bitOffset / 8}n);
  remember(buf.value, n);
  return 0;
});
`);
  try {
    const got = execTrue(obj, 'onExecRaw');
    assert.ok(got, 'the program saw the exec');
    assert.equal(got.hash, fnv1a('true'), 'comm after exec is the binary name');
    assert.equal(got.len, 5n);
  } finally {
    obj.close();
  }
});

test('LK4008: a GPL-only string helper under a non-GPL license; the kernel agrees', (t) => {
  const src = (lic: string) => HEAD.replace(`license('Dual MIT/GPL')`, `license('${lic}')`) + `
const Exec = struct('exec_args', { common: u64, filenameLoc: u32, pid: i32, oldPid: i32 });
export const onExec = tracepoint('sched', 'sched_process_exec', (ctx) => {
  const buf = scratch.lookup(0);
  if (buf === null) return 0;
  remember(buf.value, ctx.dataLocString(ctx.args(Exec).filenameLoc, buf.value.bytes));
  return 0;
});
`;
  const bad = compileSource(src('MIT'));
  assert.deepEqual(bad.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`), ['24:23 LK4008']);
  assert.match(bad.diagnostics[0]!.message, /bpf_probe_read_kernel_str is GPL-only, and license\('MIT'\) is not GPL-compatible/);
  for (const ok of ['GPL', 'Dual BSD/GPL', 'Dual MIT/GPL']) assert.deepEqual(compileSource(src(ok)).diagnostics, [], ok);
  if (skipUnless(t, needRoot())) return;
  // The same program with its object license forced to MIT: the kernel refuses it at load.
  const r = compile('/virtual/strings.bpf.ts', { source: src('GPL'), license: 'MIT' });
  assert.throws(() => BpfObject.load(r.object!).close(), /GPL/);
});
