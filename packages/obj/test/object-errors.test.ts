// Bad input: every failure is an ObjectParseError naming the section and
// offset (or a BtfParseError for a broken .BTF), never any other exception,
// and never a hang: thousands of mutations of real objects run in a worker
// the test kills if one parse stops making progress.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ObjectParseError, parseObject } from '../src/index.js';
import { readElfRel } from '../src/object/elf-rel.js';
import { Cc, haveClang, haveGcc, need } from './support/object-cc.js';
import type { FuzzJob, FuzzMsg } from './support/object-fuzz-worker.js';
import { EXTERNS, LEGACY, RICH } from './support/object-sources.js';

let cc: Cc | undefined;
let rich: Uint8Array = new Uint8Array();
const objects: Uint8Array[] = [];
before(() => {
  if (!haveClang) return;
  cc = new Cc();
  rich = cc.read(cc.bpf('rich', RICH));
  objects.push(rich, cc.read(cc.bpf('externs', EXTERNS)), cc.read(cc.bpf('legacy', LEGACY)));
});
after(() => cc?.dispose());

function parseError(bytes: Uint8Array): ObjectParseError {
  try {
    parseObject(bytes);
  } catch (e) {
    assert.ok(e instanceof ObjectParseError, `expected ObjectParseError, got ${String(e)}`);
    return e;
  }
  assert.fail('parsed without error');
}

const patch = (bytes: Uint8Array, f: (view: DataView, b: Uint8Array) => void): Uint8Array => {
  const b = bytes.slice();
  f(new DataView(b.buffer), b);
  return b;
};

test('truncated files are ObjectParseErrors', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  for (const len of [0, 3, 16, 63, 64, 100, rich.length >> 1, rich.length - 1]) {
    const e = parseError(rich.subarray(0, len));
    assert.ok(e.message.length > 0 && Number.isInteger(e.offset), `length ${len}`);
  }
  assert.match(parseError(rich.subarray(0, 10)).message, /shorter than the 64-byte ELF64 header/);
  const cut = parseError(rich.subarray(0, rich.length - 1));
  assert.equal(cut.section, '');
  assert.match(cut.message, /section header/);
});

test('an object for another machine (gcc, host) is refused by e_machine', (t) => {
  if (!need(t, haveGcc, 'gcc') || !need(t, haveClang, 'clang')) return;
  const host = cc!.read(cc!.host('host', 'int f(int x) { return x + 1; }\n'));
  const e = parseError(host);
  assert.equal(e.section, '');
  assert.equal(e.offset, 18);
  assert.match(e.message, /e_machine \d+ is not EM_BPF \(247\)/);
  assert.match(parseError(patch(rich, (v) => v.setUint16(16, 2, true))).message, /e_type 2 is not ET_REL/);
  assert.match(parseError(patch(rich, (v, b) => { b[4] = 1; })).message, /ELFCLASS64/);
});

test('corrupt section headers name the header field', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const elf = readElfRel(rich);
  const shoff = Number(new DataView(rich.buffer, rich.byteOffset).getBigUint64(40, true));
  let e = parseError(patch(rich, (v) => v.setBigUint64(40, BigInt(rich.length + 100), true)));
  assert.deepEqual([e.section, e.offset], ['', 40]);
  e = parseError(patch(rich, (v) => v.setUint16(58, 32, true)));
  assert.deepEqual([e.section, e.offset], ['', 58]);
  const text = elf.sections.find((s) => s.name === 'xdp')!;
  e = parseError(patch(rich, (v) => v.setBigUint64(text.headerOffset + 24, BigInt(rich.length), true)));
  assert.deepEqual([e.section, e.offset], ['', shoff + text.index * 64 + 24]);
  assert.match(e.message, new RegExp(`section ${text.index} data .* runs past the end`));
  e = parseError(patch(rich, (v) => v.setUint32(text.headerOffset, 0xffffff, true)));
  assert.match(e.message, /name of section \d+: string offset 16777215 is outside/);
});

test('a relocation against a missing symbol names the section and offset', (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const elf = readElfRel(rich);
  const rel = elf.sections.find((s) => s.name === '.relxdp')!;
  const le = true;
  const view = new DataView(rich.buffer, rich.byteOffset);
  const rOffset = Number(view.getBigUint64(rel.offset, le));
  let e = parseError(patch(rich, (v) => v.setUint32(rel.offset + 12, 0xffff, le)));
  assert.deepEqual([e.section, e.offset], ['xdp', rOffset]);
  assert.match(e.message, /relocation #0 \(in \.relxdp\) at offset \d+: relocation against missing symbol #65535/);
  // Off an instruction boundary.
  e = parseError(patch(rich, (v) => v.setBigUint64(rel.offset, BigInt(rOffset + 3), le)));
  assert.deepEqual([e.section, e.offset], ['xdp', rOffset + 3]);
  // Against an instruction that cannot be relocated (the first one of the program is a mov).
  e = parseError(patch(rich, (v) => v.setBigUint64(rel.offset, 0n, le)));
  assert.match(e.message, /instruction code 0x[0-9a-f]+ cannot be relocated/);
});

test('2400 mutations of real objects: only ObjectParseError/BtfParseError, each parse within its time budget', { timeout: 120_000 }, async (t) => {
  if (!need(t, haveClang, 'clang')) return;
  const job: FuzzJob = { objects, seed: 0x10c4e, count: 2400 };
  const budgetMs = 1000;
  const stallMs = 10_000;
  const outcomes = new Map<string, number>();
  const bad: string[] = [];
  let slowest = 0;
  let current = -1;
  const worker = new Worker(new URL('./support/object-fuzz-worker.js', import.meta.url), { workerData: job });
  await new Promise<void>((resolve, reject) => {
    let timer = setTimeout(stall, stallMs);
    function stall(): void {
      void worker.terminate();
      reject(new Error(`mutation #${current} (seed ${job.seed}) made no progress for ${stallMs} ms: a hang`));
    }
    worker.on('message', (m: FuzzMsg) => {
      clearTimeout(timer);
      timer = setTimeout(stall, stallMs);
      current = m.index;
      if (m.kind === 'start') return;
      slowest = Math.max(slowest, m.ms);
      if (m.ms > budgetMs) bad.push(`mutation #${m.index} took ${m.ms.toFixed(0)} ms`);
      if (m.kind === 'bad') bad.push(`mutation #${m.index}: ${m.error}`);
      else outcomes.set(m.outcome, (outcomes.get(m.outcome) ?? 0) + 1);
    });
    worker.on('error', (e) => { clearTimeout(timer); reject(e); });
    worker.on('exit', () => { clearTimeout(timer); resolve(); });
  });
  assert.deepEqual(bad.slice(0, 5), [], `${bad.length} bad outcomes (seed ${job.seed})`);
  const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
  assert.equal(total, job.count);
  // The mutations must reach deep: many fail in different ways, and some still parse.
  assert.ok((outcomes.get('ObjectParseError') ?? 0) > 200, JSON.stringify([...outcomes]));
  assert.ok((outcomes.get('ok') ?? 0) > 100, JSON.stringify([...outcomes]));
  t.diagnostic(`outcomes ${JSON.stringify([...outcomes])}, slowest ${slowest.toFixed(1)} ms`);
});
