// Cross-check against LLVM when it is installed (skipped otherwise): every
// line llvm-objdump prints must assemble to the bytes it printed next to it,
// and our disassembly of those bytes must reassemble to the same bytes.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { assemble, decodeInstructions, disassemble, encodeInstructions } from '../src/index.js';

const SOURCE = `
  r0 = 1; w7 = -5; r1 = r2; w1 = w2; r0 += 5; w3 += w4; r4 *= 10; w6 /= w7; r1 |= 255; w2 &= w3
  r3 <<= 32; r4 >>= r5; r5 s>>= 63; w7 ^= w8; r0 = -r0; w3 = -w3
  r1 = be16 r1; r2 = le32 r2; r3 = be64 r3
  r1 = -1 ll; r2 = 0x8000000000000000 ll; r9 = 0x1234567890 ll
  r0 = *(u8 *)(r1 + 0); w0 = *(u16 *)(r1 + 2); r0 = *(u64 *)(r1 - 8)
  *(u8 *)(r10 - 1) = w1; *(u64 *)(r10 - 8) = r1
  lock *(u32 *)(r1 + 0) += w2; lock *(u64 *)(r1 - 8) |= r3; lock *(u64 *)(r1 + 0) ^= r5
  back: goto +1; goto back
  if r1 > r2 goto back; if w1 s< 5 goto back; if r1 s>= -8 goto +8; if w1 <= w2 goto -3
  call 1; call 12; exit
  r0 = *(u8 *)skb[1]; r0 = *(u16 *)skb[r7]
`;

function tool(name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
}

const have = tool('llvm-mc') && tool('llvm-objdump');

test('llvm-objdump output reassembles to the bytes LLVM encoded', { skip: !have && 'llvm-mc/llvm-objdump not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockne-asm-'));
  try {
    // LLVM 14's asm parser wants one statement per line and no labels on instruction lines.
    const src = SOURCE.split(/[;\n]/).map((s) => s.trim()).filter(Boolean).map((s) => s.replace(/^(\w+):\s*/, '$1:\n')).join('\n');
    writeFileSync(join(dir, 'a.s'), src + '\n');
    const mc = spawnSync('llvm-mc', ['-triple', 'bpfel', '-filetype=obj', join(dir, 'a.s'), '-o', join(dir, 'a.o')], { encoding: 'utf8' });
    assert.equal(mc.status, 0, mc.stderr);
    const od = spawnSync('llvm-objdump', ['-d', '--mattr=+alu32', join(dir, 'a.o')], { encoding: 'utf8' });
    assert.equal(od.status, 0, od.stderr);
    let count = 0;
    for (const line of od.stdout.split('\n')) {
      const m = /^\s*[0-9a-f]+:\t([0-9a-f ]+)\t(.*)$/.exec(line);
      if (!m) continue;
      const bytes = m[1]!.replace(/\s+/g, '');
      const insns = assemble(m[2]!);
      assert.equal(Buffer.from(encodeInstructions(insns)).toString('hex'), bytes, m[2]);
      const ours = disassemble(decodeInstructions(Buffer.from(bytes, 'hex')));
      assert.deepEqual(assemble(ours.join('\n')), insns, ours.join('\n'));
      count++;
    }
    assert.ok(count >= 40, `only ${count} instructions found in llvm-objdump output`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('objdump jump annotations like <LBB0_2> are ignored', () => {
  assert.deepEqual(assemble('goto +3 <LBB0_2>\nif r1 > r2 goto -1 <.text+0x40>'), assemble('goto +3\nif r1 > r2 goto -1'));
});
