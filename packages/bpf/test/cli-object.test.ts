// The object commands of lockne-bpf (inspect, btf dump, load, test-run obj.o),
// run as a child process on objects clang builds here, and checked against
// what bpftool/libbpf do with the same objects: the raw BTF dump line for line,
// the pin layout of `bpftool prog loadall ... pinmaps`, and the pinned
// program actually running and updating the pinned maps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BtfReader, ElfFile } from '@lockne/obj';
import { rawDump } from '../src/cli/commands/btf-raw.js';
import { ensureBpffs, openPinnedMap, openPinnedProgram, u32, u64 } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

// The installed command: bin/lockne-bpf.js runs the bundle (dist/bundle/cli.js).
// dist/test/cli-object.test.js -> bin/lockne-bpf.js
const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/lockne-bpf.js');

interface Run { status: number | null; stdout: string; stderr: string }

function run(cmd: string, args: string[], cwd?: string): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 << 20, ...(cwd ? { cwd } : {}) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const cli = (args: string[]): Run => run(process.execPath, [MAIN, ...args]);

/** Run, expect success, and return stdout. */
function ok(args: string[]): string {
  const r = cli(args);
  assert.equal(r.status, 0, `lockne-bpf ${args.join(' ')} failed:\n${r.stderr}`);
  assert.equal(r.stderr, '');
  return r.stdout;
}
const json = <T>(args: string[]): T => JSON.parse(ok(args)) as T;

/** Run, expect exit 1 with nothing on stdout, and return stderr. */
function fails(args: string[]): string {
  const r = cli(args);
  assert.equal(r.status, 1, `lockne-bpf ${args.join(' ')} should fail:\n${r.stdout}${r.stderr}`);
  assert.equal(r.stdout, '');
  return r.stderr;
}

const pid = process.pid;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `lk${pid}objcli-`));
const PIN = `/sys/fs/bpf/lk${pid}obj`;
const TOOL_PIN = `/sys/fs/bpf/lk${pid}tool`;
/** The pin-by-name map of lkpin.o: LIBBPF_PIN_BY_NAME pins it at /sys/fs/bpf/<name>. */
const BY_NAME = `lk${pid}ev`;
const BY_NAME_PIN = `/sys/fs/bpf/${BY_NAME}`;

test.after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const p of [PIN, TOOL_PIN, BY_NAME_PIN]) fs.rmSync(p, { recursive: true, force: true });
});

const MAIN_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct event { __u32 pid; __u64 ts; char comm[16]; unsigned flag: 1, kind: 3; };
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} bytes_seen SEC(".maps");
struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 16);
  __type(key, __u32);
  __type(value, struct event);
} events SEC(".maps");
__u64 packets = 0;
const volatile __u32 verdict = XDP_PASS;

SEC("xdp") int count_bytes(struct xdp_md *ctx) {
  __u32 k = 0;
  __u64 *v = bpf_map_lookup_elem(&bytes_seen, &k);
  if (v) __sync_fetch_and_add(v, ctx->data_end - ctx->data);
  __sync_fetch_and_add(&packets, 1);
  struct event e = { .pid = 7, .flag = 1 };
  bpf_map_update_elem(&events, &k, &e, BPF_ANY);
  return verdict;
}

SEC("tc") int skb_len(struct __sk_buff *skb) { return skb->len; }

char LICENSE[] SEC("license") = "GPL";
`;

const PIN_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} ${BY_NAME} SEC(".maps");

SEC("xdp") int bump(struct xdp_md *ctx) {
  __u32 k = 0;
  __u64 *v = bpf_map_lookup_elem(&${BY_NAME}, &k);
  if (v) __sync_fetch_and_add(v, 1);
  return XDP_PASS;
}
/* Refused on this kernel: trampolines (fentry) are forbidden (KERNEL-NOTES.md). */
SEC("fentry/do_unlinkat") int trampoline(void *ctx) { return 0; }
/* Rejected by the verifier: reads the packet without a bounds check. */
SEC("xdp") int bad(struct xdp_md *ctx) { return *(__u8 *)(long)ctx->data; }

char LICENSE[] SEC("license") = "GPL";
`;

