// cgroupSockopt programs attached to a test cgroup, with a child process in it
// making the calls: a setsockopt guard that keeps a socket's Lockne mark
// (reads ctx.level/optname and ctx.sk.mark; EPERM for SO_MARK once the mark is
// ours, other options still work; an option longer than a page goes through
// with ctx.optlen = 0), and a getsockopt observer that reads ctx.retval and
// ctx.optlen and refuses one option. Plus the hook rules the compiler checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BpfObject, createCgroup, removeCgroup } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { cgroupSockopt, CgroupVerdict, ArrayMap, HashMap, rodata, u32, i32, type GetsockoptContext } from '@lockne/kernel';\n`;
const CHILD = fileURLToPath(new URL('./support/sockopt-child.js', import.meta.url));

function load(src: string): BpfObject {
  const r = compile('/virtual/sockopt.bpf.ts', { source: HEAD + src });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return BpfObject.load(r.object!, { requireBtf: true });
}

/** Run the child with `ops` inside cgroup `cg`; its results in order. */
function inCgroup(cg: string, ops: Array<string | number>): Array<{ op: string; result: string; value?: number }> {
  const r = spawnSync('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, process.execPath, CHILD, ...ops.map(String)], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { op: string; result: string; value?: number });
}

const GUARD = `
const SOL_SOCKET = 1;
const SO_MARK = 36;
const PAGE_SIZE = 4096;
export const markBase = rodata(u32, 0x4c4e0000);
export const markMask = rodata(u32, 0xffff0000);
export const calls = new ArrayMap<u32>({ maxEntries: 1, value: u32 });
export const guardMark = cgroupSockopt('setsockopt', (ctx) => {
  const n = calls.lookup(0);
  if (n !== null) n.value += 1;
  if (ctx.level === SOL_SOCKET && ctx.optname === SO_MARK && (ctx.sk.mark & markMask.value) === markBase.value) {
    return CgroupVerdict.REJECT;
  }
  // Options longer than a page reach us truncated: let the kernel use the caller's buffer.
  if (ctx.optlen > PAGE_SIZE) ctx.optlen = 0;
  return CgroupVerdict.ALLOW;
});
`;

test('cgroupSockopt(setsockopt): SO_MARK is refused (EPERM) once the socket carries our mark; other options work', (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, fs.existsSync(CHILD) ? null : `${CHILD} not built`)) return;
  const obj = load(GUARD);
  const cg = createCgroup(`lk${process.pid}sockopt`);
  try {
    assert.equal(obj.program('guardMark').def.section, 'cgroup/setsockopt');
    const link = obj.program('guardMark').attach({ cgroup: cg });
    try {
      const got = inCgroup(cg, ['setmark', 5, 'setmark', 0x4c4e0001, 'getmark', 'setmark', 7, 'getmark', 'setrcvbuf', 65536, 'setlarge', 'getrcvbuf']);
      assert.deepEqual(got.map((g) => `${g.op} ${g.result}`), [
        'setmark ok', // mark 0 is not ours: allowed
        'setmark ok', // still 5: allowed, now ours
        'getmark ok',
        'setmark EPERM', // ctx.sk.mark is ours: refused
        'getmark ok',
        'setrcvbuf ok',
        'setlarge ok', // 5000-byte optval: optlen reset to 0, the kernel reads the caller's buffer
        'getrcvbuf ok',
      ]);
      assert.equal(got[2]!.value, 0x4c4e0001);
      assert.equal(got[4]!.value, 0x4c4e0001, 'the refused call left the mark alone');
      assert.equal(got[7]!.value, 65536, 'SO_RCVBUF from the large buffer took effect (the kernel doubles it)');
      assert.equal(obj.map<number, number>('calls').get(0), 5, 'the program ran for every setsockopt (5 calls)');
    } finally {
      link.close();
    }
    // Detached: the same call goes through.
    assert.deepEqual(inCgroup(cg, ['setmark', 0x4c4e0001, 'setmark', 7]).map((g) => g.result), ['ok', 'ok']);
  } finally {
    obj.close();
    removeCgroup(cg);
  }
});

test('cgroupSockopt(getsockopt): ctx.retval and ctx.optlen after the kernel ran; REJECT makes it EPERM', (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, fs.existsSync(CHILD) ? null : `${CHILD} not built`)) return;
  const obj = load(`
export const seen = new HashMap<i32, u32>({ maxEntries: 16, key: i32, value: u32 });
export const observe = cgroupSockopt('getsockopt', (ctx) => {
  seen.update(ctx.optname, u32(ctx.optlen) | (ctx.retval === 0 ? 0x100 : 0) | u32(ctx.level) << 16);
  return ctx.optname === 36 ? CgroupVerdict.REJECT : CgroupVerdict.ALLOW;
});
`);
  const cg = createCgroup(`lk${process.pid}getopt`);
  try {
    assert.equal(obj.program('observe').def.section, 'cgroup/getsockopt');
    const link = obj.program('observe').attach({ cgroup: cg });
    try {
      const got = inCgroup(cg, ['getrcvbuf', 'getmark']);
      assert.deepEqual(got.map((g) => `${g.op} ${g.result}`), ['getrcvbuf ok', 'getmark EPERM']);
      assert.equal(obj.map<number, number>('seen').get(8), 4 | 0x100 | 1 << 16, 'SO_RCVBUF: optlen 4, retval 0, level SOL_SOCKET');
      assert.equal(obj.map<number, number>('seen').get(36), 4 | 0x100 | 1 << 16, 'SO_MARK reached the program before it refused');
    } finally {
      link.close();
    }
  } finally {
    obj.close();
    removeCgroup(cg);
  }
});

test('sockopt hook rules: retval only at getsockopt (LK3009), level/optname writable only at setsockopt, sk read-only (LK3006)', () => {
  const diag = (body: string) => compileSource(HEAD + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
  // tsc already refuses `ctx.retval` on a SetsockoptContext; a cast gets past it, the compiler does not.
  assert.deepEqual(diag(`export const p = cgroupSockopt('setsockopt', (ctx) => (ctx as unknown as GetsockoptContext).retval === 0 ? 1 : 0);`), ['2:55 LK3009']);
  assert.deepEqual(diag(`export const p = cgroupSockopt('getsockopt', (ctx) => { (ctx as unknown as { level: i32 }).level = 1; return CgroupVerdict.ALLOW; });`), ['2:57 LK3006']);
  assert.deepEqual(diag(`export const p = cgroupSockopt('setsockopt', (ctx) => { (ctx.sk as { mark: u32 }).mark = 1; return CgroupVerdict.ALLOW; });`), ['2:57 LK3006']);
  assert.deepEqual(diag(`export const p = cgroupSockopt('setsockopt', (ctx) => { ctx.level = 0; ctx.optname = 0; ctx.optlen = -1; return CgroupVerdict.ALLOW; });`), []);
  assert.deepEqual(diag(`export const p = cgroupSockopt('getsockopt', (ctx) => { ctx.retval = 0; ctx.optlen = 0; return CgroupVerdict.ALLOW; });`), []);
});
