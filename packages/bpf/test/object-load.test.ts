// BpfObject.load: hand-made ObjectSpecs (relocations, typed maps, rollback of
// a failed load, map creation errors, replacements, program selection, BTF the
// kernel refuses) and clang-built objects (subprograms, map-in-map and prog
// array slots, CO-RE against vmlinux or a given BTF, verifier errors with the
// source line and hints, objects without BTF).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BtfWriter, assemble, type MapSpec, type ObjectSpec, type ProgramSpec } from '@lockne/obj';
import {
  ArrayMap, BpfObject, BtfLoadError, MapType, ObjectLoadError, ObjectVerifierError, ProgType,
  SyscallError, VerifierError, ensureBpffs, listMaps, listPrograms, u64,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { clangMissing, compileBpfC } from './support/clang.js';

checkFdLeaks();

const tag = `lk${process.pid % 100000}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}obj-`));
const compile = (name: string, src: string, extra?: string[]): string => compileBpfC(tmp, name, src, extra);
const pinRoot = `/sys/fs/bpf/${tag}load`;
test.after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(pinRoot, { recursive: true, force: true });
});



const HEAD = '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n';
const packet = new Uint8Array(64);

function prog(name: string, text: string, relocations: ProgramSpec['relocations'] = [], type: number = ProgType.SCHED_CLS): ProgramSpec {
  return {
    name, def: { section: 'tc', kind: 'tc', progType: type, progFlags: 0, needsAttachBtf: false },
    instructions: assemble(text), relocations, funcInfo: [], lineInfo: [], coreRelos: [],
  };
}

function hashMap(name: string, extra: Partial<MapSpec> = {}): MapSpec {
  return { name, type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 16, flags: 0, pinning: 'none', btfKeyTypeId: 0, btfValueTypeId: 0, ...extra };
}

const spec = (programs: ProgramSpec[], maps: MapSpec[], extra: Partial<ObjectSpec> = {}): ObjectSpec =>
  ({ license: 'GPL', kernelVersion: 0, programs, maps, externs: [], ...extra });

test('hand-made spec: map and global data relocations, typed map values from BTF', (t) => {
  if (skipUnless(t, needRoot())) return;
  const w = new BtfWriter();
  const u32t = w.int('unsigned int', 4);
  const u64t = w.int('unsigned long long', 8);
  const val = w.struct('val', 16, [{ name: 'hits', type: u64t, offset: 0 }, { name: 'last', type: u32t, offset: 8 }]);
  const data: MapSpec = {
    // Not BPF_F_MMAPABLE: globals then read and write element 0 by syscalls.
    name: '.data', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0, pinning: 'none', btfKeyTypeId: 0, btfValueTypeId: 0,
    data: { section: '.data', bytes: Uint8Array.of(1, 0, 0, 0, 7, 0, 0, 0), readOnly: false, symbols: [{ name: 'a', offset: 0, size: 4 }, { name: 'b', offset: 4, size: 4 }] },
  };
  const s = spec([
    // counts[1] = { hits: 5, last: b } where b is the .data variable at offset 4; return b.
    prog('lkrel', `
      r6 = 0 ll
      r7 = *(u32 *)(r6 + 0)
      *(u32 *)(r10 - 4) = 1
      *(u64 *)(r10 - 24) = 5
      *(u32 *)(r10 - 16) = r7
      *(u32 *)(r10 - 12) = 0
      r1 = 0 ll
      r2 = r10
      r2 += -4
      r3 = r10
      r3 += -24
      r4 = 0
      call bpf_map_update_elem
      r0 = r7
      exit`, [{ insn: 0, kind: 'mapValue', map: '.data', offset: 4 }, { insn: 7, kind: 'map', map: 'counts' }]),
  ], [hashMap('counts', { valueSize: 16, btfKeyTypeId: u32t, btfValueTypeId: val }), data], { btf: w.encode() });
  const obj = BpfObject.load(s, { name: tag });
  try {
    const p = obj.program('lkrel');
    assert.equal(p.testRun({ data: packet }).retval, 7, 'read .data at offset 4');
    assert.deepEqual(obj.map('counts').get(1), { hits: 5n, last: 7 }, 'value decoded with the BTF struct');
    obj.globals.set('b', Buffer.from([9, 0, 0, 0]));
    assert.equal(p.testRun({ data: packet }).retval, 9, 'a write from JS (MAP_UPDATE_ELEM) is seen by the program');
    assert.deepEqual(obj.globals.get('a'), Uint8Array.of(1, 0, 0, 0), 'read by MAP_LOOKUP_ELEM');
    assert.equal(p.def.section, 'tc');
    assert.equal(p.functionName, 'lkrel');
    const info = obj.map('counts').info();
    assert.ok(info.btfId > 0, 'map created with the object BTF');
    assert.equal(info.btfValueTypeId, val);
    assert.ok(p.info().mapIds.length === 2);
    assert.equal(obj.map('.data').info().name, `${tag}.data`.slice(0, 15), "libbpf's internal map name");
  } finally {
    obj.close();
  }
});

