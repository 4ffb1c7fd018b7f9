// The remaining program kinds. Where this kernel runs them, for effect:
// tp_btf (an exec's pid read from the tracepoint's arguments), iter/task (one
// record per task read from the iterator), sockops (the TCP events of a
// connect from a test cgroup), sk_lookup (BPF_PROG_TEST_RUN on a crafted
// context: DROP for one port). sk_msg loads. fentry/fexit/lsm: the object has
// the right sections, their attach BTF ids resolve in the kernel's BTF, and
// the load fails with the kernel's clean refusal (EPERM: no trampolines here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { BpfObject, createCgroup, removeCgroup, iterate, kernelTypeId } from '@lockne/bpf';
import { parseObject } from '@lockne/obj';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { tpBtf, fentry, fexit, lsm, iter, sockOps, skLookup, skMsg, SockOp, SkAction, HashMap, ArrayMap, bpf, license, u16, u32, u64, i32, be16, ntohs } from '@lockne/kernel';
export const LICENSE = license('GPL');
`;

function object(src: string): Uint8Array {
  const r = compile('/virtual/kinds.bpf.ts', { source: HEAD + src });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  return r.object!;
}

const load = (src: string): BpfObject => BpfObject.load(object(src), { requireBtf: true });

test('tpBtf: sched_process_exec sees the exec-ing pid in ctx.arg(1) (old_pid)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = load(`
export const seen = new HashMap<u32, u32>({ maxEntries: 4096 });
export const onExec = tpBtf('sched_process_exec', (ctx) => {
  const tgid = u32(bpf.getCurrentPidTgid() >> 32n);
  seen.update(u32(ctx.arg(1)), tgid);
  return 0;
});
`);
  try {
    assert.equal(obj.program('onExec').def.section, 'tp_btf/sched_process_exec');
    const link = obj.program('onExec').attach();
    let pid = 0;
    try {
      const r = spawnSync('/bin/true');
      assert.equal(r.status, 0);
      pid = r.pid;
    } finally {
      link.close();
    }
    assert.equal(obj.map<number, number>('seen').get(pid), pid, 'old_pid and the current tgid are the spawned pid');
  } finally {
    obj.close();
  }
});

test('iter(task): reading the iterator gives one record per task, seq numbers 0, 1, 2, ...', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = load(`
export const tasks = iter('task', (ctx) => {
  if (ctx.task === 0n) return 0;   // the final call
  ctx.seqWrite(u64, ctx.seqNum);
  return 0;
});
`);
  try {
    assert.equal(obj.program('tasks').def.section, 'iter/task');
    const procs = fs.readdirSync('/proc').filter((f) => /^\d+$/.test(f)).length;
    const out = iterate(obj.program('tasks'));
    assert.equal(out.byteLength % 8, 0);
    const seqs = Array.from({ length: out.byteLength / 8 }, (_, i) => out.readBigUInt64LE(i * 8));
    assert.ok(seqs.length >= procs - 5, `${seqs.length} tasks for ${procs} processes`);
    assert.deepEqual(seqs, seqs.map((_, i) => BigInt(i)), 'seq_num counts the records');
  } finally {
    obj.close();
  }
});

test('sockOps: a connect from the cgroup shows TCP_CONNECT and ACTIVE_ESTABLISHED with the remote port', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = load(`
/** 0: ops seen (bit per SockOp), 1: remote port of ACTIVE_ESTABLISHED (host order), 2: local port. */
export const seen = new ArrayMap<u32>({ maxEntries: 3 });
export const ops = sockOps((ctx) => {
  const m = seen.lookup(0);
  if (m !== null && ctx.op < 32) m.value |= u32(1) << ctx.op;
  if (ctx.op === SockOp.ACTIVE_ESTABLISHED) {
    // remote_port holds the be16 port in its upper 16 bits (the kernel's historic layout).
    seen.update(1, u32(ntohs(be16(ctx.remotePort >> 16))));
    seen.update(2, ctx.localPort);
  }
  return 1;
});
`);
  const cg = createCgroup(`lk${process.pid}sockops`);
  const server = net.createServer((s) => s.destroy());
  try {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const link = obj.program('ops').attach({ cgroup: cg });
    try {
      const script = `const s=require('net').connect(${port},'127.0.0.1',()=>{console.log(s.localPort);s.destroy()});s.on('error',e=>{console.error(e.message);process.exit(1)})`;
      const r = spawnSync('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, process.execPath, '-e', script], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 0, r.stderr);
      const m = obj.map<number, number>('seen');
      const mask = m.get(0)!;
      assert.ok(mask & (1 << 3), `TCP_CONNECT seen (mask 0x${mask.toString(16)})`);
      assert.ok(mask & (1 << 4), `ACTIVE_ESTABLISHED seen (mask 0x${mask.toString(16)})`);
      assert.equal(m.get(1), port);
      assert.equal(m.get(2), Number(r.stdout.trim()), 'local port in host order');
    } finally {
      link.close();
    }
  } finally {
    server.close();
    obj.close();
    removeCgroup(cg);
  }
});

test('skLookup: test-run on a crafted bpf_sk_lookup drops local port 7 and passes others', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = load(`
export const guard = skLookup((ctx) => ctx.localPort === 7 && ctx.protocol === 6 && ntohs(ctx.remotePort) === 4242 ? SkAction.DROP : SkAction.PASS);
`);
  try {
    const ctx = (localPort: number): Uint8Array => {
      const b = new Uint8Array(72);
      const v = new DataView(b.buffer);
      v.setUint32(8, 2, true);          // family AF_INET
      v.setUint32(12, 6, true);         // protocol TCP
      v.setUint32(16, 0x0100007f, true); // remote 127.0.0.1
      v.setUint16(36, 4242, false);     // remote port, network order
      v.setUint32(40, 0x0100007f, true);
      v.setUint32(60, localPort, true); // local port, host order
      return b;
    };
    assert.equal(obj.program('guard').testRun({ ctx: ctx(7) }).retval, 0, 'SK_DROP');
    assert.equal(obj.program('guard').testRun({ ctx: ctx(8) }).retval, 1, 'SK_PASS');
  } finally {
    obj.close();
  }
});

test('skMsg: the program loads (BPF_PROG_TYPE_SK_MSG, section sk_msg)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = load(`
export const limit = skMsg((ctx) => ctx.size > 4096 || ctx.family !== 2 ? SkAction.DROP : SkAction.PASS);
`);
  try {
    assert.equal(obj.program('limit').def.section, 'sk_msg');
    assert.ok(obj.program('limit').fd > 0);
  } finally {
    obj.close();
  }
});

test('fentry/fexit/lsm: sections and attach BTF ids are right; this kernel refuses the load cleanly (EPERM)', (t) => {
  const src = `
