// Kernel logging for effect: a tc program logs at BPF_PROG_TEST_RUN and
// logReader prints the lines userspace formats from the object's template
// table (integers of each width, signed values, bools, be16/be32 fields);
// a level above the `lockne_log_level` rodata emits nothing and its code is
// gone from the verified program; a level above the compile option is not
// compiled at all; LK6003 / LK4004 for bad uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BpfObject } from '@lockne/bpf';
import { compile, compileToInstructions, formatDiagnostic, logReader, logTemplates, type LogLine } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { tc, xdp, TcAction, XdpAction, EthHdr, Ipv4Hdr, log, RingBuf, u8, u16, u32, u64, i8, i32, i64, htons, type be32 } from '@lockne/kernel';\n`;

const PROG = `
export const logged = tc((ctx) => {
  const len = ctx.len;
  log.info\`packet of \${len} bytes, mark \${ctx.mark}\`;
  const neg: i32 = -5;
  log.warn\`neg \${neg} i8 \${i8(200)} big \${0xffffffffffn} flag \${len > 10} u64 \${u64(len) * 1000000000000n}\`;
  log.debug\`debug \${len}\`;
  log.error\`no arguments\`;
  return TcAction.OK;
});
`;

function load(src: string, level?: number, logLevel?: number): BpfObject {
  const r = compile('/virtual/log.bpf.ts', { source: HEAD + src, ...(logLevel === undefined ? {} : { logLevel }) });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return BpfObject.load(r.object!, { requireBtf: true, ...(level === undefined ? {} : { rodata: { lockne_log_level: level } }) });
}

/** Run `prog` once and collect the lines logged. */
function runAndRead(obj: BpfObject, prog: string, data = new Uint8Array(64)): Array<{ line: string; rec: LogLine }> {
  const got: Array<{ line: string; rec: LogLine }> = [];
  const reader = logReader(obj, (line, rec) => got.push({ line, rec }), { watch: false });
  try {
    obj.program(prog).testRun({ data });
    reader.consume();
  } finally {
    reader.close();
  }
  return got;
}

test('log: a tc program logs at test-run; logReader prints "INFO packet of 64 bytes, mark 0"; debug is off by default', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = load(PROG);
  try {
    const got = runAndRead(obj, 'logged');
    assert.deepEqual(got.map((g) => g.line), [
      'INFO packet of 64 bytes, mark 0',
      'WARN neg -5 i8 -56 big 1099511627775 flag true u64 64000000000000',
      'ERROR no arguments',
    ]);
    assert.deepEqual(got[1]!.rec.args, [-5, -56, 1099511627775n, true, 64000000000000n]);
    assert.equal(got[0]!.rec.template.line, 5, 'the TS line of the log.info call');
    assert.equal(got[0]!.rec.template.file, 'log.bpf.ts');
    assert.equal(logTemplates(obj).length, 4, 'one template per call site');
  } finally {
    obj.close();
  }
});

test('log: lockne_log_level from userspace: DEBUG prints the debug line, WARN drops INFO, and the verifier removed the disabled code', (t) => {
  if (skipUnless(t, needRoot())) return;
  const debug = load(PROG, 3);
  const warn = load(PROG, 1);
  try {
    assert.deepEqual(runAndRead(debug, 'logged').map((g) => g.line.split(' ')[0]), ['INFO', 'WARN', 'DEBUG', 'ERROR']);
    assert.deepEqual(runAndRead(debug, 'logged').find((g) => g.rec.levelName === 'DEBUG')?.line, 'DEBUG debug 64');
    assert.deepEqual(runAndRead(warn, 'logged').map((g) => g.line), [
      'WARN neg -5 i8 -56 big 1099511627775 flag true u64 64000000000000',
      'ERROR no arguments',
    ]);
    // Disabled levels cost nothing: the kernel's dead-code elimination dropped their records.
    const insns = (o: BpfObject): number => o.program('logged').info().xlatedLength / 8;
    assert.ok(insns(warn) + 20 <= insns(debug), `WARN program ${insns(warn)} insns, DEBUG ${insns(debug)}: two records' code gone`);
  } finally {
    warn.close();
    debug.close();
  }
});

test('log: be16/be32 header fields print in host order and as an IPv4 address', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = load(`
export const ip = xdp((ctx) => {
  const eth = ctx.header(EthHdr, 0);
  if (eth === null || eth.proto !== htons(0x0800)) return XdpAction.PASS;
  const h = ctx.header(Ipv4Hdr, 14);
  if (h === null) return XdpAction.PASS;
  log.info\`from \${h.saddr} to \${h.daddr} id \${h.id} ttl \${h.ttl}\`;
  return XdpAction.PASS;
});
`);
  try {
    const pkt = new Uint8Array(64);
    pkt.set([0x08, 0x00], 12);
    pkt.set([0x45, 0, 0, 50, 0x12, 0x34, 0, 0, 64, 17, 0, 0, 10, 0, 0, 2, 192, 168, 1, 7], 14);
    assert.deepEqual(runAndRead(obj, 'ip', pkt).map((g) => g.line), ['INFO from 10.0.0.2 to 192.168.1.7 id 4660 ttl 64']);
  } finally {
    obj.close();
  }
});

