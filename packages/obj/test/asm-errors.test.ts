import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AsmError, assemble } from '../src/index.js';

// [source, expected message]; the message starts with line:column (1-based).
const CASES: [string, string][] = [
  ['r0 = 1\nr11 = 2', "2:1: unknown register 'r11'"],
  ['r0 = 1\n  r1 += r12', "2:9: unknown register 'r12'"],
  ['  frob r1', "1:3: unknown instruction 'frob'"],
  ['r0 = 0; r0 = frob', "1:14: unknown operation 'frob'"],
  ['goto nowhere', "1:6: undefined label 'nowhere'"],
  ['a: exit\na: exit', "2:1: duplicate label 'a' (first defined at 1:1)"],
  ['r1: exit', "1:1: 'r1' is a register name, not a label"],
  ['r1 = map[nope] ll', "1:10: unknown map 'nope'"],
  ['r1 = map[nope] ll', "1:10: unknown map 'nope' (no maps were given to the assembler)"],
  ['r0 = 0x100000000', '1:6: immediate 4294967296 does not fit in 32 bits'],
  ['r1 = 0x10000000000000000 ll', '1:6: immediate 18446744073709551616 does not fit in 64 bits'],
  ['r0 = *(u32 *)(r1 + 32768)', '1:20: offset 32768 does not fit in 16 bits (-32768..32767)'],
  ['exit\ngoto +32768', '2:6: offset 32768 does not fit in 16 bits'],
  ['w1 += r2', "1:7: expected a wN register (32-bit), got 'r2'"],
  ['if r1 ~ 1 goto +1', "1:7: unexpected character '~'"],
  ['if r1 = 1 goto +1', "1:7: expected a comparison (== != > >= < <= s> s>= s< s<= &), got '='"],
  ['if r1 == 1 goto', "1:16: expected a label or '+N'/'-N', got end of input"],
  ['if r1 == 1 goto 3', "1:17: expected a label or '+N'/'-N', got '3'"],
  ['r0 = *(u64 *)(r1 + 0', "1:21: expected ')', got end of input"],
  ['r0 = *(u64 *)(r1 + 0;', "1:21: expected ')', got end of statement"],
  ['r0 = *(i32 *)(r1 + 0)', "1:8: expected a type (u8 u16 u32 u64 s8 s16 s32), got 'i32'"],
  ['call nosuch', "1:6: unknown helper or label 'nosuch'"],
  ['call bpf_map_lookup_elem#2', "1:26: helper 'bpf_map_lookup_elem' has id 1, not 2"],
  ['r3 = atomic_fetch_add((u64 *)(r1 + 0), r2)', "1:1: atomic_fetch_add returns the old value in its value register 'r2', got 'r3'"],
  ['r1 = cmpxchg_64(r1 + 0, r0, r2)', "1:1: cmpxchg returns the old value in r0, got 'r1'"],
  ['lock *(u8 *)(r1 + 0) += r2', '1:8: atomic read-modify-write takes u32 or u64'],
  ['lock *(u64 *)(r1 + 0) -= r2', "1:23: expected '+=', '|=', '&=' or '^=', got '-='"],
  ['w1 = 1 ll', "1:1: a 64-bit immediate load needs an rN destination, got 'w1'"],
  ['.insn 0x100, 0, 0, 0, 0', '1:7: opcode 256 is out of range 0..255'],
  ['.insn 0x1, 0, 0, 0', "1:19: expected ',', got end of input"],
  ['r1 = be16 r2', "1:11: byte swap works in place: expected 'r1', got 'r2'"],
  ['w1 = (s32)w2', "1:7: '(s32)' sign extension needs rN registers"],
  ['r3 = *(u8 *)skb[1]', "1:1: packet loads always write r0, got 'r3'"],
  ['r0 = 12abc', "1:6: invalid number '12abc'"],
  ['r0 = 1 /* never closed', "1:8: unterminated '/*' comment"],
  ['r0 = 1 r1', "1:8: expected end of statement, got 'r1'"],
  ['r0 ! 1', "1:4: unexpected character '!'"],
  ['r0 == 1', "1:4: expected '=' or an operator such as '+=', got '=='"],
];

test(`${CASES.length} bad inputs fail with line:column and what was expected`, () => {
  for (const [i, [source, message]] of CASES.entries()) {
    const maps = i === 7 ? { known: 1 } : undefined;
    assert.throws(() => assemble(source, maps ? { maps } : {}), (e: unknown) => {
      assert.ok(e instanceof AsmError, `${source}: not an AsmError: ${e}`);
      assert.equal(e.message, message, source);
      const [line, col] = message.split(':').map(Number);
      assert.equal(e.line, line);
      assert.equal(e.column, col);
      assert.ok(e instanceof Error);
      return true;
    });
  }
});

test('a label out of 16-bit reach is an error at the reference', () => {
  const src = `goto far\n${'r0 = 0\n'.repeat(40000)}far: exit`;
  assert.throws(() => assemble(src), { message: "1:6: label 'far' is 40000 slots away; a 16-bit offset reaches -32768..32767" });
  // gotol reaches it
  assert.equal(assemble(src.replace('goto far', 'gotol far'))[0]!.imm, 40000);
});
