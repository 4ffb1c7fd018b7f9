// Socket local storage and the ancestor-cgroup helper, with a child process in
// a test cgroup: sock_create creates the socket's SkStorage value (the context
// is the socket), connect4 finds it through ctx->sk, counts, and deletes it, so
// the next connect of the same socket finds none. bpf.getCurrentAncestorCgroupId
// gives the root cgroup at level 0, the test cgroup at level 1, 0 deeper.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import dgram from 'node:dgram';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { BpfObject, createCgroup, iterate, removeCgroup } from '@lockne/bpf';
import { compile, formatDiagnostic } from '../src/index.js';
import { compileSource } from './support/run.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const HEAD = `import { cgroupSock, cgroupSockAddr, cgroupSkb, CgroupVerdict, HashMap, SkStorage, StorageFlag, struct, bpf, ntohs, type Infer, u32, u64 } from '@lockne/kernel';\n`;
const CHILD = fileURLToPath(new URL('./support/sockopt-child.js', import.meta.url));

const SRC = HEAD + `
export const Owner = struct('owner', { tgid: u32, connects: u32 });
export const perSock = new SkStorage<Infer<typeof Owner>>({ value: Owner });
/** connect port → the tgid its socket's storage held (absent: no storage). */
export const seen = new HashMap<u32, u32>({ maxEntries: 64, key: u32, value: u32 });
/** connect port → 1 when the socket had no storage. */
export const missing = new HashMap<u32, u32>({ maxEntries: 64, key: u32, value: u32 });
/** level → bpf.getCurrentAncestorCgroupId(level) at socket creation. */
export const ancestors = new HashMap<u32, u64>({ maxEntries: 4, key: u32, value: u64 });
export const create = cgroupSock('sock_create', (ctx) => {
  const v = perSock.get(ctx, StorageFlag.CREATE);
  if (v !== null) { v.value.tgid = u32(bpf.getCurrentPidTgid() >> 32n); v.value.connects = 0; }
  for (let level: u32 = 0; level < 3; level++) ancestors.update(level, bpf.getCurrentAncestorCgroupId(level));
  ancestors.update(3, bpf.getCurrentCgroupId());
  return CgroupVerdict.ALLOW;
});
export const connect = cgroupSockAddr('connect4', (ctx) => {
  const port = u32(ntohs(ctx.userPort));
  const v = perSock.get(ctx);
  if (v === null) { missing.update(port, 1); return CgroupVerdict.ALLOW; }
  v.value.connects += 1;
  seen.update(port, v.value.tgid);
  perSock.delete(ctx);
  return CgroupVerdict.ALLOW;
});
`;

test('SkStorage: created at sock_create, found and deleted at connect4; bpf.getCurrentAncestorCgroupId', (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, fs.existsSync(CHILD) ? null : `${CHILD} not built`)) return;
  const r = compile('/virtual/sk-storage.bpf.ts', { source: SRC });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const obj = BpfObject.load(r.object!, { requireBtf: true });
  const cg = createCgroup(`lk${process.pid}skst`);
  try {
    const links = [obj.program('create').attach({ cgroup: cg }), obj.program('connect').attach({ cgroup: cg })];
    try {
      const c = spawnSync('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, process.execPath, CHILD, 'connect', '9', 'connect', '10'], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(c.status, 0, c.stderr);
      assert.deepEqual(c.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { result: string }).result), ['ok', 'ok']);
      assert.equal(obj.map<number, number>('seen').get(9), c.pid, 'the storage sock_create made, found at the first connect');
      assert.equal(obj.map<number, number>('missing').get(9), undefined);
      assert.equal(obj.map<number, number>('missing').get(10), 1, 'deleted: the second connect finds none');
      const anc = obj.map<number, bigint>('ancestors');
      assert.equal(anc.get(0), 1n, 'level 0: the root cgroup (id 1)');
      assert.equal(anc.get(1), BigInt(fs.statSync(cg).ino), 'level 1: the test cgroup (its id is its inode)');
      assert.equal(anc.get(2), 0n, 'deeper than the task\'s cgroup: 0');
      assert.equal(anc.get(3), anc.get(1), 'the task\'s own cgroup');
    } finally {
      for (const l of links) l.close();
    }
  } finally {
    obj.close();
    removeCgroup(cg);
  }
});

