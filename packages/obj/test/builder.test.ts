import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgramBuilder, assemble, disassemble } from '../src/index.js';

test('the example from the docs resolves labels', () => {
  const b = new ProgramBuilder();
  b.mov64Imm(0, 1);
  b.jmpImm('JEQ', 1, 0, 'out');
  b.label('out');
  b.exit();
  assert.deepEqual(disassemble(b.build()), ['r0 = 1', 'if r1 == 0 goto +0', 'exit']);
});

test('builder output equals the assembler output for the same program', () => {
  const built = new ProgramBuilder()
    .ldMapFd(1, 5)
    .stMem('W', 10, -4, 0)
    .mov64Reg(2, 10)
    .alu64Imm('ADD', 2, -4)
    .call('bpf_map_lookup_elem')
    .jmpImm('JEQ', 0, 0, 'miss')
    .mov64Imm(1, 1)
    .atomicAdd('DW', 0, 1, 0)
    .atomicAdd('W', 0, 1, 8, true)
    .label('miss')
    .ldImm64(3, 0x1234567890n)
    .ldImm64(4, -1)
    .ldMapValue(5, 6, 16)
    .ldxMem('B', 6, 1, 3)
    .ldxMemSx('H', 6, 1, 2)
    .stxMem('DW', 10, 6, -16)
    .alu32Reg('SDIV', 1, 2)
    .alu32Imm('SMOD', 1, 7)
    .mov32Imm(7, -1)
    .mov32Reg(7, 8)
    .neg64(1)
    .neg32(1)
    .endian('be', 1, 16)
    .endian('bswap', 1, 64)
    .movsx64(1, 2, 32)
    .movsx32(1, 2, 8)
    .jmpReg('JSGT', 1, 2, 'end')
    .jmp32Imm('JSET', 1, 8, 'end')
    .jmp32Reg('JLT', 1, 2, 'end')
    .atomic('CMPXCHG', 'DW', 1, 2, 0)
    .atomic('LOAD_ACQ', 'B', 0, 1, 0)
    .callLocal('sub')
    .callKfunc(1234)
    .ja('end')
    .label('sub')
    .ldFunc(2, 'sub')
    .exit()
    .label('end')
    .mov64Imm(0, 0)
    .exit()
    .build();
  const text = `
      r1 = map_fd(5) ll
      *(u32 *)(r10 - 4) = 0
      r2 = r10
      r2 += -4
      call bpf_map_lookup_elem
      if r0 == 0 goto miss
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
      w1 = atomic_fetch_add((u32 *)(r0 + 8), w1)
    miss:
      r3 = 0x1234567890 ll
      r4 = -1 ll
      r5 = map_value(6, 16) ll
      r6 = *(u8 *)(r1 + 3)
      r6 = *(s16 *)(r1 + 2)
      *(u64 *)(r10 - 16) = r6
      w1 s/= w2
      w1 s%= 7
      w7 = -1
      w7 = w8
      r1 = -r1
      w1 = -w1
      r1 = be16 r1
      r1 = bswap64 r1
      r1 = (s32)r2
      w1 = (s8)w2
      if r1 s> r2 goto end
      if w1 & 8 goto end
      if w1 < w2 goto end
      r0 = cmpxchg_64(r1 + 0, r0, r2)
      w0 = load_acquire((u8 *)(r1 + 0))
      call sub
      call kfunc(1234)
      goto end
    sub:
      r2 = func(sub) ll
      exit
    end:
      r0 = 0
      exit`;
  assert.deepEqual(built, assemble(text));
});

test('numeric targets are raw offsets', () => {
  assert.deepEqual(disassemble(new ProgramBuilder().ja(-1).jmpImm('JNE', 1, 2, 3).callLocal(-4).build()), [
    'goto -1', 'if r1 != 2 goto +3', 'call pc-4',
  ]);
});

test('build() can be called repeatedly and returns fresh copies', () => {
  const b = new ProgramBuilder().mov64Imm(0, 0).exit();
  const a = b.build();
  a[0]!.imm = 99;
  assert.equal(b.build()[0]!.imm, 0);
  assert.equal(b.length, 2);
});

test('errors name the problem', () => {
  assert.throws(() => new ProgramBuilder().ja('nowhere').exit().build(), { message: "undefined label 'nowhere' (used by instruction 0)" });
  assert.throws(() => new ProgramBuilder().label('x').label('x'), { message: "duplicate label 'x'" });
  assert.throws(() => new ProgramBuilder().mov64Imm(11 as 0, 1), { message: 'register 11 is not r0..r10' });
  assert.throws(() => new ProgramBuilder().mov64Imm(0, 2 ** 32), { message: 'immediate 4294967296 does not fit in 32 bits' });
  assert.throws(() => new ProgramBuilder().ldxMem('W', 0, 1, 40000), { message: 'offset 40000 does not fit in 16 bits' });
  assert.throws(() => new ProgramBuilder().call('bpf_nope' as 'bpf_map_lookup_elem'), { message: "unknown helper 'bpf_nope'" });
  assert.throws(() => new ProgramBuilder().atomic('ADD', 'B', 1, 2, 0), { message: 'atomic ADD takes size W or DW, not B' });
  assert.throws(() => new ProgramBuilder().ldImm64(0, 2n ** 64n), { message: `ldImm64 value ${2n ** 64n} does not fit in 64 bits` });
  const far = new ProgramBuilder().ja('far');
  for (let i = 0; i < 40000; i++) far.mov64Imm(0, 0);
  assert.throws(() => far.label('far').build(), /label 'far' is 40000 slots from instruction 0/);
});
