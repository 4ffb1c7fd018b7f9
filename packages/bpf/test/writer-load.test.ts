// Objects written by ObjectWriter (@lockne/obj) load with libbpf (bpftool
// prog loadall) and with BpfObject.load, test-run to the same result, and
// carry their TS line info into the kernel: `bpftool prog dump xlated` prints
// the source line texts as `; ...` comments (and the file with `linum`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ObjectWriter, assemble, type Instruction } from '@lockne/obj';
import { BpfObject } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const tag = `lk${process.pid % 100000}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${tag}wr-`));
const pinDir = `/sys/fs/bpf/${tag}wr`;
test.after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(pinDir, { recursive: true, force: true });
});

const run = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' });
const haveBpftool = (() => { try { return run('bpftool', ['version']).status === 0; } catch { return false; } })();

const LINES = {
  entry: 'export function count(ctx: XdpContext): number {',
  lookup: 'counts.increment(key)',
  bump: 'counter += 1',
  ret: 'return add(counter)',
  add: 'return a + limit',
};

/** Slot indices of the LD_IMM64s and the bpf-to-bpf call, in order. */
function slots(insns: readonly Instruction[]): { lddw: number[]; call: number } {
  const lddw: number[] = [];
  let call = -1;
  for (let i = 0; i < insns.length; i++) {
    if (insns[i]!.code === 0x18) lddw.push(i++);
    else if (insns[i]!.code === 0x85 && insns[i]!.src === 1) call = i;
  }
  return { lddw, call };
}

/**
 * counts[1] += 1 (inserting 1 the first time); counter += 1 (.data, starts at 10);
 * return add(counter), where static add(a) = a + limit (.rodata, 5). First run: 16.
 */
function writeCounter(): Uint8Array {
  const o = new ObjectWriter({ license: 'GPL', sourceFile: 'counter.ts' });
  const b = o.btf;
  const int = b.int('int', 4, { signed: true });
  const u32 = b.int('unsigned int', 4);
  const u64 = b.int('unsigned long long', 8);
  o.addMap({ name: 'counts', type: 1, keyType: u32, valueType: u64, maxEntries: 16 });
  o.addGlobal({ section: '.rodata', name: 'limit', typeId: b.const(b.volatile(u32)), bytes: Uint8Array.of(5, 0, 0, 0) });
  o.addGlobal({ section: '.data', name: 'counter', typeId: u64, bytes: Uint8Array.of(10, 0, 0, 0, 0, 0, 0, 0) });
  const main = assemble(`
    *(u32 *)(r10 - 4) = 1
    r2 = r10
    r2 += -4
    r1 = 0 ll
    call bpf_map_lookup_elem
    if r0 == 0 goto init
    r1 = *(u64 *)(r0 + 0)
    r1 += 1
    *(u64 *)(r0 + 0) = r1
    goto done
  init:
    *(u64 *)(r10 - 16) = 1
    r2 = r10
    r2 += -4
    r3 = r10
    r3 += -16
    r1 = 0 ll
    r4 = 0
    call bpf_map_update_elem
  done:
    r1 = 0 ll
    r2 = *(u64 *)(r1 + 0)
    r2 += 1
    *(u64 *)(r1 + 0) = r2
    r1 = r2
    call pc-1
    exit
  `);
  const m = slots(main);
  o.addProgram({
    name: 'count', section: 'xdp', instructions: main,
    funcInfo: [{ insn: 0, typeId: b.func('count', b.funcProto(int, [{ name: 'ctx', type: b.ptr(0) }])) }],
    lineInfo: [
      { insn: 0, file: 'counter.ts', line: 10, column: 1, text: LINES.entry },
      { insn: m.lddw[0]!, file: 'counter.ts', line: 12, column: 3, text: LINES.lookup },
      { insn: m.lddw[2]!, file: 'counter.ts', line: 13, column: 3, text: LINES.bump },
      { insn: m.call, file: 'counter.ts', line: 14, column: 10, text: LINES.ret },
    ],
    relocations: [{ insn: m.lddw[0]!, symbol: 'counts' }, { insn: m.lddw[1]!, symbol: 'counts' }, { insn: m.lddw[2]!, symbol: 'counter' }, { insn: m.call, symbol: 'add' }],
  });
  o.addSubprogram({
    name: 'add', instructions: assemble('r0 = 0 ll\nr0 = *(u32 *)(r0 + 0)\nr0 += r1\nexit'),
    funcInfo: [{ insn: 0, typeId: b.func('add', b.funcProto(int, [{ name: 'a', type: int }]), 'static') }],
    lineInfo: [{ insn: 0, file: 'counter.ts', line: 3, column: 3, text: LINES.add }],
    relocations: [{ insn: 0, symbol: 'limit' }],
  });
  return o.build();
}

const packet = new Uint8Array(64);

test('a written object loads with BpfObject.load: counts, globals, subprogram call, BTF line info', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(writeCounter(), { name: `${tag}w`, requireBtf: true });
  try {
    const p = obj.program('count');
    assert.equal(p.testRun({ data: packet }).retval, 16, 'counter 10 → 11, plus limit 5');
    assert.equal(p.testRun({ data: packet }).retval, 17);
    assert.equal(obj.globals.get('counter'), 12n);
    assert.equal(obj.map('counts').get(1), 2n, 'inserted, then incremented');
    assert.ok(obj.btf, 'the object BTF was loaded');
  } finally {
    obj.close();
  }
});

test('a written object loads with libbpf (bpftool prog loadall), runs the same, and shows its TS lines', (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, haveBpftool ? null : 'bpftool is not installed')) return;
  const file = path.join(tmp, 'counter.bpf.o');
  fs.writeFileSync(file, writeCounter());
  const load = run('bpftool', ['prog', 'loadall', file, pinDir]);
  assert.equal(load.status, 0, `bpftool prog loadall failed:\n${load.stderr}`);
  try {
    const pinned = path.join(pinDir, 'count');
    const input = path.join(tmp, 'packet.bin');
    fs.writeFileSync(input, packet);
    const runs = [1, 2].map(() => run('bpftool', ['prog', 'run', 'pinned', pinned, 'data_in', input]));
    for (const r of runs) assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(runs.map((r) => /Return value: (\d+)/.exec(r.stdout)?.[1]), ['16', '17'], 'same results as BpfObject.load');
    const info = JSON.parse(run('bpftool', ['prog', 'show', 'pinned', pinned, '--json']).stdout) as { id: number; btf_id?: number };
    assert.ok(info.btf_id, 'libbpf loaded the object BTF with the program');
    const dump = run('bpftool', ['prog', 'dump', 'xlated', 'id', String(info.id), 'linum']);
    assert.equal(dump.status, 0, dump.stderr);
    for (const text of Object.values(LINES)) assert.ok(dump.stdout.includes(`; ${text}`), `'; ${text}' in:\n${dump.stdout}`);
    assert.match(dump.stdout, /; counts\.increment\(key\) \[file:counter\.ts line_num:12 line_col:3\]/, 'linum shows file, line and column');
  } finally {
    fs.rmSync(pinDir, { recursive: true, force: true });
  }
});
