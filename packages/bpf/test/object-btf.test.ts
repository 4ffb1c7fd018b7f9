// An object's BTF and CO-RE relocations meeting the real kernel:
//  - clang's raw BTF is refused; after fixupBtf it loads, in every sanitise
//    mode, and libbpf (bpftool 7.1) hands the kernel the very same BTF;
//  - programs relocated by CoreResolver against this kernel compute what its
//    BTF says (test-run), a reachable poisoned relocation is refused by the
//    verifier with libbpf's signature, a guarded one loads;
//  - a bitfield read relocated against a user-given target BTF extracts the
//    right bits in the kernel;
//  - every CO-RE decision matches libbpf's own (bpftool -d debug output).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BtfReader, BtfWriter, CoreResolver, applyCoreRelos, fixupBtf, sanitizeBtf, type BtfFeatures, type CoreApplied } from '@lockne/obj';
import { Btf, BtfLoadError, Program, VerifierError, ensureBpffs, kernelBtf } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { compileBpf, readCoreObject, type CoreObject } from './support/core-object.js';

checkFdLeaks();

const FEATURES: (keyof BtfFeatures)[] = ['func', 'globalFunc', 'datasec', 'qmarkDatasec', 'float', 'declTag', 'typeTag', 'enum64'];
const NONE: BtfFeatures = Object.fromEntries(FEATURES.map((f) => [f, false]));

function loads(blob: Uint8Array): void {
  const btf = Btf.load(blob);
  btf.close();
}

/**
 * Everything fixupBtf rewrites: global data in several sections (a static, a
 * hidden global), .maps, .kconfig and .ksyms externs (a VAR, kfuncs with and
 * without parameter names, one this kernel lacks), a hidden global subprogram,
 * FLOAT, DECL_TAG and TYPE_TAG. libbpf loads it.
 */
const FIXUP_C = `
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __ttag(x) __attribute__((btf_type_tag(x)))
struct tagged { int a __tag("member_tag"); int __ttag("user") *p; } __tag("struct_tag");
struct { __uint(type, 2); __uint(max_entries, 1); __type(key, int); __type(value, long); } counts SEC(".maps");
int g1 = 1;
static int s1 = 2;
long g2 = 3;
__attribute__((visibility("hidden"))) int h1 = 4;
const volatile int ro1 = 5;
const volatile float ratio = 1.5f;
int bss1;
struct tagged tagged_var;
char custom[8] SEC(".data.custom") = "custom";
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern _Bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern const void bpf_prog_active __ksym __weak;
extern int lockne_no_such_kfunc(int, void *) __ksym __weak;
extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym __weak;
__attribute__((noinline)) __attribute__((visibility("hidden"))) int hidden_sub(int x) __tag("fn_tag") { return x + g1; }
__attribute__((noinline)) int global_sub(int x) { return x * 2 + bss1; }
SEC("tc") int prog(void *ctx) {
	s1++;
	if (bpf_rcu_read_lock && bpf_rcu_read_unlock) { bpf_rcu_read_lock(); bpf_rcu_read_unlock(); }
	if (lockne_no_such_kfunc) return lockne_no_such_kfunc(1, &counts);
	return hidden_sub(g1) + global_sub(s1) + g2 + h1 + ro1 + *(const volatile int *)&ratio + bss1 + tagged_var.a + custom[1]
		+ LINUX_KERNEL_VERSION + CONFIG_BPF_SYSCALL + (long)&bpf_prog_active;
}
char LICENSE[] SEC("license") = "GPL";
`;

test("clang's BTF is refused as-is and loads once fixed up", (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = readCoreObject(compileBpf(FIXUP_C));
  assert.throws(() => loads(obj.btfBytes), (e: unknown) => {
    assert.ok(e instanceof BtfLoadError);
    assert.equal(e.code, 'EINVAL');
    assert.match(e.log, /FUNC bpf_rcu_read_(un)?lock type_id=\d+ Invalid func linkage/);
    return true;
  });
  loads(fixupBtf(obj.btfBytes, { sections: obj.sections, staticFuncs: ['hidden_sub'] }));
});

