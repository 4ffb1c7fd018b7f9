// compile() → ELF objects: they parse back with parseObject (programs in their
// libbpf sections, BTF-defined maps typed by the TS key/value types, func_info
// and TS line_info, license), load with BpfObject.load and compute the right
// results, load with bpftool/libbpf (same test-run result, maps dumped through
// BTF, `prog dump xlated linum` shows the TS lines), and a verifier rejection
// names the TS file, line and text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BtfReader, parseObject } from '@lockne/obj';
import { BpfObject, ObjectVerifierError, RingBufferReader, mapInfoByFd } from '@lockne/bpf';
import { buildObject, compile, compileToInstructions, formatDiagnostic } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const FILE = '/virtual/count.bpf.ts';
const SRC = `import { xdp, tc, XdpAction, TcAction, type XdpContext, HashMap, LruHashMap, ArrayMap, u32, u64, i32, license } from '@lockne/kernel';

export const LICENSE = license('Dual BSD/GPL');
export const counts = new HashMap<u32, u64>({ maxEntries: 1024 });
export const recent = new LruHashMap<u64, i32>({ maxEntries: 16 });
export const slots = new ArrayMap<u32>({ maxEntries: 4 });

export const countPackets = xdp((ctx: XdpContext): XdpAction => {
  const key: u32 = u32(ctx.ingressIfindex);
  const v = counts.lookup(key);
  if (v !== null) { v.value += 1n; } else { counts.update(key, 1n); }
  return XdpAction.PASS;
});

export const arith = tc((ctx) => {
  const a = i32(-7);
  const b = u32(a / 2) * 3;
  const s = slots.lookup(1);
  if (s !== null) { s.value = b; }
  recent.update(u64(b), a);
  return b;
});
`;

/** 1-based line of the first source line containing `needle`. */
const lineOf = (needle: string): number => SRC.split('\n').findIndex((l) => l.includes(needle)) + 1;

let firstCompileMs: number | undefined;

function compiled(): Uint8Array {
  const t0 = performance.now();
  const r = compile(FILE, { source: SRC });
  firstCompileMs ??= performance.now() - t0;
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  assert.ok(r.object, 'an object');
  return r.object;
}

test('the object parses back: sections, BTF-typed maps, func_info, TS line_info, license', () => {
  const spec = parseObject(compiled());
  const btf = BtfReader.parse(spec.btf!);
  assert.equal(spec.license, 'Dual BSD/GPL');
  assert.deepEqual(spec.programs.map((p) => [p.name, p.def.section]), [['countPackets', 'xdp'], ['arith', 'tc']]);
  const maps = new Map(spec.maps.map((m) => [m.name, m]));
  assert.deepEqual([...maps.keys()], ['counts', 'recent', 'slots']);
  const shape = (n: string) => {
    const m = maps.get(n)!;
    return [m.type, m.keySize, m.valueSize, m.maxEntries, btf.name(m.btfKeyTypeId), btf.name(m.btfValueTypeId)];
  };
  assert.deepEqual(shape('counts'), [1, 4, 8, 1024, 'u32', 'u64']);
  assert.deepEqual(shape('recent'), [9, 8, 4, 16, 'u64', 'i32']);
  assert.deepEqual(shape('slots'), [2, 4, 4, 4, 'u32', 'u32']);
  const prog = spec.programs[0]!;
  assert.equal(prog.funcInfo.length, 1);
  assert.equal(prog.funcInfo[0]!.insnOff, 0);
  assert.equal(btf.name(prog.funcInfo[0]!.typeId), 'countPackets');
  assert.deepEqual(prog.relocations.map((r) => [r.kind, r.kind === 'map' ? r.map : '']), [['map', 'counts'], ['map', 'counts']]);
  const lines = prog.lineInfo.map((l) => `${btf.string(l.fileNameOff)}:${l.line} ${btf.string(l.lineOff)}`);
  assert.equal(prog.lineInfo[0]!.insnOff, 0, 'the kernel wants line_info at instruction 0');
  for (const needle of ['const key: u32', 'const v = counts.lookup(key);', 'if (v !== null)', 'return XdpAction.PASS;']) {
    const want = `${FILE}:${lineOf(needle)} ${SRC.split('\n')[lineOf(needle) - 1]}`;
    assert.ok(lines.includes(want), `line_info has "${want}" in:\n${lines.join('\n')}`);
  }
});

