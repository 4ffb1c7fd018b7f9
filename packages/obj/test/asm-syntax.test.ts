import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble, disassemble, type Instruction } from '../src/index.js';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Instruction => ({ code, dst, src, off, imm });

test('labels, comments and separators', () => {
  const prog = assemble(`
    # a comment at line start
    r0 = 0            // trailing comment
    if r1 == 0 goto out; r0 = 1 /* block
    comment */
    r0 /* inline */ += 1
  out:
    exit
  `);
  assert.deepEqual(prog, [I(0xb7), I(0x15, 1, 0, 2), I(0xb7, 0, 0, 0, 1), I(0x07, 0, 0, 0, 1), I(0x95)]);
});

test('a label before an instruction on the same line, and several labels in a row', () => {
  assert.deepEqual(assemble('a: b: goto a\nc: goto b'), [I(0x05, 0, 0, -1), I(0x05, 0, 0, -2)]);
});

test('jump offsets count LD_IMM64 as two slots', () => {
  const prog = assemble('goto end\nr1 = 1 ll\nr2 = map_fd(3) ll\nend: exit\ngoto end');
  assert.equal(prog.length, 7);
  assert.equal(prog[0]!.off, 4);
  assert.equal(prog[6]!.off, -2);
});

test('call NAME: a label wins over a helper, else the helper table is used', () => {
  assert.deepEqual(assemble('call bpf_ktime_get_ns'), [I(0x85, 0, 0, 0, 5)]);
  assert.deepEqual(assemble('call ktime_get_ns'), [I(0x85, 0, 0, 0, 5)]);
  assert.deepEqual(assemble('call sub\nexit\nsub: exit'), [I(0x85, 0, 1, 0, 1), I(0x95), I(0x95)]);
  assert.deepEqual(assemble('call my_helper#300'), [I(0x85, 0, 0, 0, 300)]);
  assert.deepEqual(assemble('r1 = func(cb) ll\nexit\ncb: exit'), [I(0x18, 1, 4, 0, 2), I(0), I(0x95), I(0x95)]);
});

test('map references by name use the options', () => {
  const maps = { events: 7, counters: 9 };
  assert.deepEqual(assemble('r1 = map[events] ll', { maps }), [I(0x18, 1, 1, 0, 7), I(0)]);
  assert.deepEqual(assemble('r1 = map_fd(counters) ll', { maps }), [I(0x18, 1, 1, 0, 9), I(0)]);
  assert.deepEqual(assemble('r2 = map_value(counters, 16) ll', { maps }), [I(0x18, 2, 2, 0, 9), I(0, 0, 0, 0, 16)]);
  // 'll' is optional after pseudo loads
  assert.deepEqual(assemble('r1 = map_fd(3)'), assemble('r1 = map_fd(3) ll'));
});

test('immediates: unsigned spellings normalize to the decoded (signed) form', () => {
  assert.deepEqual(assemble('w0 = 0xffffffff'), [I(0xb4, 0, 0, 0, -1)]);
  assert.deepEqual(assemble('r0 = 0x80000000'), [I(0xb7, 0, 0, 0, -0x80000000)]);
  assert.deepEqual(assemble('r0 = -0'), [I(0xb7)]);
  assert.ok(!Object.is(assemble('r0 = -0')[0]!.imm, -0));
  assert.deepEqual(assemble('r0 = 0b101; r1 = 0o17'), [I(0xb7, 0, 0, 0, 5), I(0xb7, 1, 0, 0, 15)]);
  assert.deepEqual(assemble('r1 = -9223372036854775808 ll'), [I(0x18, 1, 0, 0, 0), I(0, 0, 0, 0, -0x80000000)]);
  assert.deepEqual(assemble('.insn 0x05, 0, 0, 0xffff, 0xffffffff'), [I(0x05, 0, 0, -1, -1)]);
});

test('32-bit views are accepted where LLVM prints them', () => {
  assert.deepEqual(assemble('w0 = *(u32 *)(r1 + 4)'), assemble('r0 = *(u32 *)(r1 + 4)'));
  assert.deepEqual(assemble('*(u32 *)(r10 - 4) = w1'), assemble('*(u32 *)(r10 - 4) = r1'));
  assert.deepEqual(assemble('lock *(u32 *)(r1 + 0) += r2'), assemble('lock *(u32 *)(r1 + 0) += w2'));
  assert.deepEqual(assemble('goto pc+2; call pc-1'), [I(0x05, 0, 0, 2), I(0x85, 0, 1, 0, -1)]);
});

test('whole program disassembles line by line', () => {
  const lines = disassemble(assemble(`
    r1 = map_fd(4) ll
    *(u32 *)(r10 - 4) = 0
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem
    if r0 == 0 goto +2
    lock *(u64 *)(r0 + 0) += r6
    r0 = 0
    exit
  `));
  assert.deepEqual(lines, [
    'r1 = map_fd(4) ll', '*(u32 *)(r10 - 4) = 0', 'r2 = r10', 'r2 += -4', 'call bpf_map_lookup_elem#1',
    'if r0 == 0 goto +2', 'lock *(u64 *)(r0 + 0) += r6', 'r0 = 0', 'exit',
  ]);
});