const haveClang = run('clang', ['--version']).status === 0;
const haveBpftool = run('bpftool', ['version']).status === 0;

/** Build `name`.c into `name`.o in the temp dir (once). */
const built = new Map<string, string>();
function build(name: string, source: string): string {
  const hit = built.get(name);
  if (hit) return hit;
  fs.writeFileSync(path.join(tmp, `${name}.c`), source);
  const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  const cc = run('clang', ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${arch}-linux-gnu`, '-c', `${name}.c`, '-o', `${name}.o`], tmp);
  assert.equal(cc.status, 0, cc.stderr);
  const out = path.join(tmp, `${name}.o`);
  built.set(name, out);
  return out;
}
const mainObj = (): string => build('lkobj', MAIN_C);
const pinObj = (): string => build('lkpin', PIN_C);

/** Every path under `dir`, relative and sorted. */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      out.push(path.relative(dir, p));
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

interface InspectJson {
  license: string;
  programs: { name: string; section: string; kind: string; progType: string; expectedAttachType: string | null; insns: number; autoload: boolean }[];
  maps: { name: string; type: string; keySize: number; valueSize: number; maxEntries: number; flags: number; pinning: string; section: string | null }[];
  globals: { section: string; name: string; offset: number; size: number; readOnly: boolean }[];
  externs: unknown[];
  typescript: string | null;
}

test('inspect: programs, maps, globals and the BTF as TypeScript, without loading anything', (t) => {
  if (skipUnless(t, haveClang ? null : 'clang not installed')) return;
  const obj = mainObj();
  const r = json<InspectJson>(['inspect', obj, '--json']);
  assert.equal(r.license, 'GPL');
  // Instruction counts are the code sections' sizes (no subprograms here).
  const elf = ElfFile.parse(fs.readFileSync(obj));
  const insns = (sec: string): number => elf.section(sec)!.size / 8;
  assert.deepEqual(r.programs.map(({ name, section, kind, progType, expectedAttachType, insns: n, autoload }) => ({ name, section, kind, progType, expectedAttachType, n, autoload })), [
    { name: 'skb_len', section: 'tc', kind: 'tc', progType: 'sched_cls', expectedAttachType: null, n: insns('tc'), autoload: true },
    { name: 'count_bytes', section: 'xdp', kind: 'xdp', progType: 'xdp', expectedAttachType: 'xdp', n: insns('xdp'), autoload: true },
  ].sort((a, b) => elf.section(a.section)!.index - elf.section(b.section)!.index));
  const maps = Object.fromEntries(r.maps.map((m) => [m.name, m]));
  assert.deepEqual(Object.keys(maps).sort(), ['.bss', '.rodata', 'bytes_seen', 'events']);
  assert.deepEqual([maps.bytes_seen!.type, maps.bytes_seen!.keySize, maps.bytes_seen!.valueSize, maps.bytes_seen!.maxEntries], ['array', 4, 8, 4]);
  assert.deepEqual([maps.events!.type, maps.events!.keySize, maps.events!.valueSize, maps.events!.maxEntries], ['hash', 4, 40, 16]);
  // Global data: mmapable arrays; .rodata is also read-only for programs (BPF_F_RDONLY_PROG 0x80, BPF_F_MMAPABLE 0x400).
  assert.deepEqual([maps['.bss']!.valueSize, maps['.bss']!.flags & 0x400, maps['.rodata']!.flags & 0x480], [8, 0x400, 0x480]);
  assert.deepEqual(r.globals, [
    { section: '.bss', name: 'packets', offset: 0, size: 8, readOnly: false },
    { section: '.rodata', name: 'verdict', offset: 0, size: 4, readOnly: true },
  ]);
  assert.deepEqual(r.externs, []);
  const ts = r.typescript!;
  assert.match(ts, /import type \{ u8, .* \} from "@lockne\/kernel";/);
  assert.match(ts, /export interface event \{\n {2}\/\*\* offset 0 \*\/ pid: __u32;\n {2}\/\*\* offset 8 \*\/ ts: __u64;\n {2}\/\*\* offset 16 \*\/ comm: FixedArray<i8, 16>;\n {2}\/\*\* offset 32, bits 1 at bit offset 256 \*\/ flag: u32;\n {2}\/\*\* offset 32, bits 3 at bit offset 257 \*\/ kind: u32;\n\}/);
  // The BTF as the loader fixes it up: datasec sizes and offsets from the ELF file (clang leaves them 0).
  assert.match(ts, /\/\*\* datasec \.bss: size 8 \*\/\nexport interface _bss \{\n {2}\/\*\* offset 0, size 8, global \*\/ packets: __u64;\n\}/);

  const text = ok(['inspect', obj]);
  assert.match(text, /^.*lkobj\.o: license 'GPL'\nprograms \(2\):\n/);
  assert.match(text, new RegExp(`\\n {2}count_bytes +section xdp +type xdp +attach xdp +${insns('xdp')} insns\\n`));
  assert.match(text, /\n {2}events +hash +key 4B +value 40B +max_entries 16 +flags 0x0\n/);
  assert.match(text, /\n {2}\.rodata +verdict +offset 0 +size 4 +\(read-only\)\n/);
  assert.match(text, /\ntypes \(TypeScript\):\n\/\/ Generated from BTF/);
  // --types chooses the roots; --no-types prints none.
  const only = json<InspectJson>(['inspect', obj, '--types', 'event', '--json']).typescript!;
  assert.match(only, /export interface event \{/);
  assert.doesNotMatch(only, /xdp_md|_bss/);
  assert.equal(json<InspectJson>(['inspect', obj, '--no-types', '--json']).typescript, null);
});

test('btf dump: raw is bpftool\'s dump line for line (object and vmlinux); ts and json', (t) => {
  if (skipUnless(t, haveClang ? null : 'clang not installed')) return;
  const obj = mainObj();
  if (haveBpftool) {
    const theirs = (file: string): string => {
      const r = run('bpftool', ['btf', 'dump', 'file', file]);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    assert.equal(ok(['btf', 'dump', obj, '--format', 'raw']), theirs(obj));
    // vmlinux has every kind (ENUM64, DECL_TAG, TYPE_TAG, FLOAT...): the same formatter, in-process (5 MB of text).
    const vmlinux = '/sys/kernel/btf/vmlinux';
    assert.ok(`${rawDump(BtfReader.parse(fs.readFileSync(vmlinux)))}\n` === theirs(vmlinux), 'raw dump of vmlinux differs from bpftool\'s');
  }
  const dump = JSON.parse(ok(['btf', 'dump', obj, '-f', 'json'])) as { firstId: number; lastId: number; types: { id: number; kind: string; name: string }[] };
  assert.equal(dump.types.length, dump.lastId);
  assert.ok(dump.types.some((x) => x.kind === 'STRUCT' && x.name === 'event'));
  const ts = ok(['btf', 'dump', '/sys/kernel/btf/vmlinux', '--types', 'xdp_md', '--import-from', '@lockne/kernel']);
  assert.match(ts, /^\/\/ Generated from BTF by @lockne\/obj btfToTypeScript: \d+ declarations\. Do not edit\.\nimport type \{/);
  assert.match(ts, /\/\*\* struct xdp_md: size 24, align 4 \*\/\nexport interface xdp_md \{\n {2}\/\*\* offset 0 \*\/ data: __u32;/);
  // The default TS output is self-contained.
  assert.match(ok(['btf', 'dump', obj]), /\nexport type u32 = number & \{ readonly \[__lk_width\]: 'u32' \};\n/);
});

test('load --pin: bpftool loadall\'s layout; the pinned program runs and updates the pinned maps', (t) => {
  if (skipUnless(t, needRoot() ?? (haveClang ? null : 'clang not installed'))) return;
  const obj = mainObj();
  ensureBpffs();
  try {
    interface LoadJson { programs: { name: string; type: string; id: number; pinned: string | null }[]; maps: { name: string; kernelName: string; pinned: string | null; origin: string }[]; persistent: boolean }
    const r = json<LoadJson>(['load', obj, '--pin', PIN, '--json']);
    assert.equal(r.persistent, true);
    assert.deepEqual(r.programs.map((p) => [p.name, p.type, p.pinned]).sort(), [
      ['count_bytes', 'xdp', `${PIN}/count_bytes`], ['skb_len', 'sched_cls', `${PIN}/skb_len`],
    ]);
    assert.deepEqual(r.maps.map((m) => [m.name, m.kernelName, m.pinned, m.origin]).sort(), [
      ['.bss', 'lkobj.bss', `${PIN}/maps/lkobj_bss`, 'created'],
      ['.rodata', 'lkobj.rodata', `${PIN}/maps/lkobj_rodata`, 'created'],
      ['bytes_seen', 'bytes_seen', `${PIN}/maps/bytes_seen`, 'created'],
      ['events', 'events', `${PIN}/maps/events`, 'created'],
    ]);
    if (haveBpftool) {
      const tool = run('bpftool', ['prog', 'loadall', obj, TOOL_PIN, 'pinmaps', `${TOOL_PIN}/maps`]);
      assert.equal(tool.status, 0, tool.stderr);
      assert.deepEqual(tree(PIN), tree(TOOL_PIN), 'same pins as bpftool prog loadall');
      const show = JSON.parse(run('bpftool', ['prog', 'show', 'pinned', `${PIN}/count_bytes`, '--json']).stdout) as { id: number; type: string; name: string };
      assert.deepEqual([show.id, show.type, show.name], [r.programs.find((p) => p.name === 'count_bytes')!.id, 'xdp', 'count_bytes']);
    }
    // The command has exited: the pins hold the objects. Run the pinned program; its maps are the pinned ones.
    const prog = openPinnedProgram(`${PIN}/count_bytes`);
    const bytes = openPinnedMap(`${PIN}/maps/bytes_seen`, { key: u32, value: u64 });
    const bss = openPinnedMap(`${PIN}/maps/lkobj_bss`, { key: u32, value: u64 });
    try {
      assert.equal(prog.testRun({ data: new Uint8Array(64) }).retval, 2, 'XDP_PASS from .rodata verdict');
      assert.equal(prog.testRun({ data: new Uint8Array(100) }).retval, 2);
      assert.equal(bytes.get(0), 164n, 'bytes_seen[0] counts both packets');
      assert.equal(bss.get(0), 2n, 'packets (in .bss) counts both runs');
    } finally {
      prog.close();
      bytes.close();
      bss.close();
    }
    // Pinning over existing pins fails cleanly and leaves the pins as they were.
    const before = tree(PIN);
    assert.match(fails(['load', obj, '--pin', PIN]), /^lockne-bpf: BPF_OBJ_PIN failed: EEXIST \(path '.*lk\d+obj\/\w+'\)\n$/);
    assert.deepEqual(tree(PIN), before);
  } finally {
    for (const p of [PIN, TOOL_PIN]) fs.rmSync(p, { recursive: true, force: true });
  }
});

test('test-run obj.o --prog prints the asm form\'s JSON; pin-by-name maps are shared between runs', (t) => {
  if (skipUnless(t, needRoot() ?? (haveClang ? null : 'clang not installed'))) return;
  const data = '00'.repeat(64);
  const asm = json<Record<string, unknown>>(['test-run', '--type', 'xdp', '--asm', 'r0 = 2; exit', '--data-hex', data, '--json']);
  const xdp = json<Record<string, unknown>>(['test-run', mainObj(), '--prog', 'count_bytes', '--data-hex', data, '--repeat', '100', '--json']);
  assert.deepEqual(Object.keys(xdp), Object.keys(asm), 'same JSON shape as the asm form');
  assert.deepEqual([xdp.retval, xdp.repeat, xdp.dataOutHex, xdp.ctxOutHex], [2, 100, data, '']);
  // A tc program returning skb->len: the kernel built the skb from our 64 bytes.
  assert.equal(json<{ retval: number }>(['test-run', mainObj(), '--prog', 'skb_len', '--data-hex', data, '--json']).retval, 64);
  assert.match(ok(['test-run', mainObj(), '--prog', 'skb_len', '--data-hex', data]), /^retval {4}64 \(0x40\)\n/);

  ensureBpffs();
  try {
    // LIBBPF_PIN_BY_NAME: the first load pins the map, the next reuses it, so the count carries over.
    for (let i = 0; i < 2; i++) json(['test-run', pinObj(), '--prog', 'bump', '--data-hex', data, '--json']);
    const m = openPinnedMap(BY_NAME_PIN, { key: u32, value: u64 });
    try {
      assert.equal(m.get(0), 2n);
    } finally {
      m.close();
    }
    interface LoadJson { maps: { name: string; pinned: string | null; origin: string }[]; persistent: boolean }
    const r = json<LoadJson>(['load', pinObj(), '--programs', 'bump', '--json']);
    assert.equal(r.persistent, false);
    assert.deepEqual(r.maps.map((x) => [x.name, x.pinned, x.origin]), [[BY_NAME, BY_NAME_PIN, 'pinned']], 'reused from its pin, not pinned again');
    assert.match(ok(['load', pinObj(), '--programs', 'bump']), /not pinned: unloaded when lockne-bpf exits/);
  } finally {
    fs.rmSync(BY_NAME_PIN, { force: true });
  }
});

test('object command failures: typed errors on stderr, exit 1, nothing left behind', (t) => {
  if (skipUnless(t, needRoot() ?? (haveClang ? null : 'clang not installed'))) return;
  const obj = pinObj();
  assert.match(fails(['inspect', path.join(tmp, 'missing.o')]), /^lockne-bpf: cannot read '.*missing\.o': ENOENT\n$/);
  fs.writeFileSync(path.join(tmp, 'text.o'), 'not an object\n');
  assert.match(fails(['inspect', path.join(tmp, 'text.o')]), /^lockne-bpf: .*not an ELF file|^lockne-bpf: .*ELF/);
  assert.match(fails(['btf', 'dump', path.join(tmp, 'text.o')]), /is neither raw BTF \(magic 0xeb9f\) nor an ELF object/);
  assert.match(fails(['btf', 'dump', obj, '--format', 'c']), /--format 'c' is unknown; one of: ts, raw, json/);
  assert.match(fails(['btf', 'dump', obj, '--types', 'no_such_type']), /BtfTsError: no BTF type named 'no_such_type'/);
  // The verifier's rejection names the program, its section and the C line.
  const bad = fails(['load', obj, '--programs', 'bad']);
  assert.match(bad, /^lockne-bpf: BPF_PROG_LOAD failed: EACCES \(program 'bad' in section 'xdp'\)\nat .*lkpin\.c:\d+:\d+ \(insn \d+\)/);
  assert.match(bad, /invalid access to packet/);
  // fentry is refused on this kernel (no trampolines): EPERM with an empty log, named.
  const fentry = cli(['load', obj, '--programs', 'trampoline']);
  if (fentry.status !== 0) {
    assert.equal(fentry.status, 1);
    assert.match(fentry.stderr, /^lockne-bpf: BPF_PROG_LOAD failed: EPERM \(program 'trampoline' in section 'fentry\/do_unlinkat'\)\nverifier log is empty/);
  }
  assert.match(fails(['test-run', obj, '--prog', 'nope', '--json']), /no program 'nope' in the object/);
  assert.match(fails(['test-run', obj, '--json']), /--prog <name> is required with an object/);
  assert.match(fails(['test-run', obj, '--prog', 'bump', '--type', 'xdp']), /--type is for assembly programs/);
  // --pin outside bpffs: refused before loading, no directory made.
  const notBpffs = path.join(tmp, 'pins');
  assert.match(fails(['load', obj, '--programs', 'bump', '--pin', notBpffs]), /--pin '.*pins': '.*' is not on a bpf filesystem/);
  assert.equal(fs.existsSync(notBpffs), false);
  // A load that fails after the pin directory was made removes it again.
  ensureBpffs();
  try {
    fails(['load', obj, '--programs', 'bad', '--pin', PIN]);
    assert.equal(fs.existsSync(PIN), false);
  } finally {
    fs.rmSync(PIN, { recursive: true, force: true });
    fs.rmSync(BY_NAME_PIN, { force: true });
  }
});