test('struct and array map values become BTF STRUCT/ARRAY; the license defaults to GPL', () => {
  const src = `import { xdp, XdpAction, HashMap, struct, array, u8, u16, u32, type Infer } from '@lockne/kernel';
export const Flow = struct('flow', { proto: u8, port: u16, addr: u32, tag: array(u8, 3) });
export const flows = new HashMap<u32, Infer<typeof Flow>>({ maxEntries: 8 });
export const pass = xdp((ctx) => XdpAction.PASS);
`;
  const r = compile('/virtual/flow.bpf.ts', { source: src });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const spec = parseObject(r.object!);
  assert.equal(spec.license, 'GPL');
  const btf = BtfReader.parse(spec.btf!);
  const flows = spec.maps.find((m) => m.name === 'flows')!;
  assert.deepEqual([flows.keySize, flows.valueSize], [4, 12]);
  const st = btf.find('flow', 'STRUCT')!;
  assert.equal(flows.btfValueTypeId, btf.findId('flow', 'STRUCT'));
  assert.deepEqual(st.members.map((m) => [m.name, m.bitOffset / 8, btf.name(m.type)]), [['proto', 0, 'u8'], ['port', 2, 'u16'], ['addr', 4, 'u32'], ['tag', 8, '']]);
});

test('BpfObject.load: programs compute the right results, maps read back by name with BTF', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(compiled());
  try {
    assert.equal(obj.btfError, undefined, 'the kernel accepted the BTF');
    const count = obj.program('countPackets');
    for (let i = 0; i < 3; i++) assert.equal(count.testRun({ data: new Uint8Array(64) }).retval, 2);
    const counts = obj.map<number, bigint>('counts');
    assert.deepEqual([counts.keySize, counts.valueSize], [4, 8]);
    const entries = [...counts.entries()];
    assert.equal(entries.length, 1);
    assert.equal(entries[0]![1], 3n, 'three packets counted under the ingress ifindex');
    const info = mapInfoByFd(counts.fd);
    assert.ok(info.btfId > 0 && info.btfKeyTypeId > 0 && info.btfValueTypeId > 0, 'the map was created with BTF key/value types');
    // (-7 / 2) as i32 = -3 → u32 0xfffffffd, × 3 wraps to 0xfffffff7.
    const arith = obj.program('arith');
    assert.equal(arith.testRun({ data: new Uint8Array(64) }).retval, 0xfffffff7);
    assert.equal(obj.map<number, number>('slots').get(1), 0xfffffff7);
    assert.deepEqual([...obj.map<bigint, number>('recent').entries()], [[0xfffffff7n, -7]]);
  } finally {
    obj.close();
  }
});

function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}

function haveBpftool(): string | null {
  return run('bpftool', ['version']).status === 0 ? null : 'bpftool is not installed';
}

