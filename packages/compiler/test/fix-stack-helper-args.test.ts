// Defect fix: a helper called on a stack struct's field (`bpf.getCurrentComm(e.comm)`)
// used to form the address in r10 itself (`r10 += -24`), which the verifier refuses
// ("frame pointer is read only"). The exec-tracer program building its record on the
// stack now loads, runs on a real exec and publishes the child's pid and comm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { BpfObject, RingBufferReader, type BpfMap } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const SRC = `import { tracepoint, xdp, RingBuf, struct, array, bpf, u8, u32, type Infer, type FixedArray } from '@lockne/kernel';
export const ExecEvent = struct('exec_event', { pid: u32, comm: array(u8, 16) });
export type ExecEvent = Infer<typeof ExecEvent>;
export const Pair = struct('pair', { tag: u32, a: array(u8, 16), b: array(u8, 16) });
export type Pair = Infer<typeof Pair>;
export const events = new RingBuf({ size: 4096 });
export const onExec = tracepoint('sched', 'sched_process_exec', (ctx) => {
  const e: ExecEvent = { pid: u32(bpf.getCurrentPidTgid() >> 32n), comm: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] as FixedArray<u8, 16> };
  bpf.getCurrentComm(e.comm);
  events.output(ExecEvent, e);
  return 0;
});
// Two stack buffers filled by helpers in one program: both addresses are r10-relative
// and r10 must be unchanged between them (the second write lands at its own offset).
export const twoBuffers = xdp((ctx) => {
  const p: Pair = { tag: 7, a: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] as FixedArray<u8, 16>, b: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] as FixedArray<u8, 16> };
  bpf.getCurrentComm(p.a);
  bpf.getCurrentComm(p.b);
  return p.tag + u32(p.a[0]) - u32(p.b[0]);
});
`;

function commText(d: Uint8Array): string {
  const nul = d.indexOf(0);
  return Buffer.from(d.subarray(0, nul < 0 ? d.length : nul)).toString();
}

test('getCurrentComm into a stack struct field: no write to r10 in the code', () => {
  const r = compile('/virtual/exec.bpf.ts', { source: SRC, emit: 'asm' });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  assert.ok(r.asm);
  assert.doesNotMatch(r.asm, /\br10 [-+*/&|^]?= /, 'nothing assigns r10');
});

test('exec tracer with its record on the stack: loads, runs on exec, publishes pid and comm', (t) => {
  if (skipUnless(t, needRoot())) return;
  const r = compile('/virtual/exec.bpf.ts', { source: SRC });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const obj = BpfObject.load(r.object!, { requireBtf: true });
  try {
    // Both programs pass the verifier; the xdp one runs: 7 + comm[0] - comm[0].
    assert.equal(obj.program('twoBuffers').testRun({ data: new Uint8Array(64) }).retval, 7);
    const got: Uint8Array[] = [];
    const reader = new RingBufferReader(obj.map('events') as unknown as BpfMap<never, never>, { onSample: (d) => got.push(d), copy: true, watch: false });
    try {
      const link = obj.program('onExec').attach();
      let pid: number | undefined;
      try {
        const child = spawnSync('/bin/true');
        assert.equal(child.status, 0);
        pid = child.pid;
      } finally {
        link.close();
      }
      reader.consume();
      const mine = got.filter((d) => d.byteLength === 20 && new DataView(d.buffer, d.byteOffset).getUint32(0, true) === pid);
      assert.equal(mine.length, 1, `one record for pid ${pid} among ${got.length}`);
      assert.equal(commText(mine[0]!.subarray(4, 20)), 'true');
    } finally {
      reader.close();
    }
  } finally {
    obj.close();
  }
});