// cgroup_skb: skb->sk may be NULL, so get() tests it before the helper call.
const SKB_SRC = HEAD + `
export const Counts = struct('counts', { tgid: u32, packets: u32, bytes: u64 });
export const perSock = new SkStorage<Infer<typeof Counts>>({ value: Counts });
/** tgid → packets its socket's storage had counted at the last egress packet. */
export const byTgid = new HashMap<u32, u32>({ maxEntries: 64, key: u32, value: u32 });
/** 0 → egress packets that found no storage. */
export const misses = new HashMap<u32, u32>({ maxEntries: 1, key: u32, value: u32 });
export const create = cgroupSock('sock_create', (ctx) => {
  const v = perSock.get(ctx, StorageFlag.CREATE);
  if (v !== null) v.value.tgid = u32(bpf.getCurrentPidTgid() >> 32n);
  return CgroupVerdict.ALLOW;
});
export const egress = cgroupSkb('egress', (ctx) => {
  const v = perSock.get(ctx);
  if (v === null) {
    const m = misses.lookup(0);
    if (m !== null) m.value += 1; else misses.update(0, 1);
    return CgroupVerdict.ALLOW;
  }
  v.value.packets += 1;
  v.value.bytes += u64(ctx.len);
  byTgid.update(v.value.tgid, v.value.packets);
  return CgroupVerdict.ALLOW;
});
`;

test('SkStorage in cgroupSkb: the sending socket\'s value through skb->sk; none for a socket-less test run', async (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, fs.existsSync(CHILD) ? null : `${CHILD} not built`)) return;
  const r = compile('/virtual/sk-storage-skb.bpf.ts', { source: SKB_SRC });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const obj = BpfObject.load(r.object!, { requireBtf: true });
  const cg = createCgroup(`lk${process.pid}skskb`);
  try {
    // BPF_PROG_TEST_RUN gives the skb a fresh dummy socket: full, but with no storage.
    const run = obj.program('egress').testRun({ data: new Uint8Array(64), repeat: 3 });
    assert.equal(run.retval, 1);
    assert.equal(obj.map<number, number>('misses').get(0), 3, 'each test run found no storage');
    const links = [obj.program('create').attach({ cgroup: cg }), obj.program('egress').attach({ cgroup: cg })];
    // A loopback listener, so the datagrams are not refused (ICMP port unreachable).
    const sink = dgram.createSocket('udp4');
    try {
      await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
      const c = spawnSync('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, process.execPath, CHILD, 'connect', String(sink.address().port), 'send', '5'], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(c.status, 0, c.stderr);
      assert.deepEqual(c.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { result: string }).result), ['ok', 'ok']);
      assert.equal(obj.map<number, number>('byTgid').get(c.pid!), 5, 'five datagrams counted in the sending socket\'s storage');
    } finally {
      sink.close();
      for (const l of links) l.close();
    }
  } finally {
    obj.close();
    removeCgroup(cg);
  }
});

// iterSkStorage: userspace cannot walk an SK_STORAGE map (no keys); an iterator attached with it can.
const ITER_SRC = HEAD.replace('cgroupSkb,', 'cgroupSkb, iterSkStorage,') + `
export const Owner = struct('owner', { tgid: u32, seq: u32 });
export const perSock = new SkStorage<Infer<typeof Owner>>({ value: Owner });
export const create = cgroupSock('sock_create', (ctx) => {
  const v = perSock.get(ctx, StorageFlag.CREATE);
  if (v !== null) v.value.tgid = u32(bpf.getCurrentPidTgid() >> 32n);
  return CgroupVerdict.ALLOW;
});
export const dump = iterSkStorage((ctx) => {
  const v = ctx.value(perSock);
  if (v === null) return 0;
  v.value.seq = u32(ctx.seqNum);
  ctx.seqWrite(Owner, v.value);
  return 0;
});
`;

