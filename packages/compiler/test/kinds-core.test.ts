// Kernel structs with CO-RE relocations (kernelStruct + core.*), against real
// execs: a sched_process_exec tracepoint reads current->tgid,
// current->real_parent->tgid and current->comm through bpf.getCurrentTask(),
// with offsets the loader relocates from the kernel's BTF. Loaded by
// @lockne/bpf and by libbpf (`bpftool prog loadall`, whose debug log shows it
// matching each record); a field the kernel lacks is a load-time error naming
// struct and field, unless a core.fieldExists() check makes the read dead; the
// object's BTF holds only the declared members; misuse is diagnosed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BpfObject, ensureBpffs, iterate } from '@lockne/bpf';
import { BtfReader, CoreReloKind, parseObject } from '@lockne/obj';
import { compile } from '../src/index.js';
import { cString, compileSource, objectOf } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { tracepoint, tpBtf, iter, HashMap, ArrayMap, struct, array, kernelStruct, kernelPtr, core, bpf, license, type Infer, type FixedArray, u8, u32, u64, i32 } from '@lockne/kernel';
export const LICENSE = license('GPL');
export const Task = kernelStruct('task_struct', {
  pid: i32, tgid: i32, real_parent: kernelPtr('task_struct'), comm: array(u8, 16), lk_no_such_field: u32,
});
`;

const EXEC_TRACER = `
export const Seen = struct('seen', { tgid: i32, ptgid: i32, exists: u32, missing: u32, commSize: u32, first: u8, comm: array(u8, 16), commLocal: array(u8, 16), commInto: array(u8, 16) });
export const seen = new HashMap<u32, Infer<typeof Seen>>({ maxEntries: 1024, key: u32, value: Seen });
export const onExec = tracepoint('sched', 'sched_process_exec', (ctx) => {
  const task = bpf.getCurrentTask();
  const tgid = core.read(Task, task, 'tgid');
  const parent = core.read(Task, task, 'real_parent');
  const comm = core.read(Task, task, 'comm');               // an array: a copy on the stack
  seen.update(u32(tgid), {
    tgid, ptgid: core.read(Task, parent, 'tgid'),           // read straight into the member
    exists: core.fieldExists(Task, 'comm'), missing: core.fieldExists(Task, 'lk_no_such_field'),
    commSize: core.fieldSize(Task, 'comm'), first: comm[0],
    comm: core.read(Task, task, 'comm'), commLocal: comm, commInto: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] as FixedArray<u8, 16>,
  });
  const v = seen.lookup(u32(tgid));
  if (v !== null) core.readInto(v.value.commInto, Task, task, 'comm');
  return 0;
});
`;

const object = (src: string, file = '/virtual/core.bpf.ts'): Uint8Array => objectOf(HEAD + src, file);
const cstr = cString;

/** A copy of /bin/true under a name of our own: the exec's comm. */
function probeBinary(dir: string): string {
  const p = path.join(dir, 'lkcore-probe');
  fs.copyFileSync('/bin/true', p);
  fs.chmodSync(p, 0o755);
  return p;
}

interface Seen { tgid: number; ptgid: number; exists: number; missing: number; commSize: number; first: number; comm: number[]; commLocal: number[]; commInto: number[] }

test('core.read via bpf.getCurrentTask(): tgid, real_parent->tgid and comm of an exec (loaded by @lockne/bpf)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lkcore-'));
  const obj = BpfObject.load(object(EXEC_TRACER), { requireBtf: true });
  try {
    const bin = probeBinary(dir);
    const link = obj.program('onExec').attach();
    let pid = 0;
    try {
      const r = spawnSync(bin);
      assert.equal(r.status, 0);
      pid = r.pid;
    } finally {
      link.close();
    }
    const got = obj.map<number, Seen>('seen').get(pid);
    assert.ok(got, 'the program saw the exec');
    assert.equal(got.tgid, pid, 'current->tgid is the child pid');
    assert.equal(got.ptgid, process.pid, 'current->real_parent->tgid is this process');
    assert.equal(cstr(got.comm), 'lkcore-probe', 'current->comm after exec (read into the member)');
    assert.equal(cstr(got.commLocal), 'lkcore-probe', 'core.read of an array into a local: a stack copy');
    assert.equal(got.first, 'l'.charCodeAt(0), 'an element of that local');
    assert.equal(cstr(got.commInto), 'lkcore-probe', 'core.readInto straight into the map value');
    assert.equal(got.exists, 1, 'fieldExists(comm)');
    assert.equal(got.missing, 0, 'fieldExists of a field this kernel does not have');
    assert.equal(got.commSize, 16, 'fieldSize(comm)');
  } finally {
    obj.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** `bpftool -d prog loadall` of `bytes`; the pin directory is removed again. */
function bpftoolLoad(bytes: Uint8Array, tag: string): { status: number | null; out: string } {
  ensureBpffs();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lkcore-'));
  const pin = `/sys/fs/bpf/lk${process.pid % 100000}core${tag}`;
  try {
    fs.writeFileSync(path.join(dir, 'core.o'), bytes);
    return run('bpftool', ['-d', 'prog', 'loadall', path.join(dir, 'core.o'), pin]);
  } finally {
    fs.rmSync(pin, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const haveBpftool = (): string | null => needRoot() ?? (run('bpftool', ['version']).status === 0 ? null : 'bpftool is not installed');

test('libbpf (bpftool prog loadall) relocates every CO-RE record against the kernel and loads the program', (t) => {
  if (skipUnless(t, haveBpftool())) return;
  const r = bpftoolLoad(object(EXEC_TRACER), 'ok');
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /found 9 CO-RE relocations/);
  const matched = [...r.out.matchAll(/relo #\d+: matching candidate #0 <(\w+)> \[\d+\] struct task_struct\.(\w+)/g)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(matched, ['byte_off tgid', 'byte_off real_parent', 'byte_off comm', 'byte_off tgid', 'field_exists comm', 'byte_sz comm', 'byte_off comm', 'byte_off comm']);
  assert.match(r.out, /non-matching candidate #0 <field_exists> \[\d+\] struct task_struct/, 'lk_no_such_field does not match, and is 0');
});

const MISSING = `
export const out = new ArrayMap<u32>({ maxEntries: 1 });
export const bad = tracepoint('sched', 'sched_process_exec', (ctx) => {
  out.update(0, core.read(Task, bpf.getCurrentTask(), 'lk_no_such_field'));
  return 0;
});
`;

test('a field the kernel lacks: a load-time error naming the struct, the field and the TS line (both loaders)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const bytes = object(MISSING);
  assert.throws(() => BpfObject.load(bytes, { requireBtf: true }).close(), (e: Error) => {
    assert.match(e.message, /CO-RE relocation at insn \d+ failed: <byte_off> \[\d+\] struct task_struct\.lk_no_such_field \(0:4 @ offset 32\): the field is not in any of 1 candidate\(s\) in vmlinux/);
    assert.match(e.message, /core\.bpf\.ts:9:\d+ .*core\.read\(Task, bpf\.getCurrentTask\(\), 'lk_no_such_field'\)/);
    return true;
  });
  if (run('bpftool', ['version']).status !== 0) return;
  const r = bpftoolLoad(bytes, 'bad');
  assert.notEqual(r.status, 0);
  assert.match(r.out, /failed to resolve CO-RE relocation <byte_off> \[\d+\] struct task_struct\.lk_no_such_field/);
});

test('core.fieldExists() guarding a read of a missing field: the poisoned read is dead code, both loaders accept it', (t) => {
  if (skipUnless(t, needRoot())) return;
  const bytes = object(`
