// The lockne-bpf CLI, run as a child process exactly as users and tools run it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble } from '@lockne/obj';
import {
  BpfMap, Link, Program, ensureBpffs, openCgroup, createCgroup, removeCgroup, pin, unpin, u32, u64,
} from '../src/index.js';
import { possibleCpus } from '../src/maps/cpus.js';
import { checkFdLeaks, needRoot, skipUnless, uniqueName } from './support/kernel.js';

checkFdLeaks();

// The installed command: bin/lockne-bpf.js runs the bundle (dist/bundle/cli.js).
// dist/test/cli.test.js -> bin/lockne-bpf.js
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/lockne-bpf.js');

interface Run { status: number | null; stdout: string; stderr: string }

function cli(args: string[], input?: string | Buffer): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], { input, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run, expect success, and return stdout. */
function ok(args: string[], input?: string | Buffer): string {
  const r = cli(args, input);
  assert.equal(r.status, 0, `lockne-bpf ${args.join(' ')} failed:\n${r.stderr}`);
  assert.equal(r.stderr, '');
  return r.stdout;
}

function json<T>(args: string[]): T {
  return JSON.parse(ok(args)) as T;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `lk${process.pid}cli-`));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ZEROS64 = '00'.repeat(64);

test('test-run --json prints exactly one JSON object with retval, durationNs, dataOutHex', (t) => {
  if (skipUnless(t, needRoot())) return;
  const r = cli(['test-run', '--type', 'sched_cls', '--asm', 'r0 = 7; exit', '--data-hex', ZEROS64, '--repeat', '1000', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  assert.deepEqual(lines.slice(1), [''], 'one line, newline-terminated');
  const out = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(out.retval, 7);
  assert.equal(typeof out.durationNs, 'number');
  assert.ok(Number.isInteger(out.durationNs) && (out.durationNs as number) >= 0);
  assert.equal(out.dataOutHex, ZEROS64, 'data passes through unchanged');
  assert.equal(out.repeat, 1000);
  assert.equal(out.ctxOutHex, '');
});

test('test-run reports what the program did to the packet and the context', (t) => {
  if (skipUnless(t, needRoot())) return;
  // XDP: write 0xab into the first byte when the packet has one; return XDP_TX.
  const file = path.join(tmp, 'xdp.s');
  fs.writeFileSync(file, `
    r2 = *(u32 *)(r1 + 0)   // data
    r3 = *(u32 *)(r1 + 4)   // data_end
    r4 = r2
    r4 += 1
    if r4 > r3 goto out
    r5 = 0xab
    *(u8 *)(r2 + 0) = r5
  out:
    r0 = 3
    exit
  `);
  const xdp = json<{ retval: number; dataOutHex: string }>(['test-run', '--type', 'xdp', '--asm-file', file, '--data-hex', '11'.repeat(20), '--json']);
  assert.equal(xdp.retval, 3);
  assert.equal(xdp.dataOutHex, `ab${'11'.repeat(19)}`);
  // The same program from stdin.
  const fromStdin = JSON.parse(ok(['test-run', '--type', 'xdp', '--asm-file', '-', '--data-hex', '11'.repeat(20), '--json'], fs.readFileSync(file))) as { dataOutHex: string };
  assert.equal(fromStdin.dataOutHex, xdp.dataOutHex);
  // SCHED_CLS with a __sk_buff context: return skb->mark (offset 8), set from --ctx-hex.
  const ctxHex = `${'00'.repeat(8)}2a000000`;
  const tc = json<{ retval: number; ctxOutHex: string }>(['test-run', '--type', 'SCHED_CLS', '--asm', 'r0 = *(u32 *)(r1 + 8); exit', '--data-hex', ZEROS64, '--ctx-hex', ctxHex, '--json']);
  assert.equal(tc.retval, 42);
  // The kernel returns its whole struct __sk_buff (192 bytes), mark included.
  assert.equal(tc.ctxOutHex.length, 192 * 2);
  assert.ok(tc.ctxOutHex.startsWith(ctxHex), tc.ctxOutHex);
  // Human output.
  const human = ok(['test-run', '--type', 'sched_cls', '--asm', 'r0 = -1; exit', '--data-hex', ZEROS64]);
  assert.match(human, /^retval {4}4294967295 \(0xffffffff\)$/m);
  assert.match(human, /^duration {2}\d+ ns\/run \(repeat 1\)$/m);
  assert.match(human, /^data out {2}64 bytes$/m);
});

test('bad assembly: exit 1 and file:line:col on stderr, nothing on stdout', () => {
  const file = path.join(tmp, 'bad.s');
  fs.writeFileSync(file, 'r0 = 1\nr11 = 2\nexit\n');
  const a = cli(['asm', file]);
  assert.equal(a.status, 1);
  assert.equal(a.stdout, '');
  assert.equal(a.stderr, `lockne-bpf: ${file}:2:1: unknown register 'r11'\n`);
  const b = cli(['test-run', '--type', 'sched_cls', '--asm', 'r0 = 1; r0 +=', '--json']);
  assert.equal(b.status, 1);
  assert.equal(b.stdout, '');
  assert.match(b.stderr, /^lockne-bpf: --asm:1:\d+: /);
  const c = cli(['asm', '-'], 'exit\n  goto nowhere\n');
  assert.equal(c.status, 1);
  assert.match(c.stderr, /^lockne-bpf: <stdin>:2:\d+: .*nowhere/);
});

test('test-run failures: typed errors on stderr, exit 1', (t) => {
  if (skipUnless(t, needRoot())) return;
  const v = cli(['test-run', '--type', 'sched_cls', '--asm', 'exit', '--json']);
  assert.equal(v.status, 1);
  assert.equal(v.stdout, '');
  assert.match(v.stderr, /^lockne-bpf: BPF_PROG_LOAD failed: EACCES \(program 'lk_test_run'\)\nverifier log/);
  assert.match(v.stderr, /R0 !read_ok/);
  const k = cli(['test-run', '--type', 'xdp', '--asm', 'r0 = 2; exit', '--data-hex', '00', '--json']);
  assert.equal(k.status, 1);
  assert.match(k.stderr, /^lockne-bpf: BPF_PROG_TEST_RUN failed: EINVAL/);
  const bad = cli(['test-run', '--type', 'nope', '--asm', 'exit']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /program type 'nope' is unknown; one of: unspec, socket_filter/);
  const hex = cli(['test-run', '--type', 'xdp', '--asm', 'r0 = 2; exit', '--data-hex', '0g']);
  assert.equal(hex.status, 1);
  assert.match(hex.stderr, /--data-hex: 'g' is not a hex digit/);
  const both = cli(['test-run', '--type', 'xdp']);
  assert.equal(both.status, 1);
  assert.match(both.stderr, /exactly one of --asm <text> or --asm-file/);
  const usage = cli(['test-run', '--asm', 'exit']);
  assert.equal(usage.status, 1);
  assert.match(usage.stderr, /required option '-t, --type <type>' not specified/);
  assert.equal(cli(['no-such-command']).status, 1);
});

test('asm and disasm round-trip through hex, bytes and JSON', () => {
  const src = 'r1 = map_fd(3) ll\nr0 = 7\nif r0 == 0 goto out\nr0 += 1\nout:\nexit\n';
  const hex = ok(['asm', '-'], src);
  assert.equal(hex, ['1811000003000000', '0000000000000000', 'b700000007000000', '1500010000000000', '0700000001000000', '9500000000000000', ''].join('\n'));
  const text = ok(['disasm', '-'], hex);
  assert.equal(text, 'r1 = map_fd(3) ll\nr0 = 7\nif r0 == 0 goto +1\nr0 += 1\nexit\n');
  assert.equal(ok(['asm', '-'], text), hex, 'disassembly assembles back to the same bytes');
  const withOffsets = ok(['disasm', '--offsets', '-'], hex);
  assert.match(withOffsets, /^0: r1 = map_fd\(3\) ll\n2: r0 = 7\n/);
  // Raw bytes in and out.
  const file = path.join(tmp, 'prog.bin');
  const bytes = spawnSync(process.execPath, [MAIN, 'asm', '--format', 'bytes', '-'], { input: src });
  assert.equal(bytes.status, 0);
  assert.equal(bytes.stdout.byteLength, 48);
  fs.writeFileSync(file, bytes.stdout);
  assert.equal(ok(['disasm', file]), text);
  assert.deepEqual(JSON.parse(ok(['disasm', '--json', file])), [
    { slot: 0, text: 'r1 = map_fd(3) ll' }, { slot: 2, text: 'r0 = 7' }, { slot: 3, text: 'if r0 == 0 goto +1' },
    { slot: 4, text: 'r0 += 1' }, { slot: 5, text: 'exit' },
  ]);
  assert.deepEqual(JSON.parse(ok(['asm', '--format', 'json', '-'], 'r0 = 1; exit')), [
    { code: 0xb7, dst: 0, src: 0, off: 0, imm: 1 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 },
  ]);
  const odd = cli(['disasm', '-'], 'b7000000');
  assert.equal(odd.status, 1);
  assert.match(odd.stderr, /4 bytes is not a non-zero multiple of 8/);
});

test('prog/map/link list show what we loaded, as text and --json', (t) => {
  if (skipUnless(t, needRoot())) return;
  const cg = createCgroup(uniqueName('cg'));
  const map = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: 4, name: 'lk_cli_map' });
  let prog: Program | undefined;
  let link: Link | undefined;
  let cgFd = -1;
  try {
    prog = Program.load({
      type: 'CGROUP_SKB', name: 'lk_cli_prog', expectedAttachType: 'CGROUP_INET_INGRESS',
      instructions: assemble(`r1 = map_fd(${map.fd}) ll; r0 = 1; exit`),
    });
    cgFd = openCgroup(cg);
    link = Link.create(prog, cgFd, 'CGROUP_INET_INGRESS');
    const pi = prog.info();
    const mi = map.info();
    const li = link.info();

    const progs = json<{ id: number; name: string; tag: string; typeName: string; mapIds: number[] }[]>(['prog', 'list', '--json']);
    const p = progs.find((x) => x.id === pi.id);
    assert.deepEqual(p && { name: p.name, tag: p.tag, typeName: p.typeName, mapIds: p.mapIds }, { name: 'lk_cli_prog', tag: pi.tag, typeName: 'CGROUP_SKB', mapIds: [mi.id] });
    assert.match(ok(['prog', 'list']), new RegExp(`^${pi.id}: cgroup_skb  name lk_cli_prog  tag ${pi.tag}\n\txlated \\d+B  jited \\d+B  uid 0  map_ids ${mi.id}`, 'm'));
    assert.match(ok(['prog', 'show']), new RegExp(`^${pi.id}: cgroup_skb`, 'm'), 'show is an alias of list');

    const maps = json<{ id: number; name: string; keySize: number; valueSize: number; maxEntries: number }[]>(['map', 'list', '--json']);
    const m = maps.find((x) => x.id === mi.id);
    assert.deepEqual(m && { name: m.name, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries }, { name: 'lk_cli_map', keySize: 4, valueSize: 8, maxEntries: 4 });
    assert.match(ok(['map', 'list']), new RegExp(`^${mi.id}: hash  name lk_cli_map  flags 0x0\n\tkey 4B  value 8B  max_entries 4`, 'm'));

    const links = json<{ id: number; progId: number; typeName: string; target: { kind: string; cgroupId: number; attachType: string } }[]>(['link', 'list', '--json']);
    const l = links.find((x) => x.id === li.id);
    assert.ok(l, 'link listed');
    assert.equal(l.progId, pi.id);
    assert.equal(l.typeName, 'CGROUP');
    assert.deepEqual(l.target, { kind: 'cgroup', cgroupId: fs.statSync(cg).ino, attachType: 'CGROUP_INET_INGRESS' });
    assert.match(ok(['link', 'list']), new RegExp(`^${li.id}: cgroup  prog ${pi.id}\n\tcgroup_id ${fs.statSync(cg).ino}  attach_type cgroup_inet_ingress$`, 'm'));
  } finally {
    link?.close();
    prog?.close();
    map.close();
    if (cgFd >= 0) fs.closeSync(cgFd);
    removeCgroup(cg);
  }
});

