// One test per diagnostic code of DIAGNOSTICS that the compiler emits: a minimal
// source (which tsc accepts, so the diagnostic is ours) and the exact code +
// line:column. Codes the compiler does not emit yet are listed as reserved, with
// the reason; the test scans the compiler's sources so that a code starting to be
// emitted (or a reserved one missing here) fails until it gets its case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIAGNOSTICS } from '@lockne/kernel';
import { compileToInstructions, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';

const HEAD = `import { xdp, cgroupSock, kprobe, XdpAction, CgroupVerdict, HashMap, RingBuf, ProgramArray, LpmTrie, EthHdr, struct, array, type Infer, u8, u16, u32, u64, i32, bool } from '@lockne/kernel';\n`;

/** A module the compiler must refuse to import (LK1010): @lockne/kernel's compiled JS, named by path. */
const KERNEL_JS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../kernel/dist/src/ints.js');

/**
 * `chunks` inlined functions of `n` atomicAdd(hits, <64-bit constant>) each (5 slots: two
 * LD_IMM64 and the atomic), all under one `if`: its jump spans 5 * chunks * n instructions.
 * Chunks keep tsc's flow analysis linear (one huge body is quadratic, then TS2563).
 */
function bigJumpSource(chunks: number, n: number): string {
  const fns = Array.from({ length: chunks }, (_, f) => `function chunk${f}(): void {\n${Array.from({ length: n }, (_, k) => `  atomicAdd(hits, ${0x100000000 + k}n);`).join('\n')}\n}`);
  return `import { bss, atomicAdd } from '@lockne/kernel';\nexport const hits = bss(u64);\n${fns.join('\n')}\n` +
    `export const p = xdp((ctx) => {\n  if (ctx.rxQueueIndex > 7) {\n${Array.from({ length: chunks }, (_, f) => `    chunk${f}();`).join('\n')}\n  }\n  return XdpAction.PASS;\n});`;
}
/** The line of bigJumpSource's `if` (HEAD is line 1). */
const bigJumpLine = (chunks: number, n: number): number => 1 + 2 + chunks * (n + 2) + 2;

/** [code, what triggers it, body after HEAD (line 2 on), the expected `line:col CODE` list]. */
const CASES: Array<[string, string, string, string[]]> = [
  ['LK1001', 'a debugger statement (no more specific code fits)',
    `export const p = xdp((ctx) => { debugger; return XdpAction.PASS; });`, ['2:33 LK1001']],
  ['LK1003', 'a class declaration at the top level',
    `export class Counter { n = 0; bump(): void { this.n++; } }\nexport const p = xdp((ctx) => XdpAction.PASS);`, ['2:1 LK1003']],
  ['LK1004', 'throw inside a program',
    `export const p = xdp((ctx) => { if (ctx.rxQueueIndex > 3) throw 1; return XdpAction.PASS; });`, ['2:59 LK1004']],
  ['LK1005', 'an object literal of no declared layout',
    `export const p = xdp((ctx) => { const o = { a: 1 }; return XdpAction.PASS; });`, ['2:43 LK1005']],
  ['LK1006', 'a string literal in code',
    `export const p = xdp((ctx) => { const s = 'drop'; return XdpAction.PASS; });`, ['2:43 LK1006']],
  ['LK1010', 'an import of compiled JavaScript (the @lockne/kernel package\'s own dist, by path)',
    `import { u32 as U32 } from '${KERNEL_JS}';\nexport const p = xdp((ctx) => XdpAction.PASS);`, ['2:28 LK1010']],
  ['LK1013', 'for..of over an array literal, through a cast tsc accepts',
    `export const p = xdp((ctx) => { let n: u32 = 0; for (const k of [1, 2] as u32[]) n += k; return XdpAction.PASS; });`, ['2:65 LK1013']],
  ['LK3005', 'a helper call while a spin lock is held',
    `import { spinLock, bpf } from '@lockne/kernel';\nexport const P = struct('p', { lock: spinLock, t: u64 });\nexport const m = new HashMap<u32, Infer<typeof P>>({ maxEntries: 1, key: u32, value: P });\nexport const p = xdp((ctx) => { const v = m.lookup(0); if (v === null) return XdpAction.PASS; v.value.lock.lock(); v.value.t = bpf.ktimeGetNs(); v.value.lock.unlock(); return XdpAction.PASS; });`, ['5:128 LK3005']],
  ['LK4009', 'a rodata() global written through a cast (tsc alone refuses it: TS2540)',
    `import { rodata } from '@lockne/kernel';\nexport const port = rodata(u16, 53);\nexport const p = xdp((ctx) => { (port as unknown as { value: u16 }).value = 1; return XdpAction.PASS; });`, ['4:33 LK4009']],
  ['LK5005', 'a conditional jump over 33,000 instructions (past the 16-bit jump offset)',
    bigJumpSource(33, 200), [`${bigJumpLine(33, 200)}:7 LK5005`]],
  ['LK1007', 'a helper function returning a string',
    `function f(a: u32) { return 'x'; }\nexport const p = xdp((ctx) => { f(1); return XdpAction.PASS; });`, ['2:1 LK1007']],
  ['LK1008', 'an async helper function',
    `async function f(a: u32) { return a; }\nexport const p = xdp((ctx) => { f(1); return XdpAction.PASS; });`, ['2:1 LK1008']],
  ['LK1009', 'a helper calling itself',
    `function f(a: u32): u32 { return a === 0 ? 0 : f(a - 1); }\nexport const p = xdp((ctx) => f(ctx.rxQueueIndex));`, ['2:48 LK1009']],
  ['LK1011', 'a fractional literal in integer arithmetic',
    `export const p = xdp((ctx) => { const a = u32(ctx.rxQueueIndex); return u32(a * 1.5); });`, ['2:81 LK1011']],
  ['LK2001', 'u8 + u16',
    `export const p = xdp((ctx) => { const a = u8(1); const b = u16(2); return u32(a + b); });`, ['2:79 LK2001']],
  ['LK2002', '300 added to a u8',
    `export const p = xdp((ctx) => { const a = u8(1); return u32(a + 300); });`, ['2:61 LK2002']],
  ['LK2003', 'a u32 sum assigned to a u8 (tsc sees number)',
    `export const p = xdp((ctx) => { const a = u32(ctx.rxQueueIndex); const b: u8 = a + a; return XdpAction.PASS; });`, ['2:80 LK2003']],
  ['LK2004', 'u32 < i32',
    `export const p = xdp((ctx) => { const a = u32(1); const b = i32(2); return a < b ? 1 : 0; });`, ['2:76 LK2004']],
  ['LK2005', 'let initialised with a bare literal',
    `export const p = xdp((ctx) => { let i = 0; return i; });`, ['2:37 LK2005']],
  ['LK2006', 'u8 shifted by 8',
    `export const p = xdp((ctx) => { const a = u8(1); return u32(a << 8); });`, ['2:61 LK2006']],
  ['LK2007', 'division by constant zero (warning)',
    `export const p = xdp((ctx) => { const a = u32(1); return a / 0; });`, ['2:58 LK2007']],
  ['LK2008', '** on integers',
    `export const p = xdp((ctx) => { const a = u32(ctx.rxQueueIndex); return u32(a ** 2); });`, ['2:77 LK2008']],
  ['LK2009', 'booleans compared with <',
    `export const p = xdp((ctx) => { const b = ctx.rxQueueIndex > 1; const c = ctx.rxQueueIndex > 2; return b < c ? 1 : 0; });`, ['2:104 LK2009']],
  ['LK3001', 'a lookup result used through ! without a null check',
    `export const m = new HashMap<u32, u64>({ maxEntries: 4 });\nexport const p = xdp((ctx) => { const v = m.lookup(1); v!.value += 1n; return XdpAction.PASS; });`, ['3:56 LK3001']],
  ['LK3003', 'a constant index past the end of a header array',
    `export const p = xdp((ctx) => { const e = ctx.header(EthHdr, 0); if (e === null) return XdpAction.PASS; return u32(e.src[6]); });`, ['2:122 LK3003']],
  ['LK3004', 'a reserved ring buffer record dropped on the floor',
    `export const rb = new RingBuf({ size: 4096 });\nexport const p = xdp((ctx) => { const r = rb.reserve(u64); if (r === null) return XdpAction.PASS; r.value = 1n; return XdpAction.DROP; });`, ['3:113 LK3004']],
  ['LK3006', 'a bpf_sock field written at post_bind4',
    `export const p = cgroupSock('post_bind4', (ctx) => { ctx.mark = 1; return CgroupVerdict.ALLOW; });`, ['2:54 LK3006']],
  ['LK3007', 'a packet pointer converted to an integer',
    `export const p = xdp((ctx) => { const e = ctx.header(EthHdr, 0); return u32(e as unknown as u32); });`, ['2:73 LK3007']],
  ['LK3008', 'a let without an initial value',
    `export const p = xdp((ctx) => { let x: u32; x = 1; return x; });`, ['2:37 LK3008']],
  ['LK3009', 'a field xdp_md does not have',
    `export const p = xdp((ctx) => (ctx as unknown as { len: u32 }).len);`, ['2:31 LK3009']],
  ['LK3010', 'an LpmTrie key with trailing padding',
    `export const K = struct('k', { prefixlen: u32, b: u8 });\nexport type K = Infer<typeof K>;\nexport const t = new LpmTrie<K, u32>({ maxEntries: 4, key: K });\nexport const p = xdp((ctx) => XdpAction.PASS);`, ['4:14 LK3010']],
  ['LK4008', 'a GPL-only helper (bpf_probe_read_kernel_str) under license(\'MIT\')',
    `import { license, bpf } from '@lockne/kernel';\nexport const LICENSE = license('MIT');\nexport const S = struct('s', { b: array(u8, 16) });\nexport const m = new HashMap<u32, Infer<typeof S>>({ maxEntries: 1 });\nexport const p = xdp((ctx) => { const v = m.lookup(0); if (v !== null) bpf.probeReadKernelStr(v.value.b, 0n); return XdpAction.PASS; });`, ['6:72 LK4008']],
  ['LK4001', 'a program not exported',
    `const p = xdp((ctx) => XdpAction.PASS);`, ['2:7 LK4001']],
  ['LK4002', 'a map not exported',
    `const m = new HashMap<u32, u64>({ maxEntries: 4 });\nexport const p = xdp((ctx) => XdpAction.PASS);`, ['2:7 LK4002']],
  ['LK4003', 'a program that falls off its end (tsc counts if (true) as exhaustive)',
    `export const p = xdp((ctx) => { if (true) { return XdpAction.PASS; } });`, ['2:22 LK4003']],
  ['LK4005', 'maxEntries computed at run time',
    `export const m = new HashMap<u32, u64>({ maxEntries: Math.max(1, 2) });\nexport const p = xdp((ctx) => XdpAction.PASS);`, ['2:54 LK4005']],
  ['LK4006', 'a kprobe (declared in @lockne/kernel, not compiled yet)',
    `export const k = kprobe((ctx) => 0);`, ['2:18 LK4006']],
  ['LK4007', 'module-level mutable state (a let)',
    `export let n = 5;\nexport const p = xdp((ctx) => XdpAction.PASS);`, ['2:12 LK4007']],
  ['LK5001', 'two 320-byte struct values copied through the stack',
    `export const Big = struct('big', { a: array(u64, 40) });\nexport type Big = Infer<typeof Big>;\nexport const m = new HashMap<u32, Big>({ maxEntries: 4, value: Big });\nexport const p = xdp((ctx) => { const v = m.lookup(0); const w = m.lookup(1); if (v === null || w === null) return XdpAction.PASS; m.update(2, v.value); m.update(3, w.value); return XdpAction.PASS; });`, ['5:22 LK5001']],
  ['LK5002', 'nine nested helper calls',
    Array.from({ length: 8 }, (_, i) => `function f${i + 1}(): u32 { return f${i + 2}() + 1; }`).join('\n') + `\nfunction f9(): u32 { return 1; }\nexport const p = xdp((ctx) => f1());`, ['9:29 LK5002']],
  ['LK5003', 'a loop bound read from ctx',
    `export const p = xdp((ctx) => { let s: u32 = 0; for (let i: u32 = 0; i < ctx.rxQueueIndex; i++) s += i; return s; });`, ['2:49 LK5003']],
  ['LK5004', 'a helper with six parameters',
    `function f(a: u32, b: u32, c: u32, d: u32, e: u32, g: u32): u32 { return a + b + c + d + e + g; }\nexport const p = xdp((ctx) => f(1, 2, 3, 4, 5, 6));`, ['2:1 LK5004']],
  ['LK3002', 'a header view read after adjustHead (which can move packet data)',
    `export const p = xdp((ctx) => { const e = ctx.header(EthHdr, 0); if (e === null) return XdpAction.PASS; ctx.adjustHead(14); return e.proto === 8 ? XdpAction.DROP : XdpAction.PASS; });`, ['2:132 LK3002']],
  ['LK6001', 'a tc-only packet helper (storeBytes) called from a socket filter through a cast',
    "import { socketFilter, type TcContext } from '@lockne/kernel';\nexport const p = socketFilter((ctx) => { (ctx as unknown as TcContext).storeBytes(u8, 0, 1); return 0; });", ['3:42 LK6001']],
  ['LK6002', 'a map stored in a local',
    `export const m = new HashMap<u32, u64>({ maxEntries: 4 });\nexport const p = xdp((ctx) => { const mm = m; return XdpAction.PASS; });`, ['3:44 LK6002']],
  ['LK1002', 'a bpf.loop body assigning a captured let',
    "import { bpf } from '@lockne/kernel';\nexport const p = xdp((ctx) => { let n: u32 = 0; bpf.loop(4, (i) => { n += 1; }); return XdpAction.PASS; });", ['3:70 LK1002']],
  ['LK1012', 'a bpf.loop body that is not a function',
    "import { bpf } from '@lockne/kernel';\nexport const p = xdp((ctx) => { bpf.loop(4, 0 as never); return XdpAction.PASS; });", ['3:45 LK1012']],
  ['LK5006', 'bpf.loop over 2^23 + 1 iterations',
    "import { bpf } from '@lockne/kernel';\nexport const p = xdp((ctx) => { bpf.loop(8388609, (i) => 0); return XdpAction.PASS; });", ['3:42 LK5006']],
  ['LK6003', 'a log template with 9 substitutions',
    "import { log } from '@lockne/kernel';\nexport const p = xdp((ctx) => { const a = ctx.rxQueueIndex; log.info`${a}${a}${a}${a}${a}${a}${a}${a}${a}`; return XdpAction.PASS; });", ['3:61 LK6003']],
  ['LK4004', 'a map named like the logging ring buffer in a module that logs',
    "import { log } from '@lockne/kernel';\nexport const lockne_log = new RingBuf({ size: 4096 });\nexport const p = xdp((ctx) => { log.info`x`; return XdpAction.PASS; });", ['3:14 LK4004']],
  ['LK6004', 'tailCall with something other than the program\'s ctx',
    `export const jt = new ProgramArray({ maxEntries: 4 });\nexport const p = xdp((ctx) => { jt.tailCall(0, 1); return XdpAction.PASS; });`, ['3:33 LK6004']],
];

/** Codes in DIAGNOSTICS no compiler path reports yet, and why (what does happen instead, when it matters). */
const RESERVED: Record<string, string> = {
  // none: every code has a case above
};

/** Codes the compiler emits that are not in the table (not a source problem). */
const OFF_TABLE: Record<string, string> = { LK0000: 'the source file cannot be read' };

function diag(body: string): string[] {
  return compileSource(HEAD + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
}

for (const [code, what, body, want] of CASES) {
  test(`${code} ${DIAGNOSTICS[code as keyof typeof DIAGNOSTICS]?.name ?? '?'}: ${what}`, () => {
    assert.ok(code in DIAGNOSTICS, `${code} is in DIAGNOSTICS`);
    assert.deepEqual(diag(body), want);
    const d = compileSource(HEAD + body).diagnostics[0]!;
    assert.equal(d.severity, DIAGNOSTICS[code as keyof typeof DIAGNOSTICS].severity, 'severity as in the table');
    assert.ok(formatDiagnostic(d).startsWith(`/virtual/test.bpf.ts:${want[0]!.split(' ')[0]}: ${code} `));
  });
}

test('LK0000 (off the table): an unreadable source file, at 1:1', () => {
  const m = compileToInstructions('/nonexistent/lk-missing.bpf.ts');
  assert.deepEqual(m.diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`), ['1:1 LK0000']);
  assert.match(m.diagnostics[0]!.message, /cannot read/);
});

/** Every `'LKnnnn'` literal in the compiler's sources (src/ next to dist/). */
function emittedCodes(): Set<string> {
  const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
  const out = new Set<string>();
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) for (const m of readFileSync(p, 'utf8').matchAll(/'(LK\d{4})'/g)) out.add(m[1]!);
    }
  };
  walk(src);
  return out;
}

test('every code is either tested above or reserved with a reason; reserved codes are not emitted', () => {
  const emitted = emittedCodes();
  const tested = new Set(CASES.map((c) => c[0]));
  for (const code of Object.keys(DIAGNOSTICS)) {
    const reserved = code in RESERVED;
    assert.ok(tested.has(code) !== reserved, `${code}: ${tested.has(code) ? 'tested and reserved' : 'neither tested nor reserved'}`);
    assert.equal(emitted.has(code), !reserved, `${code}: ${reserved ? 'listed reserved but the compiler emits it: add a case' : 'tested but not found in the compiler sources'}`);
  }
  for (const code of emitted) assert.ok(code in DIAGNOSTICS || code in OFF_TABLE, `${code} is emitted but not in DIAGNOSTICS`);
  for (const code of Object.keys(RESERVED)) assert.ok(code in DIAGNOSTICS, `reserved ${code} exists`);
  console.log(`reserved (not emitted yet): ${Object.entries(RESERVED).map(([c, why]) => `\n  ${c} ${DIAGNOSTICS[c as keyof typeof DIAGNOSTICS].name}: ${why}`).join('')}`);
});
