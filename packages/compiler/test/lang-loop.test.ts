// bpf.loop for effect: bodies become real callback subprograms (BPF_PSEUDO_FUNC
// in .text, linked by the loader) run by BPF_PROG_TEST_RUN. Sum 1..100000, an
// early stop, explicit state, captured integers/bools/map values, a body that
// is a function declaration, nested loops, a variable count past 2^23 (-E2BIG);
// and the diagnostics (LK1002, LK5006, LK1012, LK3010, LK5002).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { tc, TcAction, bpf, struct, array, bss, ArrayMap, u8, u32, u64, i32, i64, type Infer } from '@lockne/kernel';
export const Sum = struct('sum', { total: u64, calls: u32 });
export const out = bss(u64);
export const iters = bss(i64);
export const calls = bss(u32);
`;

function load(src: string): BpfObject {
  const r = compile('/virtual/loop.bpf.ts', { source: HEAD + src });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return BpfObject.load(r.object!, { requireBtf: true });
}

/** Test-run `prog` once; its return value and the `out`/`iters` globals it left. */
function run(obj: BpfObject, prog = 'p', data = new Uint8Array(64)): { ret: number; out: bigint; iters: bigint } {
  const ret = obj.program(prog).testRun({ data }).retval;
  return { ret, out: obj.globals.get('out') as bigint, iters: obj.globals.get('iters') as bigint };
}

test('bpf.loop: sum 1..100000 in a callback updating a captured stack struct', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = load(`
export const p = tc((ctx) => {
  const s: Infer<typeof Sum> = { total: 0n, calls: 0 };
  iters.value = bpf.loop(100000, (i) => { s.total += u64(i) + 1n; s.calls += 1; });
  out.value = s.total;
  calls.value = s.calls;   // stored, not branched on: see 'precise counters' in docs/language.md
  return TcAction.OK;
});
`);
  try {
    assert.deepEqual(run(obj), { ret: 0, out: 5000050000n, iters: 100000n });
    assert.equal(obj.globals.get('calls'), 100000);
  } finally {
    obj.close();
  }
});

test('bpf.loop: explicit state, early stop with return 1, captured integers and bools, a map value by reference', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = load(`
export const acc = new ArrayMap<u64>({ maxEntries: 1 });
export const p = tc((ctx) => {
  const len = ctx.len;           // u32, copied into the callback
  const neg: i32 = -3;
  const twice = len > 10;        // bool
  const v = acc.lookup(0);
  if (v === null) return TcAction.SHOT;
  const s: Infer<typeof Sum> = { total: 0n, calls: 0 };
  iters.value = bpf.loop(1000, (i, st) => {
    if (i >= len) return 1;      // stop after ctx.len iterations
    st.total += u64(i);
    if (twice) st.calls += 2; else st.calls += 1;
    v.value += u64(i64(neg) + 10n);
    return 0;
  }, s);
  out.value = s.total + u64(s.calls);
  return TcAction.OK;
});
`);
  try {
    const r = run(obj, 'p', new Uint8Array(64));
    assert.equal(r.iters, 65n, '64 iterations run, the 65th stopped the loop');
    assert.equal(r.out, BigInt((63 * 64) / 2 + 64 * 2));
    assert.equal(obj.map<number, bigint>('acc').get(0), 64n * 7n, 'the captured map value was updated in place');
  } finally {
    obj.close();
  }
});

test('bpf.loop: a function declaration as the body, nested loops, and a variable count past 2^23 (-E2BIG)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = load(`
export const Cell = struct('cell', { n: u64 });
function count(i: u32, c: Infer<typeof Cell>): 0 | 1 {
  c.n += 1n;
  return 0;
}
export const p = tc((ctx) => {
  const c: Infer<typeof Cell> = { n: 0n };
  bpf.loop(10, count, c);
  // 20 outer × 30 inner: the inner body is a callback of the outer one.
  bpf.loop(20, (i) => { bpf.loop(30, (j) => { c.n += 100n; }); });
  out.value = c.n;
  iters.value = bpf.loop((ctx.len << 20) | 1, (i) => 1);   // 64 << 20 > 2^23
  return TcAction.OK;
});
`);
  try {
    assert.deepEqual(run(obj), { ret: 0, out: 10n + 20n * 30n * 100n, iters: -7n });
  } finally {
    obj.close();
  }
});

test('bpf.loop: the object has static .text callbacks with func_info and line info', () => {
  const m = compileSource(HEAD + `
export const p = tc((ctx) => {
  const s: Infer<typeof Sum> = { total: 0n, calls: 0 };
  bpf.loop(8, (i) => { bpf.loop(2, (j) => { s.calls += 1; }); });
  return TcAction.OK;
});`);
  assert.deepEqual(m.diagnostics, []);
  const p = m.programs[0]!;
  assert.deepEqual(p.subprograms.map((s) => `${s.name} <- ${s.caller}`), ['p__loop0 <- p', 'p__loop0__loop0 <- p__loop0']);
  assert.equal(p.funcRelocs.length, 1);
  assert.equal(p.funcRelocs[0]!.func, 'p__loop0');
  assert.ok(p.subprograms.every((s) => s.lines.length > 0));
  const asm = compile('/virtual/loop.bpf.ts', { source: HEAD + `export const p = tc((ctx) => { bpf.loop(8, (i) => 0); return TcAction.OK; });`, emit: 'asm' }).asm!;
  assert.match(asm, /r2 = &p__loop0 ll/);
  assert.match(asm, /p__loop0: {2}; section \.text/);
});

test('bpf.loop: LK1002 for a captured let, LK5006 past 2^23, LK1012 for a non-function body, LK3010 for a map-value state, LK5002 for stack', () => {
  const codes = (body: string): string[] => compileSource(HEAD + `export const m = new ArrayMap<Infer<typeof Sum>>({ maxEntries: 1, value: Sum });\nexport const p = tc((ctx) => { ${body} return TcAction.OK; });`).diagnostics.map((d) => d.code);
  assert.deepEqual(codes('let n: u64 = 0n; bpf.loop(4, (i) => { n += 1n; });'), ['LK1002']);
  assert.deepEqual(codes('let n: u64 = 0n; bpf.loop(4, (i) => { out.value = n; });'), ['LK1002'], 'even reading a let');
  assert.deepEqual(codes('bpf.loop(8388609, (i) => 0);'), ['LK5006']);
  assert.deepEqual(codes('bpf.loop(8388608, (i) => 0);'), []);
  assert.deepEqual(codes('const f = 1; bpf.loop(4, f as never);'), ['LK1012']);
  assert.deepEqual(codes('const v = m.lookup(0); if (v !== null) bpf.loop(4, (i, s) => { s.total += 1n; }, v.value);'), ['LK3010']);
  const Big = 'export const Big = struct(\'big\', { a: array(u64, 40) });\n';
  const deep = compileSource(HEAD + Big + `export const p = tc((ctx) => {
  const b: Infer<typeof Big> = { a: [${Array(40).fill('0n').join(', ')}] as never };
  bpf.loop(4, (i) => { const c: Infer<typeof Big> = { a: [${Array(40).fill('1n').join(', ')}] as never }; out.value = c.a[u32(i) & 31] + b.a[0]; });
  return TcAction.OK;
});`);
  assert.deepEqual(deep.diagnostics.map((d) => d.code), ['LK5002'], '320 + 320 bytes of stack along program → body');
});
