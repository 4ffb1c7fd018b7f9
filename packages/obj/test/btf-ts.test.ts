// btfToTypeScript: a hand-built BTF holding every kind printed to an exact
// snapshot, the options (roots, opaque pointees, named anonymous members,
// functions, imported prelude), malformed input, a clang-built object's BTF,
// and the running kernel's vmlinux BTF: printed in under 2 s and accepted by
// the TypeScript compiler with zero errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { BtfReader, BtfTsError, BtfWriter, ElfFile, btfToTypeScript, type BtfToTsOptions } from '../src/index.js';
import { inlinePrelude } from '../src/btf/ts-prelude.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';

/** Parsed lib.*.d.ts files, shared by every type-check in this file (parsing them is most of a small check's time). */
const libCache = new Map<string, ts.SourceFile | undefined>();

/** Type-check in-memory files (the first is the root) with strict settings; returns "file:line: message" per error. */
function typecheck(files: Record<string, string>): string[] {
  const options: ts.CompilerOptions = {
    noEmit: true, strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022,
    moduleResolution: ts.ModuleResolutionKind.Bundler, lib: ['lib.es2022.d.ts'], types: [],
  };
  const host = ts.createCompilerHost(options);
  const virtual = new Map(Object.entries(files).map(([name, text]) => [path.resolve('/lk-virtual', name), text]));
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError) => {
    const text = virtual.get(path.resolve(name));
    if (text !== undefined) return ts.createSourceFile(name, text, lang);
    if (!libCache.has(name)) libCache.set(name, getSourceFile(name, lang, onError));
    return libCache.get(name);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => virtual.has(path.resolve(name)) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => virtual.get(path.resolve(name)) ?? readFile(name);
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (name) => path.resolve(name) === '/lk-virtual' || (directoryExists?.(name) ?? false);
  const program = ts.createProgram([path.resolve('/lk-virtual', Object.keys(files)[0]!)], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '?';
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

/** Every kind, plus the awkward cases: prelude-clashing typedefs, reserved words, duplicate names, cycles, bitfields. */
function sampleBtf(): BtfReader {
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const uint = w.int('unsigned int', 4);
  const uchar = w.int('unsigned char', 1);
  const char = w.int('char', 1, { char: true });
  const bool = w.int('_Bool', 1, { bool: true });
  const u64t = w.int('long long unsigned int', 8);
  const i128 = w.int('__int128', 16, { signed: true });
  const dbl = w.float('double', 8);
  const u32td = w.typedef('__u32', uint);
  const u32 = w.typedef('u32', u32td); // the prelude's u32 exactly: not redeclared
  w.typedef('u8', int); // clashes with the prelude's u8 but differs: escaped
  const list = w.struct('list_head', 16, []);
  const plist = w.ptr(list);
  w.setMembers(list, [{ name: 'next', type: plist, offset: 0 }, { name: 'prev', type: plist, offset: 8 }]);
  const anonU = w.union('', 8, [{ name: 'a', type: u64t, offset: 0 }, { name: 'b', type: w.array(uchar, 8), offset: 0 }]);
  const anonS = w.struct('', 4, [{ name: 'x', type: int, offset: 0 }]);
  const fwdSock = w.fwd('sock');
  const fwdOnly = w.fwd('never_defined');
  const cint = w.const(int);
  const vol = w.volatile(uint);
  const pchar = w.ptr(w.const(char));
  const proto = w.funcProto(int, [{ name: 'sk', type: w.ptr(fwdSock) }, { name: '', type: uint }, { name: 'default', type: int }, { type: 0 }]);
  const flex = w.array(int, 0);
  const color = w.enum('color', [['RED', 0], ['GREEN', 1], ['default', -1]], { signed: true });
  const anonE = w.enum('', [['FLAG_A', 1], ['FLAG_B', 2]]);
  const e64 = w.enum64('big', [['BIG_ONE', 1n], ['BIG_MAX', 0xffffffffffffffffn]]);
  w.struct('flags', 24, [
    { name: 'lo', type: uint, bitOffset: 0, bitfieldSize: 3 },
    { name: 'hi', type: uint, bitOffset: 3, bitfieldSize: 5 },
    { name: '', type: uint, bitOffset: 8, bitfieldSize: 8 }, // padding bitfield
    { name: '', type: anonU, offset: 8 },
    { name: 'inner', type: anonS, offset: 16 },
    { name: 'c', type: cint, offset: 20 },
  ]);
  const sock = w.struct('sock', 48, [
    { name: 'list', type: list, offset: 0 },
    { name: 'name', type: pchar, offset: 16 },
    { name: 'cb', type: w.ptr(proto), offset: 24 },
    { name: 'state', type: vol, offset: 32 },
    { name: 'color', type: color, offset: 36 },
    { name: 'kind', type: anonE, offset: 40 },
    { name: 'ok', type: bool, offset: 44 },
    { name: 'data', type: flex, offset: 48 },
  ]);
  w.typedef('atomic_t', w.struct('', 4, [{ name: 'counter', type: int, offset: 0 }]));
  w.typedef('sock', sock); // typedef struct sock sock: printed as the struct
  w.typedef('sock_t', sock);
  w.struct('grid', 24, [
    { name: 'cells', type: w.array(w.array(uchar, 3), 2), offset: 0 },
    { name: 'f', type: dbl, offset: 8 },
    { name: 'big', type: e64, offset: 16 },
  ]);
  w.struct('grid', 4, [{ name: 'v', type: u32, offset: 0 }]); // a second, different 'grid'
  w.struct('default', 8, [{ name: 'new', type: w.ptr(fwdOnly), offset: 0 }]);
  w.struct('packed', 5, [{ name: 'a', type: uchar, offset: 0 }, { name: 'b', type: uint, offset: 1 }]);
  const fn = w.func('handle', w.funcProto(0, [{ name: 'skb', type: w.ptr(sock) }]), 'global');
  w.declTag('bpf_kfunc', fn);
  w.declTag('user', sock, 1);
  const rcuList = w.ptr(w.typeTag('rcu', list));
  w.typedef('callback_t', w.ptr(proto));
  const counter = w.var('counter', u64t, 'global');
  const cfg = w.var('cfg', w.struct('', 8, [{ name: 'type', type: w.ptr(w.array(int, 2)), offset: 0 }]), 'global');
  w.datasec('.bss', 8, [{ type: counter, offset: 0, size: 8 }]);
  w.datasec('.maps', 8, [{ type: cfg, offset: 0, size: 8 }]);
  w.typedef('rcu_list', rcuList);
  w.typedef('wide', i128);
  w.typedef('restricted', w.restrict(plist));
  return BtfReader.parse(w.encode());
}

const SNAPSHOT = `/** typedef __u32 */
export type __u32 = u32;

/** typedef u8 */
export type _u8 = i32;

/** struct list_head: size 16, align 8 */
export interface list_head {
  /** offset 0 */ next: Ptr<list_head>;
  /** offset 8 */ prev: Ptr<list_head>;
}

/** struct never_defined: forward declaration, never defined here */
export interface never_defined extends Opaque<"struct never_defined"> {}

/** enum color: size 4, signed */
export declare const enum color {
  RED = 0,
  GREEN = 1,
  default = -1,
}

/** anonymous enum: size 4 */
export declare const enum __anon_enum_FLAG_A {
  FLAG_A = 1,
  FLAG_B = 2,
}

/** enum big: size 8 */
export declare const big: {
  readonly BIG_ONE: 1n;
  readonly BIG_MAX: 18446744073709551615n;
};
export type big = 1n | 18446744073709551615n;

/** struct flags: size 24, align 8 */
export interface flags {
  /** offset 0, bits 3 at bit offset 0 */ lo: u32;
  /** offset 0, bits 5 at bit offset 3 */ hi: u32;
  /** offset 8, in anonymous union */ a: u64;
  /** offset 8, in anonymous union */ b: FixedArray<u8, 8>;
  /** offset 16 */ inner: {
    // struct: size 4, align 4
    /** offset 0 */ x: i32;
  };
  /** offset 20 */ c: i32;
}

/** struct sock: size 48, align 8 */
export interface sock {
  /** offset 0 */ list: list_head;
  /** offset 16, tags: user */ name: Ptr<u8>;
  /** offset 24 */ cb: Ptr<(sk: Ptr<sock>, arg1: u32, _default: i32, ...args: unknown[]) => i32>;
  /** offset 32 */ state: u32;
  /** offset 36 */ color: color;
  /** offset 40 */ kind: __anon_enum_FLAG_A;
  /** offset 44 */ ok: bool;
  /** offset 48 */ data: FixedArray<i32, 0>;
}

/** typedef struct { ... } atomic_t: size 4, align 4 */
export interface atomic_t {
  /** offset 0 */ counter: i32;
}

/** typedef sock_t */
export type sock_t = sock;

/** struct grid: size 24, align 8 */
export interface grid {
  /** offset 0 */ cells: FixedArray<FixedArray<u8, 3>, 2>;
  /** offset 8 */ f: f64;
  /** offset 16 */ big: big;
}

/** struct grid: size 4, align 4 */
export interface grid___2 {
  /** offset 0 */ v: u32;
}

/** struct default: size 8, align 8 */
export interface _default {
  /** offset 0 */ new: Ptr<never_defined>;
}

/** struct packed: size 5, align 1 */
export interface packed {
  /** offset 0 */ a: u8;
  /** offset 1 */ b: u32;
}

/** typedef callback_t */
export type callback_t = Ptr<(sk: Ptr<sock>, arg1: u32, _default: i32, ...args: unknown[]) => i32>;

/** datasec .bss: size 8 */
export interface _bss {
  /** offset 0, size 8, global */ counter: u64;
}

/** datasec .maps: size 8 */
export interface _maps {
  /** offset 0, size 8, global */ cfg: {
    // struct: size 8, align 8
    /** offset 0 */ type: Ptr<FixedArray<i32, 2>>;
  };
}

/** typedef rcu_list */
export type rcu_list = Ptr</* rcu */ list_head>;

/** typedef wide */
export type wide = i128;

/** typedef restricted */
export type restricted = Ptr<list_head>;
`;

const PRELUDE_LINES = inlinePrelude().split('\n').length;
/** The declarations after the header line and the prelude. */
const declarations = (out: string): string => out.split('\n').slice(1 + PRELUDE_LINES + 1).join('\n');

test('every BTF kind prints to the snapshot, and the snapshot type-checks', () => {
  const out = btfToTypeScript(sampleBtf());
  assert.match(out.split('\n')[0]!, /^\/\/ Generated from BTF by @lockne\/obj btfToTypeScript: 21 declarations\. Do not edit\.$/);
  assert.equal(out.split('\n').slice(1, 1 + PRELUDE_LINES).join('\n'), inlinePrelude());
  assert.equal(declarations(out), SNAPSHOT);
  assert.deepEqual(typecheck({ 'sample.ts': out }), []);
});

test('the declarations mean what the C types mean (checked by the compiler)', () => {
  const usage = `
    import { color, type sock, type flags, type big, type u32, type u64, type i32, type Ptr, type FixedArray, type grid, type grid___2, type _default, type atomic_t, type _bss } from './sample.js';
    declare const s: sock;
    declare const f: flags;
    const n: u32 = s.state;
    const a: u64 = f.a;                // flattened anonymous union member
    const x: i32 = f.inner.x;          // named anonymous struct, inline
    const cells: FixedArray<FixedArray<number, 3>, 2> = null! as grid['cells'];
    const k: color = s.color;
    const red = color.RED;
    const b: big = 18446744073709551615n;
    const next: Ptr<sock> = null! as Ptr<sock>;
    declare const g2: grid___2;
    const v: u32 = g2.v;
    declare const d: _default;
    declare const at: atomic_t;
    declare const bss: _bss;
    const c: u64 = bss.counter;
    // @ts-expect-error u32 and u64 never mix
    const wrong: u64 = s.state;
    // @ts-expect-error a plain number is not a u32
    const raw: u32 = 5;
    // @ts-expect-error flattened: there is no member named after the anonymous union
    f.__anon_0;
    export { n, a, x, cells, k, red, b, next, v, d, at, c, wrong, raw };
  `;
  assert.deepEqual(typecheck({ 'use.ts': usage, 'sample.ts': btfToTypeScript(sampleBtf()) }), []);
});

test('options: named anonymous members, functions, roots with opaque pointees, imported prelude', () => {
  const btf = sampleBtf();
  const named = btfToTypeScript(btf, { anonMembers: 'name', functions: true });
  assert.match(named, /\/\*\* offset 8 \*\/ __anon_0: \{\n {4}\/\/ union: size 8, align 8\n {4}\/\*\* offset 0 \*\/ a: u64;\n {4}\/\*\* offset 0 \*\/ b: FixedArray<u8, 8>;\n {2}\};/);
  assert.match(named, /\/\*\* global function handle; tags: bpf_kfunc \*\/\nexport declare function handle\(skb: Ptr<sock>\): void;/);
  assert.deepEqual(typecheck({ 'named.ts': named }), []);

  // Roots: only what 'default' needs; the never-defined struct it points at stays a forward declaration.
  const roots = declarations(btfToTypeScript(btf, { types: ['default'], pointees: 'opaque' }));
  assert.equal(roots, [
    '/** struct never_defined: forward declaration, never defined here */',
    'export interface never_defined extends Opaque<"struct never_defined"> {}',
    '',
    '/** struct default: size 8, align 8 */',
    'export interface _default {',
    '  /** offset 0 */ new: Ptr<never_defined>;',
    '}',
    '',
  ].join('\n'));
  // Opaque pointees: sock reached through handle's pointer parameter prints by name only.
  const opaque = btfToTypeScript(btf, { types: ['handle'], pointees: 'opaque' });
  assert.match(opaque, /\/\*\* struct sock: size 48, align 8 \(members not printed: only reached through pointers\) \*\/\nexport interface sock extends Opaque<"struct sock"> \{\}/);
  assert.doesNotMatch(opaque, /list_head/);
  assert.deepEqual(typecheck({ 'opaque.ts': opaque }), []);
  // Names do not depend on the roots: both 'grid's, the second still grid___2.
  const grids = btfToTypeScript(btf, { types: ['grid'] });
  assert.match(grids, /export interface grid \{/);
  assert.match(grids, /export interface grid___2 \{/);

  // Imported prelude: the same names from a module.
  const imported = btfToTypeScript(btf, { prelude: { importFrom: './kernel.js' } });
  assert.match(imported, /^\/\/ Generated.*\nimport type \{ u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, bool, f16, f32, f64, f128, Ptr, FixedArray, Opaque \} from "\.\/kernel\.js";\n/);
  assert.equal(declarations(imported.replace(/\nimport type .*\n/, `\n${inlinePrelude()}\n`)), SNAPSHOT);
  assert.deepEqual(typecheck({ 'imported.ts': imported, 'kernel.ts': inlinePrelude() }), []);
});

test('split BTF (a kernel module\'s): its types, and the base types they use, are declared', () => {
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const list = w.struct('list_head', 16, []);
  w.setMembers(list, [{ name: 'next', type: w.ptr(list), offset: 0 }, { name: 'prev', type: w.ptr(list), offset: 8 }]);
  w.struct('unused_base', 4, [{ name: 'a', type: int, offset: 0 }]);
  const base = BtfReader.parse(w.encode());
  // One STRUCT 'mod_thing' { struct list_head list; int x; } on top of the base: ids and string offsets continue the base's.
  const strs = Buffer.from('mod_thing\0list\0x\0');
  const s0 = base.stringsLength;
  const words = [s0, (4 << 24) | 2, 24, s0 + 10, list, 0, s0 + 15, int, 128];
  const blob = Buffer.alloc(24 + words.length * 4 + strs.length);
  blob.writeUInt16LE(0xeb9f, 0);
  blob.writeUInt8(1, 2);
  blob.writeUInt32LE(24, 4);
  blob.writeUInt32LE(0, 8);
  blob.writeUInt32LE(words.length * 4, 12);
  blob.writeUInt32LE(words.length * 4, 16);
  blob.writeUInt32LE(strs.length, 20);
  words.forEach((x, i) => blob.writeUInt32LE(x, 24 + i * 4));
  strs.copy(blob, 24 + words.length * 4);
  const split = BtfReader.parse(blob, { base });
  const out = btfToTypeScript(split);
  assert.equal(declarations(out), [
    '/** struct list_head: size 16, align 8 */',
    'export interface list_head {',
    '  /** offset 0 */ next: Ptr<list_head>;',
    '  /** offset 8 */ prev: Ptr<list_head>;',
    '}',
    '',
    '/** struct mod_thing: size 24, align 8 */',
    'export interface mod_thing {',
    '  /** offset 0 */ list: list_head;',
    '  /** offset 16 */ x: i32;',
    '}',
    '',
  ].join('\n'));
  assert.deepEqual(typecheck({ 'split.ts': out }), []);
  // A root may also name a base type.
  assert.match(btfToTypeScript(split, { types: ['unused_base'] }), /export interface unused_base \{/);
});

test('unknown roots and unprintable BTF throw BtfTsError', () => {
  assert.throws(() => btfToTypeScript(sampleBtf(), { types: ['no_such_type'] }), (e: unknown) => e instanceof BtfTsError && /no BTF type named 'no_such_type'/.test(e.message));
  // An array whose element is itself: a cycle with no name to break it.
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  w.array(int, 1); // adds the index type first
  const loop = w.array(w.count + 1, 2);
  w.struct('s', 8, [{ name: 'a', type: loop, offset: 0 }]);
  assert.throws(() => btfToTypeScript(BtfReader.parse(w.encode())), (e: unknown) => e instanceof BtfTsError && e.message.includes(`BTF type ${loop} (ARRAY) refers to itself`));
  // A typedef chain that loops.
  const w2 = new BtfWriter();
  w2.typedef('a', 2);
  w2.typedef('b', 1);
  assert.throws(() => btfToTypeScript(BtfReader.parse(w2.encode())), (e: unknown) => e instanceof BtfTsError && /chain loops/.test(e.message));
});

const haveClang = spawnSync('clang', ['--version'], { stdio: 'ignore' }).status === 0;

test('a clang-built object: its .BTF prints and type-checks (maps, globals, kconfig)', { skip: !haveClang && 'clang not installed' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockne-btf-ts-'));
  try {
    fs.writeFileSync(path.join(dir, 'x.bpf.c'), `
      #include <linux/bpf.h>
      #include <bpf/bpf_helpers.h>
      struct event { __u32 pid; __u64 ts; char comm[16]; unsigned flag: 1, kind: 3; };
      struct {
        __uint(type, BPF_MAP_TYPE_HASH);
        __uint(max_entries, 128);
        __type(key, __u32);
        __type(value, struct event);
      } events SEC(".maps");
      __u64 counter = 0;
      const volatile __u32 filter_pid = 7;
      extern int LINUX_KERNEL_VERSION __kconfig;
      SEC("xdp") int prog(struct xdp_md *ctx) {
        __u32 k = 1;
        struct event *e = bpf_map_lookup_elem(&events, &k);
        if (e) e->pid = filter_pid + LINUX_KERNEL_VERSION;
        counter++;
        return XDP_PASS;
      }
      char LICENSE[] SEC("license") = "GPL";
    `);
    const cc = spawnSync('clang', ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, '-c', 'x.bpf.c', '-o', 'x.o'], { cwd: dir, encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const bytes = fs.readFileSync(path.join(dir, 'x.o'));
    const sec = ElfFile.parse(bytes).section('.BTF');
    assert.ok(sec, 'clang -g emits .BTF');
    const out = btfToTypeScript(BtfReader.parse(bytes.subarray(sec.offset, sec.offset + sec.size)));
    assert.match(out, /export interface event \{\n {2}\/\*\* offset 0 \*\/ pid: __u32;\n {2}\/\*\* offset 8 \*\/ ts: __u64;\n {2}\/\*\* offset 16 \*\/ comm: FixedArray<i8, 16>;\n {2}\/\*\* offset 32, bits 1 at bit offset 256 \*\/ flag: u32;\n {2}\/\*\* offset 32, bits 3 at bit offset 257 \*\/ kind: u32;\n\}/);
    // The map definition: __uint(type, N) is a pointer to an array of N ints.
    assert.match(out, /export interface _maps \{\n {2}\/\*\* offset 0, size 32, global \*\/ events: \{\n {4}\/\/ struct: size 32, align 8\n {4}\/\*\* offset 0 \*\/ type: Ptr<FixedArray<i32, 1>>;\n {4}\/\*\* offset 8 \*\/ max_entries: Ptr<FixedArray<i32, 128>>;\n {4}\/\*\* offset 16 \*\/ key: Ptr<__u32>;\n {4}\/\*\* offset 24 \*\/ value: Ptr<event>;/);
    assert.match(out, /export interface _kconfig \{\n {2}\/\*\* offset 0, size 4, extern \*\/ LINUX_KERNEL_VERSION: i32;\n\}/);
    assert.match(out, /export interface _rodata \{\n {2}\/\*\* offset 0, size 4, global \*\/ filter_pid: __u32;\n\}/);
    assert.match(out, /\/\*\* struct xdp_md: size 24, align 4 \*\/\nexport interface xdp_md \{/);
    assert.deepEqual(typecheck({ 'obj.ts': out }), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const haveVmlinux = fs.existsSync(VMLINUX);

test('vmlinux: the whole BTF prints in under 2 s, deterministically, and type-checks with zero errors', { skip: !haveVmlinux && `${VMLINUX} missing` }, () => {
  const btf = BtfReader.parse(fs.readFileSync(VMLINUX));
  // CPU time, not wall time: other processes on a busy CI machine do not count against us.
  const cpu0 = process.cpuUsage();
  const out = btfToTypeScript(btf);
  const cpu = process.cpuUsage(cpu0);
  const ms = (cpu.user + cpu.system) / 1000;
  assert.ok(ms < 2000, `printing vmlinux took ${ms.toFixed(0)} ms of CPU`);
  assert.equal(btfToTypeScript(btf), out, 'same input, same output');
  // Every named struct is declared (under its own name or a ___N one).
  const structs = new Set<string>();
  for (let id = 1; id <= btf.lastId; id++) if (btf.kind(id) === 'STRUCT' && btf.name(id) !== '') structs.add(btf.name(id));
  const declared = new Set([...out.matchAll(/^export interface (\w+?)(?:___\d+)? /gm)].map((m) => m[1]!));
  const missing = [...structs].filter((s) => !declared.has(s) && !declared.has(`_${s}`));
  assert.deepEqual(missing, []);
  assert.deepEqual(typecheck({ 'vmlinux.ts': out }), []);
});

const ROOTS = ['task_struct', 'sk_buff', '__sk_buff', 'xdp_md', 'bpf_sock', 'iphdr', 'tcphdr'];

test('vmlinux: the BPF roots with opaque pointees, named anonymous members and an imported prelude type-check', { skip: !haveVmlinux && `${VMLINUX} missing` }, () => {
  const btf = BtfReader.parse(fs.readFileSync(VMLINUX));
  const opts: BtfToTsOptions = { types: ROOTS, pointees: 'opaque', anonMembers: 'name', prelude: { importFrom: './kernel.js' } };
  const out = btfToTypeScript(btf, opts);
  for (const root of ROOTS) assert.match(out, new RegExp(`^export interface ${root} \\{$`, 'm'), root);
  // The context structs are uapi: their layout is fixed, so check it exactly.
  assert.match(out, /\/\*\* struct xdp_md: size 24, align 4 \*\/\nexport interface xdp_md \{\n {2}\/\*\* offset 0 \*\/ data: __u32;\n {2}\/\*\* offset 4 \*\/ data_end: __u32;\n {2}\/\*\* offset 8 \*\/ data_meta: __u32;\n {2}\/\*\* offset 12 \*\/ ingress_ifindex: __u32;\n {2}\/\*\* offset 16 \*\/ rx_queue_index: __u32;\n {2}\/\*\* offset 20 \*\/ egress_ifindex: __u32;\n\}/);
  assert.match(out, /\/\*\* struct __sk_buff: size 192, align 8 \*\/\nexport interface __sk_buff \{\n {2}\/\*\* offset 0 \*\/ len: __u32;/);
  assert.match(out, /\/\*\* offset 0, bits 4 at bit offset 0 \*\/ ihl: __u8;\n {2}\/\*\* offset 0, bits 4 at bit offset 4 \*\/ version: __u8;/);
  assert.match(out, /\/\*\* offset 12, bits 4 at bit offset 100 \*\/ doff: __u16;/);
  assert.ok(out.length < 2_000_000, `roots output is ${out.length} chars: pointees should stay opaque`);
  assert.deepEqual(typecheck({ 'roots.ts': out, 'kernel.ts': inlinePrelude() }), []);
});