/** ENUM64, a signed ENUM and a '?' DATASEC, which clang 14 does not emit. */
function extraKinds(): Uint8Array {
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  w.enum64('big', [['BIG_A', 1n << 40n], ['BIG_B', -1n]], { signed: true });
  w.enum('neg', [['NEG_M', -1], ['NEG_P', 1]], { signed: true });
  const q = w.var('q', int, 'global');
  w.datasec('?.data.q', 4, [{ type: q, offset: 0, size: 4 }]);
  return w.encode();
}

test('every sanitise mode still loads', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = readCoreObject(compileBpf(FIXUP_C));
  const fixed = fixupBtf(obj.btfBytes, { sections: obj.sections, staticFuncs: ['hidden_sub'] });
  for (const blob of [fixed, extraKinds()]) {
    for (const f of FEATURES) {
      try {
        loads(sanitizeBtf(blob, { [f]: false }));
      } catch (e) {
        assert.fail(`without ${f}: ${(e as Error).message}`);
      }
    }
    loads(sanitizeBtf(blob, NONE));
  }
});

function bpftool(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('bpftool', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`bpftool: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}
const haveBpftool = (): string | null => (spawnSync('bpftool', ['version'], { stdio: 'ignore' }).status === 0 ? null : 'bpftool not installed');

test('libbpf loads exactly the BTF fixupBtf produces', (t) => {
  if (skipUnless(t, needRoot() ?? haveBpftool())) return;
  ensureBpffs();
  const dir = mkdtempSync(join(tmpdir(), 'lkbtf'));
  const pins = `/sys/fs/bpf/lk${process.pid}btf`;
  try {
    const bytes = compileBpf(FIXUP_C);
    writeFileSync(join(dir, 'fixup.o'), bytes);
    const load = bpftool(['prog', 'loadall', join(dir, 'fixup.o'), pins]);
    assert.equal(load.status, 0, load.out);
    const show = JSON.parse(bpftool(['prog', 'show', 'pinned', `${pins}/prog`, '-j']).out) as { btf_id: number };
    const theirs = bpftool(['btf', 'dump', 'id', String(show.btf_id)]);
    const obj = readCoreObject(bytes);
    // No `hidden` sets: libbpf 1.1 (bpftool 7.1) does not yet turn hidden global VARs static.
    writeFileSync(join(dir, 'ours.btf'), fixupBtf(obj.btfBytes, { sections: obj.sections, staticFuncs: ['hidden_sub'] }));
    const ours = bpftool(['btf', 'dump', 'file', join(dir, 'ours.btf')]);
    assert.equal(ours.status, 0, ours.out);
    assert.equal(ours.out, theirs.out);
  } finally {
    rmSync(pins, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

const RUN_C = `
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
struct task_struct___run {
	int pid;
	int tgid;
	struct task_struct___run *real_parent;
	unsigned int __state;
	int lockne_missing;
} __attribute__((preserve_access_index));
enum pid_type___run { PIDTYPE_TGID___run = 8, PIDTYPE_SID___run = 9, LOCKNE_NO_PIDTYPE = 10 };
struct lockne_absent_type { int x; };
SEC("tc") int type_size(void *ctx) { return bpf_core_type_size(struct task_struct___run); }
SEC("tc") int pid_offset(void *ctx) { return bpf_core_field_offset(struct task_struct___run, tgid); }
SEC("tc") int enum_value(void *ctx) { return bpf_core_enum_value(enum pid_type___run, PIDTYPE_SID___run); }
SEC("tc") int target_id(void *ctx) { return bpf_core_type_id_kernel(struct task_struct___run); }
SEC("tc") int guarded(void *ctx) {
	if (bpf_core_field_exists(struct task_struct___run, lockne_missing))
		return bpf_core_field_size(struct task_struct___run, lockne_missing);
	return 77;
}
SEC("tc") int unguarded(void *ctx) { return bpf_core_field_size(struct task_struct___run, lockne_missing); }
/* Compared with libbpf only (these do not pass the verifier as tc programs). */
SEC("tc") int read_pid(void *ctx) {
	struct task_struct___run *t = (void *)bpf_get_current_task();
	return BPF_CORE_READ(t, real_parent, pid);
}
SEC("tc") int direct(struct task_struct___run *t) { return t->tgid + t->__state; }
SEC("tc") long misc(void *ctx) {
	return bpf_core_type_exists(struct lockne_absent_type) + bpf_core_type_size(struct lockne_absent_type)
		+ bpf_core_enum_value_exists(enum pid_type___run, LOCKNE_NO_PIDTYPE) + bpf_core_type_id_local(struct task_struct___run)
		+ bpf_core_field_exists(struct task_struct___run, pid) + bpf_core_enum_value(enum pid_type___run, LOCKNE_NO_PIDTYPE);
}
char LICENSE[] SEC("license") = "GPL";
`;

function relocated(obj: CoreObject, name: string, resolver: CoreResolver): CoreApplied {
  const p = obj.programs.get(name)!;
  return applyCoreRelos(p.instructions, p.relos, resolver, { program: name });
}

function run(applied: CoreApplied, name: string): number {
  const prog = Program.load({ type: 'SCHED_CLS', instructions: applied.instructions, name });
  try {
    return prog.testRun({ data: new Uint8Array(64) }).retval;
  } finally {
    prog.close();
  }
}

test('programs relocated against this kernel compute what its BTF says', (t) => {
  if (skipUnless(t, needRoot())) return;
  const kernel = kernelBtf();
  const obj = readCoreObject(compileBpf(RUN_C));
  const resolver = new CoreResolver(obj.btf, kernel);
  const ts = kernel.find('task_struct', 'STRUCT')!;
  const sid = kernel.find('pid_type', 'ENUM')!.values.find((v) => v.name === 'PIDTYPE_SID')!.value;
  assert.equal(run(relocated(obj, 'type_size', resolver), 'type_size'), ts.size);
  assert.equal(run(relocated(obj, 'pid_offset', resolver), 'pid_offset'), ts.members.find((m) => m.name === 'tgid')!.bitOffset / 8);
  assert.equal(run(relocated(obj, 'enum_value', resolver), 'enum_value'), sid);
  assert.equal(run(relocated(obj, 'target_id', resolver), 'target_id'), kernel.findId('task_struct', 'STRUCT'));

  // The poisoned size read sits behind an existence check that is now 0: dead code, loads fine.
  const guarded = relocated(obj, 'guarded', resolver);
  assert.equal(guarded.outcomes.filter((o) => o.patch.poisoned).length, 1);
  assert.equal(run(guarded, 'guarded'), 77);

  // Reachable, the verifier stops at it with libbpf's signature.
  const unguarded = relocated(obj, 'unguarded', resolver);
  const poisoned = unguarded.outcomes.find((o) => o.patch.poisoned)!;
  assert.throws(() => run(unguarded, 'unguarded'), (e: unknown) => {
    assert.ok(e instanceof VerifierError);
    assert.equal(e.code, 'EINVAL');
    assert.match(e.log, /invalid func unknown#195896080/);
    return true;
  });
  assert.match(poisoned.result.explanation, /lockne_missing .* in vmlinux .*: poisoned$/);
});

test('a bitfield read relocated against a user-given target BTF extracts the right bits in the kernel', (t) => {
  if (skipUnless(t, needRoot())) return;
  // Target: struct bits { long pad; unsigned b:3 @bit 96; int s:4 @bit 99; unsigned c:5 @bit 158 } (c straddles a u32 boundary).
  const w = new BtfWriter();
  const uint = w.int('unsigned int', 4);
  const int = w.int('int', 4, { signed: true });
  w.struct('bits', 32, [
    { name: 'pad', type: w.int('long', 8, { signed: true }), offset: 0 },
    { name: 'b', type: uint, bitOffset: 96, bitfieldSize: 3 },
    { name: 's', type: int, bitOffset: 99, bitfieldSize: 4 },
    { name: 'c', type: uint, bitOffset: 158, bitfieldSize: 5 },
  ]);
  const target = BtfReader.parse(w.encode());
  const image = new Uint8Array(32);
  const put = (bit: number, width: number, value: number): void => {
    for (let i = 0; i < width; i++) if ((value >> i) & 1) image[(bit + i) >> 3]! |= 1 << ((bit + i) & 7);
  };
  put(96, 3, 5);
  put(99, 4, -3 & 0xf);
  put(158, 5, 27);
  const words = Array.from({ length: 4 }, (_, i) => `0x${Buffer.from(image.subarray(8 * i, 8 * i + 8)).reverse().toString('hex')}ULL`);
  const src = `
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
struct bits___l { unsigned int b:3, c:5; int s:4; long pad; } __attribute__((preserve_access_index));
SEC("tc") int bitfields(void *ctx) {
	volatile __u64 buf[4];
	${words.map((w, i) => `buf[${i}] = ${w};`).join(' ')}
	struct bits___l *bits = (void *)buf;
	return BPF_CORE_READ_BITFIELD(bits, c) * 1000 + BPF_CORE_READ_BITFIELD(bits, s) + 100;
}
char LICENSE[] SEC("license") = "GPL";
`;
  const obj = readCoreObject(compileBpf(src));
  const applied = relocated(obj, 'bitfields', new CoreResolver(obj.btf, target, { targetName: 'bits BTF' }));
  assert.equal(run(applied, 'bitfields'), 27 * 1000 - 3 + 100);
});

/** libbpf's CO-RE decisions from `bpftool -d prog loadall`: per program and instruction, the new value or 'poison'. */
function libbpfDecisions(objPath: string, pins: string): Map<string, string> {
  const { out } = bpftool(['-d', 'prog', 'loadall', objPath, pins]);
  const decisions = new Map<string, string>();
  for (const line of out.split('\n')) {
    const patched = /prog '(\w+)': relo #\d+: patched insn #(\d+) \([^)]+\) (?:imm|off|imm64) \d+ -> (\d+)/.exec(line);
    if (patched) decisions.set(`${patched[1]}#${patched[2]}`, patched[3]!);
    const poisoned = /prog '(\w+)': relo #\d+: substituting insn #(\d+) w\/ invalid insn/.exec(line);
    if (poisoned) decisions.set(`${poisoned[1]}#${poisoned[2]}`, 'poison');
  }
  return decisions;
}