test('log: inside a bpf.loop body (a callback subprogram) with a captured value', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = load(`
import { bpf } from '@lockne/kernel';
export const p = tc((ctx) => {
  const len = ctx.len;
  bpf.loop(3, (i) => { log.info\`iteration \${i} of len \${len}\`; });
  return TcAction.OK;
});
`);
  try {
    assert.deepEqual(runAndRead(obj, 'p').map((g) => g.line), ['INFO iteration 0 of len 64', 'INFO iteration 1 of len 64', 'INFO iteration 2 of len 64']);
  } finally {
    obj.close();
  }
});

test('log: the logLevel compile option leaves calls above it out (no ring buffer when none is left)', () => {
  const m = compileSource(HEAD + PROG);
  assert.deepEqual(m.maps.map((x) => x.name), ['lockne_log']);
  assert.deepEqual(m.globals?.map((g) => `${g.name} ${g.section}`), ['lockne_log_level .rodata', 'lockne_log_templates .rodata.lockne_log']);
  const reserves = (logLevel?: number): number =>
    (compile('/virtual/log.bpf.ts', { source: HEAD + PROG, emit: 'asm', ...(logLevel === undefined ? {} : { logLevel }) }).asm!.match(/bpf_ringbuf_reserve#131/g) ?? []).length;
  assert.equal(reserves(), 4, 'every level compiled by default');
  assert.equal(reserves(1), 2, 'logLevel WARN: the WARN and ERROR records remain');
  const debugOnly = HEAD + 'export const p = tc((ctx) => { log.debug`x ${ctx.len}`; return TcAction.OK; });';
  const off = compileToInstructions('/virtual/log.bpf.ts', { source: debugOnly, logLevel: 2 });
  assert.deepEqual(off.diagnostics, []);
  assert.deepEqual(off.maps, [], 'no log ring buffer');
  assert.equal(off.globals, undefined, 'no log globals');
  assert.equal(off.programs[0]!.instructions.length, 2, 'r0 = 0; exit');
});

test('log: LK6003 for more than 8 substitutions (tsc refuses pointers); LK4004 for a reserved name', () => {
  const codes = (src: string): string[] => compileSource(HEAD + src).diagnostics.map((d) => d.code);
  assert.deepEqual(codes('export const p = tc((ctx) => { const a = ctx.len; log.info`${a}${a}${a}${a}${a}${a}${a}${a}${a}`; return TcAction.OK; });'), ['LK6003']);
  // A pointer substitution is already a tsc error (log tags take IntLike values).
  assert.deepEqual(codes('export const p = xdp((ctx) => { const e = ctx.header(EthHdr, 0); if (e !== null) log.info`${e}`; return XdpAction.PASS; });'), ['TS2345']);
  assert.deepEqual(codes('export const lockne_log = new RingBuf({ size: 4096 });\nexport const p = tc((ctx) => { log.info`x`; return TcAction.OK; });'), ['LK4004']);
});
