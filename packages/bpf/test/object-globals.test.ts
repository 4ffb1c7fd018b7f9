// State around an object's programs: global data (.data read and written from
// JS and seen by the program, .rodata constants set before load then frozen,
// .bss zeroed, custom and non-mmapable sections), kconfig externs (from
// /proc/config.gz, virtual LINUX_*, overrides, __weak), maps pinned byName
// and reused, and the BTF codecs that give variables and map values their JS
// shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { BtfReader, BtfWriter } from '@lockne/obj';
import {
  ArgumentError, ArrayMap, BpfObject, ClosedError, BtfCodecs, MapFlags, ObjectLoadError, PinMismatchError, SyscallError, ensureBpffs, pin, u32,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { clangMissing, compileBpfC } from './support/clang.js';

checkFdLeaks();

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `lk${process.pid % 100000}glob-`));
const compile = (name: string, src: string): string => compileBpfC(tmp, name, src);
const pinRoot = `/sys/fs/bpf/lk${process.pid % 100000}glob`;
test.after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(pinRoot, { recursive: true, force: true });
});



const packet = new Uint8Array(64);
const HEAD = '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n';

const GLOBALS = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct point { int x; int y; };
__u64 counter = 5;                       /* .data */
struct point where = { 1, 2 };           /* .data */
char label[8] = "abc";                   /* .data */
const volatile __u32 factor = 1;         /* .rodata */
const volatile char greeting[6] = "hi";  /* .rodata */
__u64 seen;                              /* .bss */
struct point last;                       /* .bss */
__u32 custom SEC(".data.custom") = 11;
static volatile __u32 quiet SEC(".data.quiet") = 3;  /* a static, reached through the section symbol */
SEC("tc")
int use_globals(struct __sk_buff *skb)
{
  counter++;
  seen += 1;
  last.x = where.x + 10;
  last.y = where.y + 20;
  quiet += 1;
  return factor * 10 + custom + greeting[0] - 'h' + label[0] - 'a' + quiet * 1000;
}
char LICENSE[] SEC("license") = "GPL";
`;

test('.data is read and written from JS and by the program; .bss starts zeroed; custom sections', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const obj = BpfObject.load(compile('globals', GLOBALS));
  try {
    const g = obj.globals;
    assert.deepEqual(g.sections().sort(), ['.bss', '.data', '.data.custom', '.data.quiet', '.rodata']);
    assert.equal(g.get('counter'), 5n, 'initial .data value');
    assert.equal(g.get('seen'), 0n, '.bss starts zeroed');
    assert.deepEqual(g.get('last'), { x: 0, y: 0 });
    assert.deepEqual(g.get('where'), { x: 1, y: 2 }, 'a struct variable decodes by its BTF type');
    assert.equal(g.get('label'), 'abc', 'a char array decodes as a string');
    assert.equal(g.get('custom'), 11);
    assert.equal(g.get('quiet'), 3);
    assert.ok(obj.map('.data').flags & MapFlags.MMAPABLE, 'global data maps are mmapable (libbpf 1.1)');

    const p = obj.program('use_globals');
    assert.equal(p.testRun({ data: packet }).retval, 10 + 11 + 4000, 'factor 1, custom 11, quiet 3 + 1');
    assert.equal(g.get('counter'), 6n, 'the program\'s increment is visible through the mmap');
    assert.equal(g.get('seen'), 1n);
    assert.deepEqual(g.get('last'), { x: 11, y: 22 });
    assert.equal(g.get('quiet'), 4);

    g.set('counter', 100n);
    g.set('where', { x: 5, y: 6 });
    g.set('custom', 20);
    g.set('label', 'b');
    g.set('quiet', 0);
    assert.equal(p.testRun({ data: packet }).retval, 10 + 20 + 1 + 1000, 'the program sees values written from JS');
    assert.equal(g.get('counter'), 101n);
    assert.deepEqual(g.get('last'), { x: 15, y: 26 });
    assert.equal(obj.globals.section('.data').get('counter'), 101n);

    assert.throws(() => g.set('counter', 'x'), (e: unknown) => e instanceof ArgumentError && /variable 'counter' in '\.data'/.test(e.message));
    assert.throws(() => g.get('nope'), (e: unknown) => e instanceof ArgumentError && /no global variable 'nope'/.test(e.message));
  } finally {
    obj.close();
  }
  assert.throws(() => obj.globals.get('counter'), (e: unknown) => e instanceof ClosedError && /global data section '\.data' is closed/.test(e.message));
});

test('.rodata constants set before load change what the program computes; .rodata is then frozen', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  const o = compile('rodata', GLOBALS);
  const plain = BpfObject.load(o);
  try {
    assert.equal(plain.program('use_globals').testRun({ data: packet }).retval, 10 + 11 + 4000);
  } finally {
    plain.close();
  }
  const obj = BpfObject.load(o, { rodata: { factor: 7, greeting: 'ji' } });
  try {
    assert.equal(obj.program('use_globals').testRun({ data: packet }).retval, 70 + 11 + 2 + 4000, 'factor 7 and greeting[0] = j');
    assert.equal(obj.globals.get('factor'), 7);
    assert.ok(obj.globals.section('.rodata').readOnly);
    assert.throws(() => obj.globals.set('factor', 1), (e: unknown) => e instanceof ArgumentError && /read-only after load/.test(e.message));
    assert.throws(() => obj.map('.rodata').setBytes(new Uint8Array(4), new Uint8Array(obj.map('.rodata').valueSize)),
      (e: unknown) => e instanceof SyscallError && e.code === 'EPERM', 'BPF_MAP_FREEZE: user space cannot write');
  } finally {
    obj.close();
  }
  const viaFn = BpfObject.load(o, { rodata: (vars) => vars.section('.rodata').set('factor', 3) });
  try {
    assert.equal(viaFn.program('use_globals').testRun({ data: packet }).retval, 30 + 11 + 4000);
  } finally {
    viaFn.close();
  }
  assert.throws(() => BpfObject.load(o, { rodata: { counter: 1n } }),
    (e: unknown) => e instanceof ArgumentError && /option rodata: no global variable 'counter'/.test(e.message), '.data is not .rodata');
  assert.throws(() => BpfObject.load(o, { rodata: { factor: -1 } }), (e: unknown) => e instanceof ArgumentError && /factor/.test(e.message));
});

test('kconfig externs: /proc/config.gz values, virtual LINUX_* values, overrides, __weak defaults', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  if (skipUnless(t, fs.existsSync('/proc/config.gz') ? null : 'no /proc/config.gz')) return;
  const config = zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString();
  const hz = Number(/^CONFIG_HZ=(\d+)$/m.exec(config)?.[1]);
  const o = compile('kconfig', `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <stdbool.h>
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern int CONFIG_HZ __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_TUN __kconfig __weak;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig __weak;
extern int CONFIG_LK_NO_SUCH_OPTION __kconfig __weak;
__u64 out[6];
SEC("tc")
int read_config(struct __sk_buff *skb)
{
  out[0] = LINUX_KERNEL_VERSION;
  out[1] = LINUX_HAS_SYSCALL_WRAPPER;
  out[2] = CONFIG_HZ;
  out[3] = CONFIG_BPF_SYSCALL;
  out[4] = CONFIG_TUN;
  out[5] = CONFIG_LK_NO_SUCH_OPTION + 7;
  return CONFIG_DEFAULT_HOSTNAME[0];
}
char LICENSE[] SEC("license") = "GPL";
`);
  const [maj, min, patch] = os.release().split(/[.-]/).map(Number);
  const version = ((maj ?? 0) << 16) + ((min ?? 0) << 8) + Math.min(255, patch ?? 0);
  const tun = /^CONFIG_TUN=y$/m.test(config) ? 1n : /^CONFIG_TUN=m$/m.test(config) ? 2n : 0n;
  const obj = BpfObject.load(o);
  try {
    const p = obj.program('read_config');
    const host = /^CONFIG_DEFAULT_HOSTNAME="(.*)"$/m.exec(config)?.[1] ?? '';
    assert.equal(p.testRun({ data: packet }).retval, host.charCodeAt(0) || 0, 'char array from the config string');
    assert.deepEqual(obj.globals.get('out'), [BigInt(version), 1n, BigInt(hz), 1n, tun, 7n]);
    assert.equal(obj.globals.get('CONFIG_HZ'), hz, 'the .kconfig section reads like any global');
    assert.ok(obj.globals.section('.kconfig').readOnly);
  } finally {
    obj.close();
  }
  const over = BpfObject.load(o, { kconfig: { CONFIG_HZ: 1000, CONFIG_TUN: 'm', CONFIG_DEFAULT_HOSTNAME: 'Zed' } });
  try {
    assert.equal(over.program('read_config').testRun({ data: packet }).retval, 'Z'.charCodeAt(0));
    const out = over.globals.get('out') as bigint[];
    assert.equal(out[2], 1000n);
    assert.equal(out[4], 2n, "tristate 'm' is TRI_MODULE");
  } finally {
    over.close();
  }
  assert.throws(() => BpfObject.load(o, { kconfig: { CONFIG_BPF_SYSCALL: 'm' } }),
    (e: unknown) => e instanceof ObjectLoadError && /extern \(kcfg\) 'CONFIG_BPF_SYSCALL': value 'm' implies a tristate or char type/.test(e.message));
  const strong = compile('kstrong', `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