test('iterSkStorage: reading the iterator lists every socket\'s value in the map it is attached with', async (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, fs.existsSync(CHILD) ? null : `${CHILD} not built`)) return;
  const r = compile('/virtual/sk-storage-iter.bpf.ts', { source: ITER_SRC });
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), []);
  const obj = BpfObject.load(r.object!, { requireBtf: true });
  const cg = createCgroup(`lk${process.pid}skit`);
  try {
    const link = obj.program('create').attach({ cgroup: cg });
    try {
      // Two children, one UDP socket each, held open while the iterator runs.
      const kids = [0, 1].map(() => spawn('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, process.execPath, CHILD, 'hold', '3000'], { stdio: ['ignore', 'pipe', 'inherit'] }));
      // 'close' (not 'exit'): it comes once the stdout pipe (a socketpair) is closed too,
      // which the fd-leak check at the end of the file would otherwise race.
      const closed = kids.map((k) => once(k, 'close'));
      try {
        await Promise.all(kids.map((k) => new Promise<void>((resolve, reject) => {
          k.stdout!.once('data', () => resolve());
          k.once('exit', (code) => reject(new Error(`child exited ${String(code)} before holding its socket`)));
        })));
        const out = iterate(obj.program('dump'), { map: obj.map('perSock') });
        assert.equal(out.byteLength, 16, 'two 8-byte records');
        const rows = [0, 8].map((o) => ({ tgid: out.readUInt32LE(o), seq: out.readUInt32LE(o + 4) }));
        assert.deepEqual(rows.map((x) => x.tgid).sort(), kids.map((k) => k.pid!).sort(), 'each child\'s socket, by the tgid sock_create stored');
        assert.deepEqual(rows.map((x) => x.seq), [0, 1], 'ctx.seqNum counts the calls');
      } finally {
        for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
        await Promise.all(closed);
      }
    } finally {
      link.close();
    }
  } finally {
    obj.close();
    removeCgroup(cg);
  }
});

test('SkStorage needs the program\'s socket: LK6001 for another value or a program kind without one', () => {
  const diag = (body: string) => compileSource(HEAD + `export const s = new SkStorage<u64>({ value: u64 });\n` + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
  assert.deepEqual(diag(`export const p = cgroupSkb('egress', (ctx) => { s.get(ctx); return CgroupVerdict.ALLOW; });`), []);
  assert.deepEqual(diag(`export const p = cgroupSkb('egress', (ctx) => { const x = ctx; s.get(x); return CgroupVerdict.ALLOW; });`), ['3:70 LK6001']);
  assert.deepEqual(diag(`export const p = cgroupSock('sock_create', (ctx) => { s.delete(ctx); return CgroupVerdict.ALLOW; });`), ['3:55 LK6001']);
  assert.deepEqual(diag(`export const p = cgroupSkb('ingress', (ctx) => { s.delete(ctx); return CgroupVerdict.ALLOW; });`), []);
  // An iterator's value is typed by the SkStorage it names; anything else is LK3010.
  const iterDiag = (body: string) => compileSource(HEAD.replace('cgroupSkb,', 'cgroupSkb, iterSkStorage,') + `export const s = new SkStorage<u64>({ value: u64 });\n` + body).diagnostics.map((d) => `${d.line}:${d.column} ${d.code}`);
  assert.deepEqual(iterDiag(`export const p = iterSkStorage((ctx) => { const v = ctx.value(s); if (v !== null) ctx.seqWrite(u64, v.value); return 0; });`), []);
  assert.deepEqual(iterDiag(`export const p = iterSkStorage((ctx) => { const v = ctx.value(0 as never); return 0; });`), ["3:63 LK3010"]);
});
