// CO-RE against the running kernel's BTF (/sys/kernel/btf/vmlinux, readable
// without root): a local `task_struct___mine` view with a field the kernel
// lacks, a renumbered `pid_type` enum and a type that does not exist.
// Expectations are read from the kernel BTF with BtfReader; the message text
// follows libbpf's debug output (bpf_core_format_spec).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { BtfReader, CoreResolver, CORE_POISON_IMM, applyCoreRelos, type CoreApplied, type CoreOutcome } from '../src/index.js';
import { compileBpf, readCoreObject } from './support/core-elf.js';
import { VMLINUX_C } from './support/core-sources.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const haveVmlinux = fs.existsSync(VMLINUX);
const obj = readCoreObject(compileBpf(VMLINUX_C));
const kernel = haveVmlinux ? BtfReader.parse(fs.readFileSync(VMLINUX)) : undefined;
// One resolver for the object, as a loader would use.
const resolver = kernel ? new CoreResolver(obj.btf, kernel) : undefined;

function apply(name: string): CoreApplied {
  const p = obj.programs.get(name)!;
  return applyCoreRelos(p.instructions, p.relos, resolver!, { program: name });
}
const only = (a: CoreApplied, label: string, re: RegExp): CoreOutcome => {
  const found = a.outcomes.filter((o) => o.result.kindLabel === label && re.test(o.result.local));
  assert.equal(found.length, 1, `${label} ${re}`);
  return found[0]!;
};

/** Byte offset of task_struct.<field> in the kernel, found by hand. */
function kernelOffset(field: string): number {
  const ts = kernel!.find('task_struct', 'STRUCT')!;
  const m = ts.members.find((x) => x.name === field);
  assert.ok(m, `task_struct.${field} exists in this kernel`);
  return m.bitOffset / 8;
}

const skip = !haveVmlinux && `${VMLINUX} not present`;

test('BPF_CORE_READ offsets (ALU imm) become the kernel offsets of task_struct fields', { skip }, () => {
  const a = apply('read_pid');
  const parent = only(a, 'byte_off', /\.real_parent /);
  const pid = only(a, 'byte_off', /\.pid /);
  assert.equal(parent.result.newValue, BigInt(kernelOffset('real_parent')));
  assert.equal(pid.result.newValue, BigInt(kernelOffset('pid')));
  assert.equal(a.instructions[parent.relo.insnOff]!.imm, kernelOffset('real_parent'));
  assert.equal(a.instructions[pid.relo.insnOff]!.imm, kernelOffset('pid'));
  const tsId = kernel!.findId('task_struct', 'STRUCT');
  const pidIndex = kernel!.find('task_struct', 'STRUCT')!.members.findIndex((m) => m.name === 'pid');
  assert.match(pid.result.local, /^<byte_off> \[\d+\] struct task_struct___mine\.pid \(0:0 @ offset 0\)$/);
  assert.equal(pid.result.target, `<byte_off> [${tsId}] struct task_struct.pid (0:${pidIndex} @ offset ${kernelOffset('pid')})`);
});

test('direct loads (LDX off) are patched to the kernel layout', { skip }, () => {
  const a = apply('direct');
  for (const field of ['tgid', '__state']) {
    const o = only(a, 'byte_off', new RegExp(`\\.${field} `));
    assert.equal(a.instructions[o.relo.insnOff]!.off, kernelOffset(field));
    assert.equal(a.instructions[o.relo.insnOff]!.code, o.patch.before[0]!.code, 'same access width: both are 4-byte ints');
  }
});

test('field/type/enum existence, type size, enum value and type ids against vmlinux', { skip }, () => {
  const ex = apply('exists');
  assert.equal(only(ex, 'field_exists', /\.pid /).result.newValue, 1n);
  assert.equal(only(ex, 'field_exists', /\.lockne_missing /).result.newValue, 0n);

  const ty = apply('types');
  assert.equal(only(ty, 'type_size', /task_struct___mine$/).result.newValue, BigInt(kernel!.find('task_struct', 'STRUCT')!.size));
  assert.equal(only(ty, 'type_exists', /lockne_absent_type$/).result.newValue, 0n);
  assert.equal(only(ty, 'type_size', /lockne_absent_type$/).result.newValue, 0n);

  const en = apply('enums');
  const tgid = kernel!.find('pid_type', 'ENUM')!.values.find((v) => v.name === 'PIDTYPE_TGID')!.value;
  const value = only(en, 'enumval_value', /PIDTYPE_TGID___mine = 8$/);
  assert.deepEqual([value.result.origValue, value.result.newValue], [8n, BigInt(tgid)]);
  assert.equal(en.instructions[value.relo.insnOff]!.imm, tgid);
  assert.equal(only(en, 'enumval_exists', /LOCKNE_NO_PIDTYPE/).result.newValue, 0n);

  const ids = apply('ids');
  assert.equal(only(ids, 'target_type_id', /task_struct___mine/).result.newValue, BigInt(kernel!.findId('task_struct', 'STRUCT')!));
  assert.equal(only(ids, 'local_type_id', /task_struct___mine/).result.newValue, BigInt(obj.btf.findId('task_struct___mine', 'STRUCT')!));
});

test('a missing field guarded by bpf_core_field_exists: the guard becomes 0 and the access is poisoned', { skip }, () => {
  const a = apply('missing');
  const guard = only(a, 'field_exists', /lockne_missing/);
  const access = only(a, 'byte_off', /lockne_missing/);
  assert.equal(a.instructions[guard.relo.insnOff]!.imm, 0);
  assert.equal(access.patch.poisoned, true);
  assert.deepEqual(a.instructions[access.relo.insnOff], { code: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM });
  assert.match(access.result.explanation, /lockne_missing .*not in any of 1 candidate\(s\) in vmlinux \(\[\d+\] struct task_struct\): poisoned$/);
  // The rest of the program is untouched.
  const p = obj.programs.get('missing')!;
  a.instructions.forEach((insn, i) => { if (i !== guard.relo.insnOff && i !== access.relo.insnOff) assert.deepEqual(insn, p.instructions[i]); });
});