extern int CONFIG_LK_NO_SUCH_OPTION __kconfig;
SEC("tc") int f(struct __sk_buff *skb) { return CONFIG_LK_NO_SUCH_OPTION; }
char LICENSE[] SEC("license") = "GPL";
`);
  assert.throws(() => BpfObject.load(strong),
    (e: unknown) => e instanceof ObjectLoadError && /extern \(kcfg\) 'CONFIG_LK_NO_SUCH_OPTION': not set in the kernel config/.test(e.message));
});

test('clang object: pinning byName reuses the pinned map (values persist) and refuses an incompatible pin', (t) => {
  if (skipUnless(t, needRoot() ?? clangMissing())) return;
  ensureBpffs();
  const dir = `${pinRoot}/pins`;
  fs.mkdirSync(dir, { recursive: true });
  const o = compile('pins', `${HEAD}
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); __uint(pinning, LIBBPF_PIN_BY_NAME); } kept SEC(".maps");
SEC("tc") int bump(struct __sk_buff *skb) { __u32 k = 0; __u64 *v = bpf_map_lookup_elem(&kept, &k); if (v) *v += 1; return 0; }
char LICENSE[] SEC("license") = "GPL";
`);
  const first = BpfObject.load(o, { pinDir: dir });
  try {
    assert.equal(first.mapOrigin('kept'), 'created');
    assert.deepEqual(first.createdPins, [`${dir}/kept`]);
    first.program('bump').testRun({ data: packet, repeat: 3 });
    assert.equal(first.map('kept').get(0), 3n);
  } finally {
    first.close();
  }
  const second = BpfObject.load(o, { pinDir: dir });
  try {
    assert.equal(second.mapOrigin('kept'), 'pinned');
    assert.deepEqual(second.createdPins, []);
    second.program('bump').testRun({ data: packet });
    assert.equal(second.map('kept').get(0), 4n, 'the value survived in the pinned map');
  } finally {
    second.close();
  }
  fs.unlinkSync(`${dir}/kept`);
  const other = ArrayMap.create({ value: u32, maxEntries: 8 });
  try {
    pin(other, `${dir}/kept`);
    assert.throws(() => BpfObject.load(o, { pinDir: dir }), (e: unknown) => {
      assert.ok(e instanceof PinMismatchError);
      assert.equal(e.path, `${dir}/kept`);
      assert.deepEqual(e.mismatches, ['value_size 8 (existing 4)', 'max_entries 4 (existing 8)']);
      return true;
    });
    assert.ok(fs.existsSync(`${dir}/kept`), 'a pin the load did not create stays');
  } finally {
    other.close();
    fs.rmSync(`${dir}/kept`, { force: true });
  }
});

test('BTF codecs: bit-fields, unions, anonymous members, enums by name, pointers, nested arrays (no root)', () => {
  const w = new BtfWriter();
  const u8 = w.int('unsigned char', 1);
  const u32 = w.int('unsigned int', 4);
  const s16 = w.int('short', 2, { signed: true });
  const s64 = w.int('long long', 8, { signed: true });
  const boolT = w.int('_Bool', 1, { bool: true });
  const e = w.enum('color', { RED: 0, GREEN: 5 });
  const ptr = w.ptr(u32);
  const arr = w.array(w.array(s16, 2), 2);
  const anon = w.struct('', 4, [{ name: 'inner_a', type: s16, offset: 0 }, { name: 'inner_b', type: s16, offset: 2 }]);
  const un = w.union('num', 8, [{ name: 'as_u32', type: u32, offset: 0 }, { name: 'as_s64', type: s64, offset: 0 }]);
  const st = w.struct('all', 48, [
    { name: 'flag', type: boolT, offset: 0 },
    { name: 'lo', type: u32, bitOffset: 8, bitfieldSize: 3 },
    { name: 'hi', type: s16, bitOffset: 11, bitfieldSize: 5 },
    { name: 'color', type: e, offset: 4 },
    { name: 'p', type: ptr, offset: 8 },
    { name: 'grid', type: arr, offset: 16 },
    { name: '', type: anon, offset: 24 },
    { name: 'n', type: un, offset: 32 },
    { name: 'tag', type: w.array(u8, 4), offset: 40 },
  ]);
  const c = new BtfCodecs(BtfReader.parse(w.encode())).codec(st);
  assert.equal(c.size, 48);
  const value = {
    flag: true, lo: 5, hi: -3, color: 'GREEN', p: 0xffff_8000_0000_1234n, grid: [[1, -2], [3, -4]],
    inner_a: 7, inner_b: -8, n: { as_s64: -2n }, tag: [1, 2, 3, 4],
  };
  const b = new Uint8Array(48);
  c.encode(value, b);
  assert.equal(b[1], 5 | ((-3 & 0x1f) << 3), 'bit-fields packed into byte 1');
  const back = c.decode(b) as Record<string, unknown>;
  assert.deepEqual(back, {
    flag: true, lo: 5, hi: -3, color: 5, p: 0xffff_8000_0000_1234n, grid: [[1, -2], [3, -4]],
    inner_a: 7, inner_b: -8, n: { as_u32: 0xfffffffe, as_s64: -2n }, tag: [1, 2, 3, 4],
  });
  assert.throws(() => c.encode({ ...value, lo: 8 }, new Uint8Array(48)), (err: unknown) => err instanceof ArgumentError && /field lo: bit-field of 3 bits/.test(err.message));
  assert.throws(() => c.encode({ ...value, color: 'BLUE' }, new Uint8Array(48)), /no enumerator 'BLUE'/);
  assert.throws(() => c.encode({ ...value, extra: 1 }, new Uint8Array(48)), /field extra: unknown field/);
});