export const out = new ArrayMap<u32>({ maxEntries: 2 });
export const guarded = tracepoint('sched', 'sched_process_exec', (ctx) => {
  const task = bpf.getCurrentTask();
  if (core.fieldExists(Task, 'lk_no_such_field') === 1) out.update(0, core.read(Task, task, 'lk_no_such_field'));
  else out.update(1, u32(core.read(Task, task, 'tgid')));
  return 0;
});
`);
  const obj = BpfObject.load(bytes, { requireBtf: true });
  try {
    const link = obj.program('guarded').attach();
    let pid = 0;
    try { pid = spawnSync('/bin/true').pid; } finally { link.close(); }
    const out = obj.map<number, number>('out');
    assert.equal(out.get(0), 0, 'the missing field was never read');
    assert.ok((out.get(1) ?? 0) > 0, 'the other branch ran');
    assert.ok(pid > 0);
  } finally {
    obj.close();
  }
  if (run('bpftool', ['version']).status !== 0) return;
  const r = bpftoolLoad(bytes, 'guard');
  assert.equal(r.status, 0, r.out);
});

test('a flavoured declaration (task_struct___lk) and core.structExists; iter(task) bases: every task\'s tgid', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(object(`
export const TaskLk = kernelStruct('task_struct___lk', { tgid: i32 });
export const NoSuch = kernelStruct('lk_no_such_struct', { x: u32 });
export const flags = new ArrayMap<u32>({ maxEntries: 2 });
export const tasks = iter('task', (ctx) => {
  const task = ctx.task;            // a BTF pointer to the verifier: null-check it before adding an offset
  if (task === 0n) return 0;
  flags.update(0, core.structExists(TaskLk));
  flags.update(1, core.structExists(NoSuch));
  ctx.seqWrite(u64, (u64(u32(core.read(Task, task, 'tgid'))) << 32n) | u64(u32(core.read(TaskLk, task, 'tgid'))));
  return 0;
});
`), { requireBtf: true });
  try {
    const out = iterate(obj.program('tasks'));
    const pairs = Array.from({ length: out.byteLength / 8 }, (_, i) => out.readBigUInt64LE(i * 8)).map((v) => [Number(v >> 32n), Number(v & 0xffffffffn)]);
    assert.ok(pairs.length > 5, `${pairs.length} tasks`);
    for (const [a, b] of pairs) assert.equal(a, b, 'the flavour reads the same field');
    assert.ok(pairs.some(([a]) => a === process.pid), 'this process is among the tasks');
    assert.equal(obj.map<number, number>('flags').get(0), 1, 'task_struct___lk matches task_struct');
    assert.equal(obj.map<number, number>('flags').get(1), 0, 'no lk_no_such_struct in the kernel');
  } finally {
    obj.close();
  }
});

test('tpBtf: ctx.arg(0) of sched_process_exec (the task) as the base, a chained read of its parent', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(object(`
export const parents = new HashMap<u32, i32>({ maxEntries: 1024 });
export const onExec = tpBtf('sched_process_exec', (ctx) => {
  const p = ctx.arg(0);
  parents.update(u32(core.read(Task, p, 'tgid')), core.read(Task, core.read(Task, p, 'real_parent'), 'tgid'));
  return 0;
});
`), { requireBtf: true });
  try {
    const link = obj.program('onExec').attach();
    let pid = 0;
    try { pid = spawnSync('/bin/true').pid; } finally { link.close(); }
    assert.equal(obj.map<number, number>('parents').get(pid), process.pid);
  } finally {
    obj.close();
  }
});

test('the object: local BTF with only the declared members, one .BTF.ext core_relo per relocated move', () => {
  const bytes = object(EXEC_TRACER);
  const spec = parseObject(bytes);
  const prog = spec.programs.find((p) => p.name === 'onExec')!;
  const btf = BtfReader.parse(spec.btf!);
  const id = btf.findId('task_struct', 'STRUCT')!;
  const st = btf.type(id) as unknown as { size: number; members: Array<{ name: string; bitOffset: number; type: number }> };
  assert.deepEqual(st.members.map((m) => `${m.name}@${m.bitOffset / 8}`), ['pid@0', 'tgid@4', 'real_parent@8', 'comm@16', 'lk_no_such_field@32']);
  assert.equal(btf.type(st.members[2]!.type).kind, 'PTR', 'real_parent is a pointer (libbpf wants the kinds to match)');
  const { FIELD_BYTE_OFFSET: OFF, FIELD_EXISTS: EXISTS, FIELD_BYTE_SIZE: SIZE } = CoreReloKind;
  assert.deepEqual(prog.coreRelos.map((r) => `${r.kind} ${r.accessStr}`), [
    `${OFF} 0:1`, `${OFF} 0:2`, `${OFF} 0:3`, `${OFF} 0:1`, `${EXISTS} 0:3`, `${EXISTS} 0:4`, `${SIZE} 0:3`, `${OFF} 0:3`, `${OFF} 0:3`,
  ], 'tgid, real_parent, comm (local), parent tgid, comm exists, lk_no_such_field exists, comm size, comm (member), comm (readInto)');
  for (const r of prog.coreRelos) {
    assert.equal(r.typeId, id, 'every record is against the local task_struct');
    const insn = prog.instructions[r.insnOff]!;
    assert.equal(insn.code, 0xb7, 'a 64-bit mov of an immediate (ALU64 | MOV | K), as clang emits');
  }
  const asm = compile('/virtual/core.bpf.ts', { source: HEAD + EXEC_TRACER, emit: 'asm' }).asm!;
  assert.match(asm, /r\d = 4 ; CO-RE byte_off task_struct\.tgid \(0:1\)/);
});

test('misuse is diagnosed: unknown field, non-u64 base, non-constant field, not a kernelStruct, bad members, GPL', () => {
  const codes = (body: string, head = HEAD): string[] => compileSource(head + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
  const prog = (stmt: string): string => `export const out = new ArrayMap<u32>({ maxEntries: 1 });
