// Ring buffer records written in place: reserve(T) → fill `.value` (fields,
// an array at a variable index) → submit, or discard; userspace reads exactly
// the submitted records. A record that can reach a return unreleased is LK3004.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject, RingBufferReader } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { xdp, tc, XdpAction, TcAction, RingBuf, ArrayMap, struct, array, type Infer, u8, u32, u64 } from '@lockne/kernel';
export const Event = struct('event', { seq: u64, len: u32, tag: array(u8, 4) });
export const events = new RingBuf({ size: 4096 });
`;

test('reserve/submit/discard: the submitted records arrive, the discarded one does not', (t) => {
  if (skipUnless(t, needRoot())) return;
  const r = compile('/virtual/rb.bpf.ts', { source: HEAD + `
export const seq = new ArrayMap<u64>({ maxEntries: 1, value: u64 });
export const emit = tc((ctx) => {
  const s = seq.lookup(0);
  if (s === null) return TcAction.SHOT;
  s.value += 1n;
  const e = events.reserve(Event);
  if (e === null) return TcAction.SHOT;
  e.value.seq = s.value;
  e.value.len = ctx.len;
  for (let i: u32 = 0; i < 4; i++) e.value.tag[i] = u8(0x41 + i);
  if (s.value === 2n) {
    events.discard(e);
    return TcAction.OK;
  }
  events.submit(e);
  return TcAction.OK;
});
` });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const obj = BpfObject.load(r.object!);
  const got: Array<{ seq: bigint; len: number; tag: string }> = [];
  const reader = new RingBufferReader(obj.map('events'), {
    watch: false,
    onSample: (d) => {
      const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
      got.push({ seq: v.getBigUint64(0, true), len: v.getUint32(8, true), tag: Buffer.from(d.subarray(12, 16)).toString() });
    },
  });
  try {
    for (const len of [64, 80, 96]) assert.equal(obj.program('emit').testRun({ data: new Uint8Array(len) }).retval, 0);
    reader.consume();
    assert.deepEqual(got, [{ seq: 1n, len: 64, tag: 'ABCD' }, { seq: 3n, len: 96, tag: 'ABCD' }]);
  } finally {
    reader.close();
    obj.close();
  }
});

test('LK3004: a record that can reach a return neither submitted nor discarded', () => {
  const diag = (body: string) => compileSource(HEAD + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
  assert.deepEqual(diag(`export const p = xdp((ctx) => {
  const e = events.reserve(Event);
  if (e === null) return XdpAction.PASS;
  e.value.seq = 1n;
  if (ctx.rxQueueIndex === 1) return XdpAction.DROP;
  events.submit(e);
  return XdpAction.PASS;
});`), ['8:31 LK3004']);
  // Released on every path (the null edge needs nothing): no diagnostic.
  assert.deepEqual(diag(`function send(v: u64): void {
  const e = events.reserve(Event);
  if (e === null) return;
  e.value.seq = v;
  if (v === 0n) { events.discard(e); return; }
  events.submit(e);
}
export const p = xdp((ctx) => { send(1n); send(0n); return XdpAction.PASS; });`), []);
});