/** Poll `left` until empty: the kernel drops a closed program's map references after an RCU grace period. */
async function settles<T>(left: () => T[], ms = 3000): Promise<T[]> {
  const end = Date.now() + ms;
  let now = left();
  while (now.length && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    now = left();
  }
  return now;
}

test('a failed load (3rd of 4 programs rejected) leaves no program, map or pin behind', async (t) => {
  if (skipUnless(t, needRoot())) return;
  ensureBpffs();
  const dir = `${pinRoot}/fail`;
  fs.mkdirSync(dir, { recursive: true });
  const names = ['a', 'b', 'c', 'd'].map((x) => `${tag}f${x}`);
  const pinName = `${tag}pinme`;
  const ok = 'r1 = 0 ll\nr0 = 0\nexit';
  // The third program exits without setting r0: the verifier refuses it.
  const progs = names.map((n, i) => (i === 2 ? prog(n, 'exit') : prog(n, ok, [{ insn: 0, kind: 'map', map: pinName }])));
  const maps = [hashMap(pinName, { pinning: 'byName' }), hashMap(`${tag}m2`)];
  const maxProg = Math.max(0, ...listPrograms().map((p) => p.id));
  const maxMap = Math.max(0, ...listMaps().map((m) => m.id));
  assert.throws(() => BpfObject.load(spec(progs, maps), { pinDir: dir }), (e: unknown) => {
    assert.ok(e instanceof ObjectVerifierError);
    assert.ok(e instanceof VerifierError, 'still a VerifierError');
    assert.equal(e.program, names[2]);
    assert.equal(e.section, 'tc');
    assert.equal(e.code, 'EACCES');
    assert.match(e.message, new RegExp(`program '${names[2]}' in section 'tc'`));
    assert.match(e.log, /R0 !read_ok/);
    return true;
  });
  const ours = new Set(names.map((n) => n.slice(0, 15)));
  assert.deepEqual(await settles(() => listPrograms().filter((p) => p.id > maxProg && ours.has(p.name))), [], 'no program of the object remains');
  assert.deepEqual(await settles(() => listMaps().filter((m) => m.id > maxMap && (m.name === pinName || m.name === `${tag}m2`))), [], 'no map remains');
  assert.deepEqual(fs.readdirSync(dir), [], 'the pin this load created was removed');
});

test('map creation errors name the map, and undo the maps created before', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const maxMap = Math.max(0, ...listMaps().map((m) => m.id));
  const first = `${tag}ok`;
  assert.throws(() => BpfObject.load(spec([], [hashMap(first), hashMap(`${tag}bad`, { keySize: 0 })])), (e: unknown) => {
    assert.ok(e instanceof SyscallError);
    assert.equal(e.code, 'EINVAL');
    assert.match(e.message, new RegExp(`BPF_MAP_CREATE failed: EINVAL \\(HASH map '${tag}bad'`));
    return true;
  });
  assert.deepEqual(await settles(() => listMaps().filter((m) => m.id > maxMap && m.name === first)), []);
});

