// The linker: each program is its entry function followed by every
// subprogram it reaches, with call / callback offsets fixed up, and its
// func_info, line_info and CO-RE records rebased. Function bodies are checked
// against llvm-objdump's disassembly of the object.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BtfReader, decodeInstructions, parseObject, type Instruction, type ObjectSpec, type ProgramSpec } from '../src/index.js';
import { Cc, haveClang, haveObjdump, need, objdumpFunctions } from './support/object-cc.js';
import { EXTERNS, RICH } from './support/object-sources.js';

let cc: Cc | undefined;
let richPath = '';
let rich: ObjectSpec | undefined;
let externs: ObjectSpec | undefined;
before(() => {
  if (!haveClang) return;
  cc = new Cc();
  richPath = cc.bpf('rich', RICH);
  rich = parseObject(cc.read(richPath));
  externs = parseObject(cc.read(cc.bpf('externs', EXTERNS)));
});
after(() => cc?.dispose());

/** Each linked function: name (from its func_info's BTF FUNC), start and end instruction. */
function layout(spec: ObjectSpec, p: ProgramSpec): { name: string; start: number; end: number }[] {
  const btf = BtfReader.parse(spec.btf!);
  return p.funcInfo.map((f, i) => ({ name: btf.name(f.typeId), start: f.insnOff, end: p.funcInfo[i + 1]?.insnOff ?? p.instructions.length }));
}

const isCall = (i: Instruction): boolean => i.code === 0x85 && i.src === 1;
const isFuncAddr = (i: Instruction): boolean => i.code === 0x18 && i.src === 4;

/** Names of the functions each function calls or takes the address of, in instruction order. */
function callGraph(spec: ObjectSpec, p: ProgramSpec): Record<string, string[]> {
  const funcs = layout(spec, p);
  const out: Record<string, string[]> = {};
  for (const f of funcs) {
    out[f.name] = [];
    for (let i = f.start; i < f.end; i++) {
      const insn = p.instructions[i]!;
      if (!isCall(insn) && !isFuncAddr(insn)) continue;
      const target = i + insn.imm + 1;
      const callee = funcs.find((g) => g.start === target);
      assert.ok(callee, `${p.name}: ${f.name} instruction ${i} jumps to ${target}, which starts no function`);
      out[f.name]!.push(callee.name);
    }
  }
  return out;
}

test('subprograms are appended depth-first and every call lands on its callee', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const spec = rich!;
  const prog1 = spec.programs.find((p) => p.name === 'prog1')!;
  // prog1 takes cb's address (bpf_loop), calls add2 (which calls add1) and the global gfunc.
  assert.deepEqual(layout(spec, prog1).map((f) => f.name), ['prog1', 'cb', 'add2', 'add1', 'gfunc']);
  assert.deepEqual(callGraph(spec, prog1), { prog1: ['cb', 'add2', 'gfunc'], cb: [], add2: ['add1'], add1: [], gfunc: [] });
  const prog2 = spec.programs.find((p) => p.name === 'prog2')!;
  assert.deepEqual(layout(spec, prog2).map((f) => f.name), ['prog2', 'add1']);
  assert.deepEqual(callGraph(spec, prog2), { prog2: ['add1'], add1: [] });
  // The callback's LD_IMM64 is marked BPF_PSEUDO_FUNC for the verifier.
  assert.equal(prog1.instructions.filter(isFuncAddr).length, 1);
  for (const p of spec.programs) assert.deepEqual(p.funcInfo.map((f) => f.insnOff), layout(spec, p).map((f) => f.start));
});

test('linked function bodies equal llvm-objdump of the object, except fixed-up immediates', (t) => {
  if (!need(t, haveClang, 'clang') || !need(t, haveObjdump, 'llvm-objdump')) return;
  const spec = rich!;
  const dump = objdumpFunctions(richPath);
  let compared = 0;
  for (const p of spec.programs) {
    const relocated = new Set(p.relocations.flatMap((r) => [r.insn, r.insn + 1]));
    for (const f of layout(spec, p)) {
      const want = dump.get(f.name);
      assert.ok(want, `llvm-objdump has ${f.name}`);
      assert.equal(f.end - f.start, want.length, `${p.name}: ${f.name} length`);
      want.forEach((hex, k) => {
        const orig = decodeInstructions(Buffer.from(hex, 'hex'))[0]!;
        const got = p.instructions[f.start + k]!;
        const i = f.start + k;
        const fixed = relocated.has(i) || isCall(got) || isFuncAddr(got);
        const at = `${p.name}: ${f.name}+${k}`;
        assert.deepEqual({ code: got.code, dst: got.dst, off: got.off }, { code: orig.code, dst: orig.dst, off: orig.off }, at);
        if (!isFuncAddr(got)) assert.equal(got.src, orig.src, at);
        if (!fixed) assert.equal(got.imm, orig.imm, at);
        compared++;
      });
    }
  }
  assert.ok(compared > 100, `${compared} instructions compared`);
});

