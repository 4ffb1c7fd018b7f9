// Context field writes where the program kind allows them: tc's skb->mark and
// priority (seen in the test run's ctx_out), and cgroup sock_create's socket
// mark, attached to a test cgroup and read back with SO_MARK from a child's socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { attachCgroup, createCgroup, removeCgroup } from '@lockne/bpf';
import { compileOk, compileSource, withProgram } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { tc, cgroupSock, cgroupSkb, TcAction, CgroupVerdict, AddressFamily, u32 } from '@lockne/kernel';\n`;

/** sizeof(struct __sk_buff); mark at 8, priority at 32 (include/uapi/linux/bpf.h). */
const SKB_SIZE = 192;

test('tc writes skb->mark and skb->priority', (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = compileOk(HEAD + `
export const setMark = tc((ctx) => {
  ctx.mark = ctx.len + 0x1000;
  ctx.priority = 7;
  ctx.mark |= 0x10000;
  return TcAction.OK;
});
`);
  withProgram(m, ({ prog }) => {
    const r = prog.testRun({ data: new Uint8Array(64), ctx: new Uint8Array(SKB_SIZE), ctxOutSize: SKB_SIZE });
    assert.equal(r.retval, 0);
    const out = new DataView(r.ctx.buffer, r.ctx.byteOffset);
    assert.equal(out.getUint32(8, true), 0x11040, 'mark = len + 0x1000 | 0x10000');
    assert.equal(out.getUint32(32, true), 7);
  });
});

const CHILD = fileURLToPath(new URL('../../../bpf/dist/test/support/sock-child.js', import.meta.url));

test('cgroupSock(sock_create) sets the mark of sockets created in its cgroup (SO_MARK seen by the child)', (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, fs.existsSync(CHILD) ? null : `${CHILD} not built`)) return;
  const m = compileOk(HEAD + `
export const markSockets = cgroupSock('sock_create', (ctx) => {
  if (ctx.family === AddressFamily.INET || ctx.family === AddressFamily.INET6) ctx.mark = 0x4c4b + ctx.protocol;
  return CgroupVerdict.ALLOW;
});
`);
  assert.equal(m.programs[0]!.section, 'cgroup/sock_create');
  const cg = createCgroup(`lk${process.pid}lang`);
  try {
    withProgram(m, ({ prog }) => {
      const link = attachCgroup(prog, cg, 'sock_create');
      try {
        const r = spawnSync('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, process.execPath, CHILD, 'mark'], { encoding: 'utf8', timeout: 10_000 });
        assert.equal(r.status, 0, r.stderr);
        const got = JSON.parse(r.stdout.trim().split('\n')[0]!) as { mark: number };
        assert.equal(got.mark, 0x4c4b + 6, 'a TCP socket: mark = 0x4c4b + IPPROTO_TCP');
      } finally {
        link.close();
      }
    });
  } finally {
    removeCgroup(cg);
  }
});

const MISUSE: Array<[string, string, string]> = [
  ['LK3006 ctx field not writable for the kind (cgroup_skb cannot write tcIndex)',
    `export const p = cgroupSkb('ingress', (ctx) => { (ctx as unknown as { tcIndex: u32 }).tcIndex = 1; return CgroupVerdict.ALLOW; });`, 'LK3006'],
  ['TS2540 read-only ctx field is refused by tsc', `export const p = cgroupSock('sock_create', (ctx) => { ctx.family = 2; return CgroupVerdict.ALLOW; });`, 'TS2540'],
];

for (const [name, body, code] of MISUSE) {
  test(`diagnostic ${name}`, () => {
    const got = compileSource(HEAD + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
    assert.ok(got.some((g) => g.endsWith(code)), `want ${code}, got ${JSON.stringify(got)}`);
  });
}
