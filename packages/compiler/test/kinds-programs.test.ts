// Program kinds compiled to ELF objects, loaded with BpfObject.load and attached
// through obj.program(name).attach(): a tracepoint reading its event record, a
// raw tracepoint reading its args, a cgroup connect4 hook denying one port
// (connect() fails with EPERM in the test cgroup), and a socket filter dropping
// long datagrams on loopback. Each asserts the effect, not just the attach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BpfObject, SyscallError, createCgroup, removeCgroup, native } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { tracepoint, rawTracepoint, cgroupSockAddr, socketFilter, CgroupVerdict, AddressFamily, HashMap, ArrayMap, struct, bpf, htons, u32, u64, i32 } from '@lockne/kernel';\n`;

// requireBtf: the kernel must accept the func_info (ctx BTF) and TS line_info of each kind.
function objectOf(src: string): Uint8Array {
  const r = compile('/virtual/kinds.bpf.ts', { source: HEAD + src });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  assert.ok(r.object);
  return r.object;
}

/** Run /bin/true and return its pid (it exec()s, firing sched_process_exec). */
function runTrue(): number {
  const r = spawnSync('/bin/true');
  assert.equal(r.status, 0);
  return r.pid;
}

test('tracepoint(sched, sched_process_exec): the record pid and bpf.getCurrentPidTgid() of an exec', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectOf(`
const Exec = struct('exec_args', { common: u64, filenameLoc: u32, pid: i32, oldPid: i32 });
export const seen = new HashMap<u32, i32>({ maxEntries: 4096 });
export const onExec = tracepoint('sched', 'sched_process_exec', (ctx) => {
  const a = ctx.args(Exec);
  const tgid = u32(bpf.getCurrentPidTgid() >> 32n);
  seen.update(tgid, a.pid);
  return 0;
});
`), { requireBtf: true });
  try {
    assert.equal(obj.program('onExec').def.section, 'tracepoint/sched/sched_process_exec');
    const link = obj.program('onExec').attach();
    try {
      const pid = runTrue();
      assert.equal(obj.map<number, number>('seen').get(pid), pid, 'record pid == tgid of the exec-ing child');
    } finally {
      link.close();
    }
  } finally {
    obj.close();
  }
});

test('rawTracepoint(sched_process_exec): ctx.arg(1) is old_pid', (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectOf(`
export const oldPids = new HashMap<u32, u32>({ maxEntries: 4096 });
export const onExecRaw = rawTracepoint('sched_process_exec', (ctx) => {
  oldPids.update(u32(bpf.getCurrentPidTgid() >> 32n), u32(ctx.arg(1)));
  return 0;
});
`), { requireBtf: true });
  try {
    assert.equal(obj.program('onExecRaw').def.section, 'raw_tracepoint/sched_process_exec');
    const link = obj.program('onExecRaw').attach();
    try {
      const pid = runTrue();
      assert.equal(obj.map<number, number>('oldPids').get(pid), pid, 'TP_PROTO(p, old_pid, bprm): old_pid of a single-threaded exec is its pid');
    } finally {
      link.close();
    }
  } finally {
    obj.close();
  }
});

const CHILD = fileURLToPath(new URL('../../../bpf/dist/test/support/sock-child.js', import.meta.url));

test('cgroupSockAddr(connect4): port 1 is denied (EPERM), others are counted and allowed', (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, fs.existsSync(CHILD) ? null : `${CHILD} not built`)) return;
  const obj = BpfObject.load(objectOf(`
export const attempts = new ArrayMap<u32>({ maxEntries: 1 });
export const denyPort1 = cgroupSockAddr('connect4', (ctx) => {
  const n = attempts.lookup(0);
  if (n !== null) n.value += 1;
  if (ctx.userFamily === AddressFamily.INET && ctx.userPort === htons(1) && ctx.userIp4 === 0x0100007f) return CgroupVerdict.REJECT;
  return CgroupVerdict.ALLOW;
});
`), { requireBtf: true });
  const cg = createCgroup(`lk${process.pid}addr`);
  try {
    assert.equal(obj.program('denyPort1').def.section, 'cgroup/connect4');
    const link = obj.program('denyPort1').attach({ cgroup: cg });
    try {
      const r = spawnSync('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, process.execPath, CHILD, 'connect', '1', 'connect', '2'], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 0, r.stderr);
      const got = r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { result: string }).result);
      assert.equal(got[0], 'EPERM', 'port 1 denied by the program');
      assert.equal(got[1], 'ECONNREFUSED', 'port 2 allowed (nobody listens)');
      assert.equal(obj.map<number, number>('attempts').get(0), 2);
    } finally {
      link.close();
    }
  } finally {
    obj.close();
    removeCgroup(cg);
  }
});

const AF_INET = 2;
const SOCK_DGRAM = 2;
const MSG_DONTWAIT = 0x40;

function sockaddrLoopback(port: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  b.set([127, 0, 0, 1], 4);
  return b;
}

function ok(ret: number, what: string): number {
  if (ret < 0) throw new SyscallError(what, -ret);
  return ret;
}

test('socketFilter: keeps datagrams up to 8 payload bytes, drops longer ones, counts all', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const obj = BpfObject.load(objectOf(`
export const seenLens = new ArrayMap<u32>({ maxEntries: 1 });
export const shortOnly = socketFilter((ctx) => {
  const n = seenLens.lookup(0);
  if (n !== null) n.value += 1;
  if (ctx.len > 16) return 0;
  return ctx.len;
});
`), { requireBtf: true });
  const port = 20000 + (process.pid % 20000);
  let rx = -1;
  let tx = -1;
  try {
    assert.equal(obj.program('shortOnly').def.section, 'socket');
    rx = ok(native.socket(AF_INET, SOCK_DGRAM, 0), 'socket');
    tx = ok(native.socket(AF_INET, SOCK_DGRAM, 0), 'socket');
    ok(native.bind(rx, sockaddrLoopback(port)), 'bind');
    const link = obj.program('shortOnly').attach({ socket: rx });
    try {
      for (const m of ['short', 'a-much-longer-payload', 'ok', '123456789']) ok(native.sendto(tx, Buffer.from(m), 0, sockaddrLoopback(port)), 'sendto');
      await new Promise((r) => setTimeout(r, 50));
      const got: string[] = [];
      const buf = new Uint8Array(256);
      for (let n = native.recv(rx, buf, MSG_DONTWAIT); n >= 0; n = native.recv(rx, buf, MSG_DONTWAIT)) got.push(Buffer.from(buf.subarray(0, n)).toString());
      assert.deepEqual(got, ['short', 'ok'], 'UDP skb->len = 8 + payload; > 16 dropped');
      assert.equal(obj.map<number, number>('seenLens').get(0), 4);
    } finally {
      link.close();
    }
  } finally {
    if (rx >= 0) native.close(rx);
    if (tx >= 0) native.close(tx);
    obj.close();
  }
});