test('mapReplacements: the program uses the caller\'s map, which stays open after close()', (t) => {
  if (skipUnless(t, needRoot())) return;
  const mine = ArrayMap.create({ value: u64, maxEntries: 4, name: `${tag}rep` });
  try {
    mine.set(2, 42n);
    const arr: MapSpec = { name: 'arr', type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0, pinning: 'none', btfKeyTypeId: 0, btfValueTypeId: 0 };
    const text = '*(u32 *)(r10 - 4) = 2; r1 = 0 ll; r2 = r10; r2 += -4; call bpf_map_lookup_elem; if r0 == 0 goto out;'
      + 'r0 = *(u64 *)(r0 + 0); exit; out: r0 = 0; exit';
    const s = spec([prog('lkreadarr', text, [{ insn: 1, kind: 'map', map: 'arr' }])], [arr]);
    const obj = BpfObject.load(s, { mapReplacements: { arr: mine } });
    try {
      assert.equal(obj.mapOrigin('arr'), 'replacement');
      assert.equal(obj.program('lkreadarr').testRun({ data: packet }).retval, 42);
      assert.equal(obj.map('arr').id, mine.id);
    } finally {
      obj.close();
    }
    assert.equal(mine.get(2), 42n, "the caller's map is still open");
    const wrong = { ...arr, maxEntries: 8 };
    assert.throws(() => BpfObject.load(spec([], [wrong]), { mapReplacements: { arr: mine } }),
      (e: unknown) => e instanceof ObjectLoadError && /replacement map .* incompatible: max_entries 8 \(existing 4\)/.test(e.message));
  } finally {
    mine.close();
  }
});

test('programs option loads only the named programs; SEC("?...") programs are skipped by default', (t) => {
  if (skipUnless(t, needRoot())) return;
  const a = prog('lksela', 'r0 = 1\nexit');
  const b = { ...prog('lkselb', 'r0 = 2\nexit'), autoload: false };
  const obj = BpfObject.load(spec([a, b], []));
  try {
    assert.deepEqual([...obj.programs.keys()], ['lksela']);
  } finally {
    obj.close();
  }
  const only = BpfObject.load(spec([a, b], []), { programs: ['lkselb'] });
  try {
    assert.deepEqual([...only.programs.keys()], ['lkselb']);
    assert.equal(only.program('lkselb').testRun({ data: packet }).retval, 2);
  } finally {
    only.close();
  }
  assert.throws(() => BpfObject.load(spec([a], []), { programs: ['nope'] }), (e: unknown) => e instanceof ObjectLoadError && /no program 'nope'/.test(e.message));
});

