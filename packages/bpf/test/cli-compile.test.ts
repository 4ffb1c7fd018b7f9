// `lockne-bpf compile` (run as a child process): a *.bpf.ts source becomes an
// object that BpfObject.load loads and runs (the counter counts), `--emit asm`
// prints the disassembly with `; file:line source` comments, and a source with
// errors prints `file:line:col: LKxxxx message` on stderr and exits 1 without
// writing anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpfObject } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

// The installed command: bin/lockne-bpf.js runs the bundle (dist/bundle/cli.js).
// dist/test/cli-compile.test.js -> bin/lockne-bpf.js
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/lockne-bpf.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `lk${process.pid}compile-`));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Run { status: number | null; stdout: string; stderr: string }
function cli(args: string[]): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000, cwd: tmp });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const COUNT = `import { xdp, XdpAction, type XdpContext, HashMap, u32, u64 } from '@lockne/kernel';

export const counts = new HashMap<u32, u64>({ maxEntries: 16 });

export const countPackets = xdp((ctx: XdpContext): XdpAction => {
  const key: u32 = u32(ctx.rxQueueIndex);
  const v = counts.lookup(key);
  if (v !== null) { v.value += 1n; } else { counts.update(key, 1n); }
  return XdpAction.DROP;
});
`;

const BAD = `import { xdp, u8, u32 } from '@lockne/kernel';

export const p = xdp((ctx) => {
  const a = u32(1); const b = u8(2);
  return a + b;
});
`;

fs.writeFileSync(path.join(tmp, 'count.bpf.ts'), COUNT);
fs.writeFileSync(path.join(tmp, 'bad.bpf.ts'), BAD);

test('compile -o writes an object that loads and counts packets', (t) => {
  const r = cli(['compile', 'count.bpf.ts', '-o', 'x.o']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, '');
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(path.join(tmp, 'x.o'));
  try {
    const p = obj.program('countPackets');
    for (let i = 0; i < 4; i++) assert.equal(p.testRun({ data: new Uint8Array(64) }).retval, 1, 'XDP_DROP');
    assert.deepEqual([...obj.map<number, bigint>('counts').entries()], [[0, 4n]]);
  } finally {
    obj.close();
  }
});

test('compile without -o writes <name>.o next to the source (x.bpf.ts -> x.bpf.o)', () => {
  const r = cli(['compile', 'count.bpf.ts']);
  assert.equal(r.status, 0, r.stderr);
  const bytes = fs.readFileSync(path.join(tmp, 'count.bpf.o'));
  assert.deepEqual([...bytes.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], 'an ELF file');
});

test('--emit asm prints disassembly with `; file:line source` comments', () => {
  const r = cli(['compile', 'count.bpf.ts', '--emit', 'asm']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^countPackets: {2}; section xdp$/m);
  assert.match(r.stdout, /^; count\.bpf\.ts:7 const v = counts\.lookup\(key\);$/m);
  assert.match(r.stdout, /map_fd\(counts\) ll/);
  assert.match(r.stdout, /call bpf_map_lookup_elem#1/);
  assert.match(r.stdout, /^ +\d+: exit$/m);
});

test('a source with errors: file:line:col: LKxxxx message on stderr, exit 1, nothing written', () => {
  const r = cli(['compile', 'bad.bpf.ts', '-o', 'bad.o']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, /^bad\.bpf\.ts:5:10: LK2001 u32 and u8 have different widths/);
  assert.equal(lines[1], 'lockne-bpf: bad.bpf.ts: 1 error, nothing written');
  assert.equal(fs.existsSync(path.join(tmp, 'bad.o')), false);
});

test('bad arguments name what is wrong', () => {
  const missing = cli(['compile', 'nope.bpf.ts']);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, "lockne-bpf: 'nope.bpf.ts': no such file\n");
  const emit = cli(['compile', 'count.bpf.ts', '--emit', 'llvm']);
  assert.equal(emit.status, 1);
  assert.equal(emit.stderr, "lockne-bpf: --emit 'llvm' is unknown; one of: object, asm\n");
});
