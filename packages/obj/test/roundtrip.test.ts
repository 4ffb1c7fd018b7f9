// Property tests: disassembly is an exact inverse of assembly, for valid
// programs and for arbitrary bytes.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assemble, decodeInstructions, disassemble, encodeInstructions } from '../src/index.js';
import { Gen, randomBytes, randomProgram, rng } from './support/random.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('2500 random valid programs: asm(disasm(x)) deep-equals x, with no raw .insn lines', () => {
  const g = new Gen(rng(0x5eed));
  for (let n = 0; n < 2500; n++) {
    const prog = randomProgram(g);
    const lines = disassemble(prog);
    const raw = lines.find((l) => l.startsWith('.insn'));
    assert.equal(raw, undefined, `valid instruction printed raw: ${raw}`);
    assert.deepEqual(assemble(lines.join('\n')), prog, lines.join('\n'));
  }
});

test('random valid programs also round-trip through bytes and ";"-joined text', () => {
  const g = new Gen(rng(42));
  for (let n = 0; n < 500; n++) {
    const bytes = encodeInstructions(randomProgram(g));
    const text = disassemble(decodeInstructions(bytes)).join('; ');
    assert.equal(hex(encodeInstructions(assemble(text))), hex(bytes), text);
  }
});

test('3000 random byte strings: encode(asm(disasm(decode(b)))) equals b', () => {
  const g = new Gen(rng(0xb17e5));
  for (let n = 0; n < 3000; n++) {
    const bytes = randomBytes(g);
    const insns = decodeInstructions(bytes);
    const text = disassemble(insns).join('\n');
    const again = assemble(text);
    assert.deepEqual(again, insns, text);
    assert.equal(hex(encodeInstructions(again)), hex(bytes), text);
  }
});

test('every opcode byte with zeroed fields round-trips', () => {
  for (let code = 0; code < 256; code++) {
    for (const imm of [0, 16, 0x100, 0x110, 0xe1]) {
      const insns = decodeInstructions(new Uint8Array([code, 0x21, 0, 0, imm & 0xff, imm >> 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
      assert.deepEqual(assemble(disassemble(insns).join('\n')), insns, `code 0x${code.toString(16)} imm ${imm}`);
    }
  }
});

test('a broken LD_IMM64 second slot prints both slots raw', () => {
  const insns = decodeInstructions(new Uint8Array([0x18, 1, 0, 0, 5, 0, 0, 0, 0x00, 1, 0, 0, 0, 0, 0, 0]));
  assert.deepEqual(disassemble(insns), ['.insn 0x18, 1, 0, 0, 5', '.insn 0x00, 1, 0, 0, 0']);
  assert.deepEqual(disassemble(insns.slice(0, 1)), ['.insn 0x18, 1, 0, 0, 5']);
});