export const counts = new ArrayMap<u64>({ maxEntries: 1 });
export const enter = fentry('do_unlinkat', (ctx) => { const c = counts.lookup(0); if (c !== null) c.value += 1n; return 0; });
export const leave = fexit('do_unlinkat', (ctx) => { const c = counts.lookup(0); if (c !== null) c.value += ctx.arg(2); return 0; });
export const opens = lsm('file_open', (ctx) => 0);
`;
  const bytes = object(src);
  const spec = parseObject(bytes);
  const defs = Object.fromEntries(spec.programs.map((p) => [p.name, p.def]));
  assert.deepEqual([defs.enter?.section, defs.leave?.section, defs.opens?.section], ['fentry/do_unlinkat', 'fexit/do_unlinkat', 'lsm/file_open']);
  assert.deepEqual([defs.enter?.target, defs.opens?.target], ['do_unlinkat', 'file_open']);
  assert.ok(spec.programs.every((p) => p.def.needsAttachBtf), 'the loader resolves their targets in the kernel BTF');
  if (skipUnless(t, needRoot() ?? (fs.existsSync('/sys/kernel/btf/vmlinux') ? null : 'no kernel BTF'))) return;
  assert.ok(kernelTypeId('do_unlinkat', 'FUNC', 'fentry target') > 0);
  assert.ok(kernelTypeId('bpf_lsm_file_open', 'FUNC', 'lsm hook') > 0);
  assert.throws(() => BpfObject.load(bytes, { requireBtf: true }).close(), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'EPERM', e.message);
    assert.match(e.message, /BPF_PROG_LOAD failed: EPERM \(program '(enter|leave|opens)'/);
    return true;
  });
});

test('kinds: contexts the compiler checks (sockops reply writable, op read-only; sk_lookup read-only; iter seqWrite GPL-only)', () => {
  const codes = (src: string, head = HEAD): string[] => compileSource(head + src).diagnostics.map((d) => d.code);
  assert.deepEqual(codes('export const p = sockOps((ctx) => { ctx.reply = 1; ctx.replylong[1] = 2; return 1; });'), []);
  assert.ok(codes('export const p = sockOps((ctx) => { ctx.op = 1; return 1; });').some((c) => c === 'TS2540' || c === 'LK3006'));
  assert.ok(codes('export const p = skLookup((ctx) => { ctx.localPort = 1; return SkAction.PASS; });').some((c) => c === 'TS2540' || c === 'LK3006'));
  const mit = `import { iter, u64, license } from '@lockne/kernel';\nexport const LICENSE = license('MIT');\n`;
  assert.deepEqual(codes('export const p = iter(\'task\', (ctx) => { ctx.seqWrite(u64, ctx.seqNum); return 0; });', mit), ['LK4008']);
  const m = compileSource(HEAD + 'export const a = tpBtf(\'sched_switch\', (ctx) => 0);\nexport const b = iter(\'task\', (ctx) => 0);');
  assert.deepEqual(m.programs.map((p) => `${p.section} ${p.progType}`), ['tp_btf/sched_switch TRACING', 'iter/task TRACING']);
});