test('map dump by id and by pinned path; per-CPU values per CPU', (t) => {
  if (skipUnless(t, needRoot())) return;
  ensureBpffs();
  const pinned = `/sys/fs/bpf/${uniqueName('dump')}`;
  const hash = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: 4, name: 'lk_cli_dump' });
  const pcpu = BpfMap.create({ type: 'PERCPU_ARRAY', keySize: 4, valueSize: 4, maxEntries: 2, name: 'lk_cli_pcpu' });
  try {
    hash.set(1, 0x1122n);
    hash.set(2, 5n);
    const id = hash.info().id;
    const entries = json<{ key: string; value: string }[]>(['map', 'dump', String(id), '--json']);
    assert.deepEqual(entries.sort((a, b) => a.key.localeCompare(b.key)), [
      { key: '01000000', value: '2211000000000000' }, { key: '02000000', value: '0500000000000000' },
    ]);
    const human = ok(['map', 'dump', String(id)]);
    assert.match(human, /^key: 01 00 00 00\n {2}value: 22 11 00 00 00 00 00 00$/m);
    assert.match(human, /^Found 2 elements$/m);
    pin(hash, pinned);
    assert.deepEqual(json<unknown[]>(['map', 'dump', pinned, '--json']).length, 2, 'same map through its pin');

    // Per-CPU: each CPU's slot is 8 bytes (value size 4 rounded up); write CPU i's value as 0x10 + i.
    const cpus = possibleCpus();
    const buf = new Uint8Array(8 * cpus.length);
    cpus.forEach((_, i) => { buf[i * 8] = 0x10 + i; });
    pcpu.setBytes(new Uint8Array([1, 0, 0, 0]), buf);
    const pe = json<{ key: string; values: { cpu: number; value: string }[] }[]>(['map', 'dump', String(pcpu.info().id), '--json']);
    assert.equal(pe.length, 2, 'an array map has every index');
    assert.deepEqual(pe[1], { key: '01000000', values: cpus.map((cpu, i) => ({ cpu, value: `${(0x10 + i).toString(16)}000000` })) });
    assert.deepEqual(pe[0]?.values.map((v) => v.value), cpus.map(() => '00000000'));
    assert.match(ok(['map', 'dump', String(pcpu.info().id)]), /^key: 01 00 00 00\n {2}value \(CPU 00\): 10 00 00 00\n/m);
  } finally {
    if (fs.existsSync(pinned)) unpin(pinned);
    hash.close();
    pcpu.close();
  }
});