test('every CO-RE decision against this kernel matches libbpf (bpftool -d)', (t) => {
  if (skipUnless(t, needRoot() ?? haveBpftool())) return;
  ensureBpffs();
  const dir = mkdtempSync(join(tmpdir(), 'lkcore'));
  const pins = `/sys/fs/bpf/lk${process.pid}core`;
  try {
    const bytes = compileBpf(RUN_C);
    writeFileSync(join(dir, 'run.o'), bytes);
    // Several programs do not verify; libbpf relocates every program before loading any.
    const theirs = libbpfDecisions(join(dir, 'run.o'), pins);
    const obj = readCoreObject(bytes);
    const resolver = new CoreResolver(obj.btf, kernelBtf());
    const ours = new Map<string, string>();
    for (const name of obj.programs.keys()) {
      for (const o of relocated(obj, name, resolver).outcomes) {
        if (!o.patch.poisoned) ours.set(`${name}#${o.relo.insnOff}`, String(o.result.newValue));
        // libbpf reports each poisoned slot, two for an LD_IMM64.
        else o.patch.after.forEach((_, i) => ours.set(`${name}#${o.relo.insnOff + i}`, 'poison'));
      }
    }
    // byte_off (ALU and LDX), byte_sz, field_exists, type id local/target, type exists/size, enumval exists/value,
    // poisoned ALU movs and a poisoned LD_IMM64 (two slots).
    assert.equal(ours.size, 18);
    assert.deepEqual(new Map([...ours].sort()), new Map([...theirs].sort()));
  } finally {
    rmSync(pins, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