test('BTF the kernel refuses: loaded without it like libbpf (error and log kept), or a BtfLoadError with requireBtf', (t) => {
  if (skipUnless(t, needRoot())) return;
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  w.struct('broken', 4, [{ name: 'x', type: int, offset: 0 }, { name: 'y', type: int, offset: 4 }]);
  const s = spec([prog('lkbtf', 'r0 = 3\nexit')], [], { btf: w.encode() });
  const obj = BpfObject.load(s);
  try {
    assert.equal(obj.btf, undefined);
    assert.ok(obj.btfError instanceof BtfLoadError);
    assert.match(obj.btfError.log, /Member exceeds struct_size/);
    assert.ok(obj.notes.some((n) => /refused the object's BTF \(EINVAL: .*Member exceeds struct_size.*\): loaded without it, as libbpf does/.test(n)), obj.notes.join('; '));
    assert.equal(obj.program('lkbtf').testRun({ data: packet }).retval, 3);
  } finally {
    obj.close();
  }
  assert.throws(() => BpfObject.load(s, { requireBtf: true }), (e: unknown) => {
    assert.ok(e instanceof BtfLoadError);
    assert.equal(e.syscall, 'BPF_BTF_LOAD');
    assert.match(e.log, /Member exceeds struct_size/);
    assert.match(e.message, /Member exceeds struct_size/);
    return true;
  });
});

test('clang object: static and global subprograms, map-in-map and prog array initial slots', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const o = compile('subprogs', `${HEAD}
struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u32); };
struct inner in1 SEC(".maps"), in2 SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 2); __type(key, __u32); __array(values, struct inner); }
  outer SEC(".maps") = { .values = { &in1, &in2 } };
int tail(struct __sk_buff *skb);
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 2); __type(key, __u32); __array(values, int (struct __sk_buff *)); }
  jumps SEC(".maps") = { .values = { [1] = &tail } };
static __noinline int twice(int x) { return x * 2; }
__noinline int plus_inner(int x) {
  __u32 k = 1, z = 0;
  void *m = bpf_map_lookup_elem(&outer, &k);
  if (!m) return -1;
  __u32 *v = bpf_map_lookup_elem(m, &z);
  return v ? x + *v : -2;
}
SEC("tc") int calls(struct __sk_buff *skb) { return plus_inner(twice(skb->len)); }
SEC("tc") int tail(struct __sk_buff *skb) { return 42; }
SEC("tc") int jump(struct __sk_buff *skb) { bpf_tail_call(skb, &jumps, 1); return 1; }
char LICENSE[] SEC("license") = "GPL";
`);
  const obj = BpfObject.load(o);
  try {
    const in2 = obj.map<number, number>('in2');
    in2.set(0, 1000);
    assert.equal(obj.program('calls').testRun({ data: packet }).retval, 64 * 2 + 1000, 'twice() then plus_inner() reading outer[1] = in2');
    assert.equal(obj.map<number, number>('outer').get(1), in2.id, 'outer[1] holds in2');
    assert.equal(obj.program('jump').testRun({ data: packet }).retval, 42, 'tail call through the initial slot jumps[1]');
    const info = obj.program('calls').info();
    assert.ok(info.btfId > 0, 'loaded with the object BTF (func_info for the global subprogram)');
  } finally {
    obj.close();
  }
});

test('clang object: CO-RE against the running kernel (task_struct->tgid, a missing field)', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const o = compile('core', `${HEAD}#include <bpf/bpf_core_read.h>
struct task_struct { int pid; int tgid; } __attribute__((preserve_access_index));
struct task_struct___old { int tgid; long gone_field; } __attribute__((preserve_access_index));
SEC("raw_tp/sys_enter")
int core_tgid(void *ctx) {
  struct task_struct *t = (void *)bpf_get_current_task();
  if (bpf_core_field_exists(((struct task_struct___old *)t)->gone_field)) return -1;
  return BPF_CORE_READ(t, tgid);
}
char LICENSE[] SEC("license") = "GPL";
`);
  const obj = BpfObject.load(o);
  try {
    // raw_tp test runs take only ctx_in (no repeat, no ctx_out) and run in this thread.
    const r = obj.program('core_tgid').testRun({ ctx: new Uint8Array(16), ctxOutSize: 0, repeat: 0 });
    assert.equal(r.retval, process.pid, 'tgid read at the kernel\'s offset, not the local one');
  } finally {
    obj.close();
  }
});

test('clang object: CO-RE against opts.targetBtf (bytes or a file) instead of vmlinux', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const o = compile('coretarget', `${HEAD}#include <bpf/bpf_core_read.h>
struct task_struct { int lk_only_in_target; } __attribute__((preserve_access_index));
SEC("tc") int exists(struct __sk_buff *skb) { struct task_struct *t = 0; return bpf_core_field_exists(t->lk_only_in_target) ? 7 : 1; }
char LICENSE[] SEC("license") = "GPL";
`);
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  w.struct('task_struct', 8, [{ name: 'pid', type: int, offset: 0 }, { name: 'lk_only_in_target', type: int, offset: 4 }]);
  const target = w.encode();
  const file = path.join(tmp, 'target.btf');
  fs.writeFileSync(file, target);
  for (const [targetBtf, want] of [[undefined, 1], [target, 7], [file, 7]] as const) {
    const obj = BpfObject.load(o, { targetBtf });
    try {
      assert.equal(obj.program('exists').testRun({ data: packet }).retval, want, `target ${typeof targetBtf}`);
    } finally {
      obj.close();
    }
  }
});