export const p = tracepoint('sched', 'sched_process_exec', (ctx) => {
  const task = bpf.getCurrentTask();
  ${stmt}
  return 0;
});
`;
  // Line 9 is `stmt`; its code starts at column 3.
  // tsc already refuses a field not declared and a base that is not a u64 ...
  assert.deepEqual(codes(prog(`const x = core.read(Task, task, 'nope');`)), ['9:35 TS2345']);
  assert.deepEqual(codes(prog(`out.update(0, u32(core.read(Task, 5, 'tgid')));`)), ['9:37 TS2345']);
  // ... and the compiler re-checks what tsc lets through.
  const m = compileSource(HEAD + prog(`out.update(0, u32(core.read(Task, task, 'nope' as never)));`));
  assert.deepEqual(m.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`), ['9:43 LK3010']);
  assert.match(m.diagnostics[0]!.message, /kernel struct task_struct declares no field 'nope' \(declared: pid, tgid, real_parent, comm, lk_no_such_field\)/);
  assert.deepEqual(codes(prog(`out.update(0, u32(core.read(Task, u32(5) as never, 'tgid')));`)), ['9:37 LK2001']);
  assert.deepEqual(codes(prog(`const v = out.lookup(0); if (v !== null) out.update(0, u32(core.read(Task, v as never, 'tgid')));`)), ['9:78 LK3010']);
  assert.deepEqual(codes(prog(`out.update(0, u32(core.read(Task, task, ('t' + 'gid') as 'tgid')));`)), ['9:43 LK4005']);
  assert.deepEqual(codes(prog(`out.update(0, core.fieldExists(struct('s', { a: u32 }) as never, 'a' as never));`)), ['9:34 LK4005']);
  // readInto: array fields only, into a buffer of the same size.
  assert.deepEqual(codes(`export const B = struct('b', { small: array(u8, 8), big: array(u8, 16) });
export const bufs = new ArrayMap<Infer<typeof B>>({ maxEntries: 1, value: B });
` + prog(`const b = bufs.lookup(0); if (b !== null) { core.readInto(b.value.small as never, Task, task, 'comm'); }`)), ['11:61 LK3010']);
  assert.deepEqual(codes(`export const B = struct('b', { big: array(u8, 16) });
export const bufs = new ArrayMap<Infer<typeof B>>({ maxEntries: 1, value: B });
` + prog(`const b = bufs.lookup(0); if (b !== null) { core.readInto(b.value.big as never, Task, task, 'tgid'); }`)), ['11:95 LK3010']);
  // Declarations: members the relocation cannot match, and one name with two layouts.
  assert.deepEqual(codes(`export const Bad = kernelStruct('file', { f_path: struct('path', { mnt: u64 }) });\n` + prog('')), ['6:20 LK4005']);
  assert.deepEqual(codes(`export const Task2 = kernelStruct('task_struct', { tgid: i32 });\n` + prog('')), ['6:22 LK4004']);
  // bpf_probe_read_kernel is GPL-only; a field query is not a helper call.
  const mit = HEAD.replace(`license('GPL')`, `license('MIT')`);
  const noTask = (stmt: string): string => prog(stmt).replace('const task = bpf.getCurrentTask();', 'const task = 0n;');
  assert.deepEqual(codes(noTask(`out.update(0, u32(core.read(Task, task, 'tgid')));`), mit), ['9:21 LK4008']);
  assert.deepEqual(codes(noTask(`out.update(0, core.fieldExists(Task, 'tgid') + core.fieldSize(Task, 'comm') + core.structExists(Task));`), mit), []);
});