test('bpftool (libbpf) loads the object: same test-run result, BTF map dump, TS lines in xlated dump', (t) => {
  if (skipUnless(t, needRoot()) || skipUnless(t, haveBpftool())) return;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `lk${process.pid}emit-`));
  const pin = `/sys/fs/bpf/lk${process.pid}emit`;
  try {
    fs.writeFileSync(path.join(tmp, 'count.bpf.o'), compiled());
    fs.writeFileSync(path.join(tmp, 'pkt'), new Uint8Array(64));
    const load = run('bpftool', ['prog', 'loadall', path.join(tmp, 'count.bpf.o'), pin, 'pinmaps', `${pin}/maps`]);
    assert.equal(load.status, 0, load.stderr);
    for (let i = 0; i < 2; i++) {
      const r = run('bpftool', ['-j', 'prog', 'run', 'pinned', `${pin}/countPackets`, 'data_in', path.join(tmp, 'pkt')]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { retval: number }).retval, 2);
    }
    const dump = run('bpftool', ['-j', 'map', 'dump', 'pinned', `${pin}/maps/counts`]);
    assert.equal(dump.status, 0, dump.stderr);
    const rows = JSON.parse(dump.stdout) as { formatted?: { key: number; value: number } }[];
    assert.deepEqual(rows.map((r) => r.formatted?.value), [2], 'formatted through the BTF u32/u64 types');
    const xl = run('bpftool', ['prog', 'dump', 'xlated', 'pinned', `${pin}/countPackets`, 'linum']);
    assert.equal(xl.status, 0, xl.stderr);
    assert.match(xl.stdout, /int countPackets\(struct xdp_md \* ?ctx\)/);
    const n = lineOf('const v = counts.lookup(key);');
    assert.ok(xl.stdout.includes(`; const v = counts.lookup(key); [file:${FILE} line_num:${n}`), xl.stdout);
    assert.ok(xl.stdout.includes('; return XdpAction.PASS;'), xl.stdout);
  } finally {
    fs.rmSync(pin, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('a verifier rejection names the TS file, line and source text', (t) => {
  if (skipUnless(t, needRoot())) return;
  // Our front end insists on the null check; break it in the output (the
  // `if r0 == 0` after map_lookup_elem becomes `if r0 == 1`) to get what the
  // verifier alone would catch: a deref of map_value_or_null.
  const m = compileToInstructions(FILE, { source: SRC });
  assert.deepEqual(m.diagnostics.map(formatDiagnostic), []);
  const p = m.programs.find((x) => x.name === 'countPackets')!;
  const at = p.instructions.findIndex((i, k) => k > 0 && i.code === 0x15 && i.dst === 0 && i.imm === 0 && p.instructions[k - 1]!.code === 0x85);
  assert.ok(at > 0, 'found the null check');
  p.instructions[at] = { ...p.instructions[at]!, imm: 1 };
  const bytes = buildObject({ ...m, programs: [p] });
  let caught: unknown;
  try {
    BpfObject.load(bytes).close();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ObjectVerifierError, `ObjectVerifierError, got ${String(caught)}`);
  assert.equal(caught.program, 'countPackets');
  assert.equal(caught.section, 'xdp');
  assert.equal(caught.errno, 13, 'EACCES');
  assert.match(caught.log, /invalid mem access 'map_value_or_null'/);
  assert.doesNotMatch(caught.log, /size cannot be determined/, 'the ctx type of func_info is a sized struct');
  const line = lineOf('if (v !== null)');
  assert.deepEqual([caught.source?.file, caught.source?.line], [FILE, line]);
  assert.equal(caught.source?.text, SRC.split('\n')[line - 1]);
  assert.ok(caught.message.includes(`at ${FILE}:${line}:`), caught.message);
});

test('compile time of the example programs (printed, goal < 1 s each)', () => {
  console.log(`first compile in this process (includes TypeScript startup): ${firstCompileMs?.toFixed(0)} ms`);
  const examples: Record<string, string> = {
    'count.bpf.ts': SRC,
    'pass.bpf.ts': `import { xdp, XdpAction } from '@lockne/kernel';\nexport const pass = xdp((ctx) => XdpAction.PASS);\n`,
    'loop.bpf.ts': `import { xdp, u32 } from '@lockne/kernel';\nexport const loop = xdp((ctx) => { let s: u32 = 0; for (let i: u32 = 0; i < 10; i++) { s += i; } return s; });\n`,
  };
  for (const [name, source] of Object.entries(examples)) {
    const t0 = performance.now();
    const r = compile(`/virtual/${name}`, { source });
    const ms = performance.now() - t0;
    assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
    console.log(`compile ${name}: ${ms.toFixed(0)} ms (${r.object!.byteLength} bytes)`);
  }
});

test('a RingBuf becomes a RINGBUF map without key/value; output() records arrive through the loaded object', (t) => {
  if (skipUnless(t, needRoot())) return;
  const src = `import { xdp, XdpAction, RingBuf, struct, u32, u64 } from '@lockne/kernel';
export const Sample = struct('sample', { ifindex: u32, n: u64 });
export const events = new RingBuf({ size: 4096 });
export const emit = xdp((ctx) => {
  const r = events.output(Sample, { ifindex: u32(ctx.ingressIfindex), n: 42n });
  return r === 0n ? XdpAction.PASS : XdpAction.ABORTED;
});
`;
  const r = compile('/virtual/ring.bpf.ts', { source: src });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const spec = parseObject(r.object!);
  const ring = spec.maps.find((m) => m.name === 'events')!;
  assert.deepEqual([ring.type, ring.keySize, ring.valueSize, ring.maxEntries], [27, 0, 0, 4096]);
  const obj = BpfObject.load(r.object!);
  const got: Uint8Array[] = [];
  const reader = new RingBufferReader(obj.map('events'), { onSample: (d) => got.push(d), copy: true, watch: false });
  try {
    assert.equal(obj.program('emit').testRun({ data: new Uint8Array(64) }).retval, 2);
    reader.consume();
    assert.equal(got.length, 1);
    const v = new DataView(got[0]!.buffer, got[0]!.byteOffset, got[0]!.byteLength);
    assert.equal(got[0]!.byteLength, 16, 'struct sample: u32, 4 bytes padding, u64');
    assert.equal(v.getBigUint64(8, true), 42n);
  } finally {
    reader.close();
    obj.close();
  }
});