test('map dump of an unknown id or path fails with ENOENT named', (t) => {
  if (skipUnless(t, needRoot())) return;
  const r = cli(['map', 'dump', '2147483000']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'lockne-bpf: BPF_MAP_GET_FD_BY_ID failed: ENOENT (map id 2147483000)\n');
  ensureBpffs();
  const missing = `/sys/fs/bpf/${uniqueName('nomap')}`;
  const p = cli(['map', 'dump', missing, '--json']);
  assert.equal(p.status, 1);
  assert.equal(p.stderr, `lockne-bpf: BPF_OBJ_GET failed: ENOENT (path '${missing}')\n`);
});

test('probe prints the feature table, as text and --json', (t) => {
  if (skipUnless(t, needRoot())) return;
  const table = json<{
    programTypes: Record<string, { status: string }>; mapTypes: Record<string, { status: string }>;
    helpers: Record<string, Record<string, { status: string }>>;
  }>(['probe', '--json', '--helpers', 'xdp']);
  assert.equal(table.programTypes.SCHED_CLS?.status, 'supported');
  assert.equal(table.programTypes.TRACING?.status, 'unsupported');
  assert.equal(table.mapTypes.RINGBUF?.status, 'supported');
  assert.equal(table.helpers.XDP?.bpf_redirect?.status, 'supported');
  assert.equal(table.helpers.XDP?.bpf_skb_load_bytes?.status, 'unsupported');
  const text = ok(['probe']);
  assert.match(text, /^ {2}sched_cls +supported$/m);
  assert.match(text, /^ {2}tracing +unsupported {2}\(BPF_PROG_LOAD: EPERM with an empty log/m);
  assert.match(text, /^ {2}ringbuf +supported$/m);
});