test('clang object: a reachable poisoned CO-RE relocation or unresolved weak kfunc is explained; a hidden subprogram loads', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const o = compile('poison', `${HEAD}#include <bpf/bpf_core_read.h>
struct task_struct { int lk_not_a_field; } __attribute__((preserve_access_index));
extern void lk_missing_kfunc(void) __ksym __weak;
__attribute__((visibility("hidden"))) __noinline int hidden_add(int a) { return a + 1; }
SEC("raw_tp/sys_enter")
int core_bad(void *ctx) { struct task_struct *t = (void *)bpf_get_current_task(); return BPF_CORE_READ(t, lk_not_a_field); }
SEC("tc") int kfunc_bad(struct __sk_buff *skb) { lk_missing_kfunc(); return 0; }
SEC("tc") int hidden(struct __sk_buff *skb) { return hidden_add(skb->len); }
char LICENSE[] SEC("license") = "GPL";
`);
  assert.throws(() => BpfObject.load(o, { programs: ['core_bad'] }), (e: unknown) => {
    assert.ok(e instanceof ObjectVerifierError);
    assert.match(e.log, /invalid func unknown#195896080/);
    assert.match(e.hints[0] ?? '', /CO-RE relocation at insn \d+ failed: .*not in any of 1 candidate\(s\) in vmlinux/);
    assert.ok(e.message.includes(e.hints[0]!));
    return true;
  });
  assert.throws(() => BpfObject.load(o, { programs: ['kfunc_bad'] }), (e: unknown) => {
    assert.ok(e instanceof ObjectVerifierError);
    assert.match(e.message, /kfunc 'lk_missing_kfunc' is called but the kernel does not have it/);
    return true;
  });
  const obj = BpfObject.load(o, { programs: ['hidden'] });
  try {
    assert.equal(obj.program('hidden').testRun({ data: packet }).retval, 65);
  } finally {
    obj.close();
  }
});

test('clang object: a verifier rejection names program, section and the C source line', async (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const o = compile('reject', `${HEAD}
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } m SEC(".maps");
SEC("xdp")
int no_null_check(struct xdp_md *ctx)
{
  __u32 k = 1;
  __u64 *v = bpf_map_lookup_elem(&m, &k);
  return *v;
}
char LICENSE[] SEC("license") = "GPL";
`);
  const maxMap = Math.max(0, ...listMaps().map((x) => x.id));
  assert.throws(() => BpfObject.load(o), (e: unknown) => {
    assert.ok(e instanceof ObjectVerifierError);
    assert.equal(e.program, 'no_null_check');
    assert.equal(e.section, 'xdp');
    assert.ok(e.source);
    assert.equal(e.source.line, 10);
    assert.match(e.source.file, /reject\.bpf\.c$/);
    assert.match(e.source.text, /return \*v;/);
    assert.match(e.message, /program 'no_null_check' in section 'xdp'/);
    assert.match(e.message, /reject\.bpf\.c:10:\d+ \(insn \d+\): return \*v;/);
    assert.match(e.log, /invalid mem access 'map_value_or_null'/);
    return true;
  });
  assert.deepEqual(await settles(() => listMaps().filter((x) => x.id > maxMap && x.name === 'm')), [], 'map m was closed again');
});

test('clang object without BTF (legacy maps section) loads, with the reason noted', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const o = compile('nobtf', `${HEAD}
struct bpf_map_def { unsigned int type, key_size, value_size, max_entries, map_flags; };
struct bpf_map_def SEC("maps") legacy = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 2 };
SEC("tc") int touch(struct __sk_buff *skb) { __u32 k = 1; __u64 *v = bpf_map_lookup_elem(&legacy, &k); if (v) *v = 77; return 3; }
char LICENSE[] SEC("license") = "GPL";
`, []);
  const obj = BpfObject.load(o);
  try {
    assert.equal(obj.btf, undefined);
    assert.ok(obj.notes.some((n) => /no BTF/.test(n)), obj.notes.join('; '));
    assert.equal(obj.program('touch').testRun({ data: packet }).retval, 3);
    assert.deepEqual(obj.map('legacy').getBytes(Uint8Array.of(1, 0, 0, 0)), Uint8Array.of(77, 0, 0, 0, 0, 0, 0, 0));
  } finally {
    obj.close();
  }
});