test('line_info and func_info of appended functions are rebased to where they landed', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const spec = rich!;
  const btf = BtfReader.parse(spec.btf!);
  const prog1 = spec.programs.find((p) => p.name === 'prog1')!;
  const funcs = layout(spec, prog1);
  const offs = prog1.lineInfo.map((l) => l.insnOff);
  assert.deepEqual(offs, [...offs].sort((a, b) => a - b), 'sorted');
  assert.ok(offs.every((o) => o < prog1.instructions.length));
  for (const f of funcs) {
    // The first line record of each function is its declaration line, at the function's new start.
    const first = prog1.lineInfo.find((l) => l.insnOff >= f.start && l.insnOff < f.end);
    assert.ok(first, `${f.name} has line info`);
    assert.equal(first.insnOff, f.start, f.name);
    assert.match(btf.string(first.lineOff), new RegExp(`\\b${f.name}\\(`), f.name);
    assert.match(btf.string(first.fileNameOff), /rich\.bpf\.c$/);
    assert.ok(first.line > 0);
  }
  // add1 is linked into both programs at different places, with the same lines.
  const prog2 = spec.programs.find((p) => p.name === 'prog2')!;
  const add1In = (p: ProgramSpec): { line: number; rel: number }[] => {
    const f = layout(spec, p).find((x) => x.name === 'add1')!;
    return p.lineInfo.filter((l) => l.insnOff >= f.start && l.insnOff < f.end).map((l) => ({ line: l.line, rel: l.insnOff - f.start }));
  };
  assert.notEqual(layout(spec, prog1).find((x) => x.name === 'add1')!.start, layout(spec, prog2).find((x) => x.name === 'add1')!.start);
  assert.deepEqual(add1In(prog1), add1In(prog2));
});

test('CO-RE records carry access strings and point at the instructions they patch', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const spec = externs!;
  const btf = BtfReader.parse(spec.btf!);
  const sw = spec.programs[0]!;
  const recs = sw.coreRelos.map((r) => ({ kind: r.kind, accessStr: r.accessStr, type: btf.name(r.typeId) }));
  assert.deepEqual(recs, [
    { kind: 0, accessStr: '0:0', type: 'task_struct' }, // t->pid: FIELD_BYTE_OFFSET of member 0
    { kind: 2, accessStr: '0:1', type: 'task_struct' }, // bpf_core_field_exists(t->tgid): FIELD_EXISTS
  ]);
  const exists = sw.instructions[sw.coreRelos[1]!.insnOff]!;
  assert.deepEqual([exists.code, exists.imm], [0xb7, 1], 'FIELD_EXISTS patches a mov of 1');
  const load = sw.instructions[sw.coreRelos[0]!.insnOff]!;
  assert.equal(load.code & 0x07, 0x01, 'FIELD_BYTE_OFFSET of a direct access patches the load (LDX)');
});

test('CO-RE records of a subprogram are rebased with it', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const src = `
#include <bpf/bpf_core_read.h>
struct task_struct { int pid; int tgid; } __attribute__((preserve_access_index));
static __attribute__((noinline)) int get_tgid(struct task_struct *t) { return t ? t->tgid : 0; }
SEC("tp_btf/sched_switch") int a(unsigned long long *ctx) { return get_tgid((void *)ctx[1]); }
SEC("tp_btf/sched_switch") int b(unsigned long long *ctx) { return ((struct task_struct *)ctx[0])->pid + get_tgid((void *)ctx[2]); }
char LICENSE[] SEC("license") = "GPL";
`;
  const spec = parseObject(cc!.read(cc!.bpf('core-sub', src)));
  for (const p of spec.programs) {
    const sub = layout(spec, p).find((f) => f.name === 'get_tgid')!;
    const inSub = p.coreRelos.filter((r) => r.insnOff >= sub.start && r.insnOff < sub.end);
    assert.deepEqual(inSub.map((r) => r.accessStr), ['0:1'], p.name);
    assert.equal(p.instructions[inSub[0]!.insnOff]!.code & 0x07, 0x01, `${p.name}: the relocated tgid load`);
  }
  assert.deepEqual(spec.programs.find((p) => p.name === 'b')!.coreRelos.map((r) => r.accessStr), ['0:0', '0:1']);
});
