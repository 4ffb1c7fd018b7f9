// Core runtime: program load + test-run, verifier errors, map basics, typed errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfMap, Program, VerifierError, SyscallError, ClosedError, ArgumentError, u32, u64 } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

// r0 = 7; exit — written as raw slots so this test does not depend on the assembler.
const RET7 = [
  { code: 0xb7, dst: 0, src: 0, off: 0, imm: 7 },
  { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
];

test('load a SCHED_CLS program and test-run it', (t) => {
  if (skipUnless(t, needRoot())) return;
  const prog = Program.load({ type: 'SCHED_CLS', instructions: RET7, name: 'ret7' });
  try {
    const r = prog.testRun({ data: new Uint8Array(64), repeat: 100 });
    assert.equal(r.retval, 7);
    assert.ok(r.durationNs >= 0);
    assert.equal(r.data.byteLength, 64);
    const info = prog.info();
    assert.equal(info.name, 'ret7');
    assert.equal(info.typeName, 'SCHED_CLS');
    assert.match(info.tag, /^[0-9a-f]{16}$/);
  } finally {
    prog.close();
  }
});

test('a rejected program throws VerifierError with the log', (t) => {
  if (skipUnless(t, needRoot())) return;
  // exit without writing r0
  const bad = [{ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
  assert.throws(() => Program.load({ type: 'SCHED_CLS', instructions: bad, name: 'bad' }), (e: unknown) => {
    assert.ok(e instanceof VerifierError);
    assert.equal(e.code, 'EACCES');
    assert.match(e.log, /R0 !read_ok/);
    assert.match(e.message, /BPF_PROG_LOAD failed: EACCES/);
    assert.match(e.message, /R0 !read_ok/);
    return true;
  });
});

test('verifier log grows past the first buffer', (t) => {
  if (skipUnless(t, needRoot())) return;
  // 3000 instructions at log level 2 produce far more than the 64 KiB first buffer.
  const body = Array.from({ length: 3000 }, () => ({ code: 0x07, dst: 0, src: 0, off: 0, imm: 1 }));
  const insns = [{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, ...body, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
  const prog = Program.load({ type: 'SCHED_CLS', instructions: insns, logLevel: 2 });
  try {
    assert.ok(prog.verifierLog.length > 64 * 1024, `log is ${prog.verifierLog.length} bytes`);
    assert.equal(prog.testRun({ data: new Uint8Array(14) }).retval, 3000);
  } finally {
    prog.close();
  }
});

test('map basics: typed set/get/delete/iterate', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: 8, name: 'core_hash' });
  try {
    m.set(1, 10n);
    m.set(2, 2n ** 63n + 5n);
    assert.equal(m.get(1), 10n);
    assert.equal(m.get(2), 2n ** 63n + 5n);
    assert.equal(m.get(3), undefined);
    assert.deepEqual([...m.keys()].sort(), [1, 2]);
    assert.equal(m.delete(1), true);
    assert.equal(m.delete(1), false);
    assert.deepEqual([...m.entries()], [[2, 2n ** 63n + 5n]]);
    const info = m.info();
    assert.equal(info.typeName, 'HASH');
    assert.equal(info.keySize, 4);
    assert.equal(info.valueSize, 8);
    assert.equal(info.name, 'core_hash');
  } finally {
    m.close();
  }
});

test('wrong key size fails before any syscall; use after close is a ClosedError', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = BpfMap.create({ type: 'HASH', keySize: 4, valueSize: 4, maxEntries: 1 });
  assert.throws(() => m.get(new Uint8Array(3)), (e: unknown) => e instanceof ArgumentError && /expected 4 bytes, got 3/.test(e.message));
  assert.throws(() => m.set(new Uint8Array(4), new Uint8Array(5)), /expected 4 bytes, got 5/);
  m.close();
  assert.throws(() => m.get(new Uint8Array(4)), (e: unknown) => e instanceof ClosedError && /map 'HASH' is closed/.test(e.message));
  m.close(); // idempotent
});

test('syscall errors name the command and errno', (t) => {
  if (skipUnless(t, needRoot())) return;
  assert.throws(
    () => BpfMap.create({ type: 'HASH', keySize: 0, valueSize: 4, maxEntries: 1, name: 'zero_key' }),
    (e: unknown) => e instanceof SyscallError && e.code === 'EINVAL' && /BPF_MAP_CREATE failed: EINVAL/.test(e.message),
  );
});

test('a test run refused for a too-short packet says why', (t) => {
  if (skipUnless(t, needRoot())) return;
  const prog = Program.load({ type: 'SCHED_CLS', instructions: RET7 });
  try {
    assert.throws(() => prog.testRun({ data: new Uint8Array(4) }), (e: unknown) =>
      e instanceof SyscallError && e.code === 'EINVAL' && /SCHED_CLS test runs need data of at least 14 bytes \(an Ethernet header\), got 4/.test(e.message));
    assert.equal(prog.testRun({ data: new Uint8Array(14) }).retval, 7);
  } finally {
    prog.close();
  }
});
