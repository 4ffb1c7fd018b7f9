// Local storage maps keyed by fds (socket, pidfd, cgroup, file), created with
// BTF that BtfWriter derives from the value codec; and BTF_LOAD itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { assemble } from '@lockne/obj';
import { once } from 'node:events';
import { BtfWriter } from '@lockne/obj';
import {
  AttachType, Btf, BtfLoadError, CgroupStorage, CgrpStorage, InodeStorage, PerCpuCgroupStorage, Program, SkStorage, SyscallError,
  TaskStorage, array, attachCgroup, cstring, native, possibleCpuCount, struct, u16, u32, u64,
} from '../src/index.js';
import { createCgroup, openCgroup, removeCgroup } from '../src/net/cgroup.js';
import { checkFdLeaks, needRoot, skipUnless, uniqueName } from './support/kernel.js';

checkFdLeaks();

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;

test('BTF_LOAD accepts every kind BtfWriter emits and reports a broken type with the kernel log', (t) => {
  if (skipUnless(t, needRoot())) return;
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const uchar = w.int('unsigned char', 1, { char: true });
  const ull = w.int('unsigned long long', 8);
  const boolT = w.int('_Bool', 1, { bool: true });
  const ptr = w.ptr(int);
  const arr = w.array(uchar, 16);
  const node = w.struct('node', 16, []);
  w.setMembers(node, [{ name: 'next', type: w.ptr(node), offset: 0 }, { name: 'val', type: int, offset: 8 }, { name: 'flag', type: boolT, offset: 12 }]);
  const bits = w.struct('bits', 4, [{ name: 'lo', type: int, bitOffset: 0, bitfieldSize: 3 }, { name: 'hi', type: int, bitOffset: 3, bitfieldSize: 29 }]);
  const un = w.union('u', 8, [{ name: 'i', type: int }, { name: 'l', type: ull }]);
  const en = w.enum('color', { RED: 0, GREEN: 1, BLUE: -1 }, { signed: true });
  const en64 = w.enum64('big', [['HUGE', 1n << 40n]]);
  w.fwd('later');
  const td = w.typedef('u8_t', uchar);
  const cv = w.const(w.volatile(int));
  w.restrict(ptr);
  const proto = w.funcProto(int, [{ name: 'ctx', type: ptr }, { name: 'n', type: td }]);
  const fn = w.func('handler', proto, 'global');
  w.declTag('my_tag', fn, -1);
  w.declTag('arg_tag', fn, 0);
  w.typeTag('user', int);
  w.float('double', 8);
  const v1 = w.var('counter', ull, 'global');
  const v2 = w.var('colors', w.array(en, 2), 'static');
  w.datasec('.data', 16, [{ type: v1, offset: 0, size: 8 }, { type: v2, offset: 8, size: 8 }]);
  void [arr, bits, un, en64, cv];
  const blob = w.encode();
  const btf = Btf.load(blob);
  try {
    const info = btf.info();
    assert.ok(info.id > 0);
    assert.equal(info.size, blob.byteLength);
    assert.equal(info.kernel, false);
    const again = Btf.fromId(info.id);
    try {
      assert.equal(again.info().id, info.id);
    } finally {
      again.close();
    }
  } finally {
    btf.close();
  }
  const bad = new BtfWriter();
  bad.struct('bad', 4, [{ name: 'a', type: bad.int('int', 4, { signed: true }), offset: 4 }]);
  assert.throws(() => Btf.load(bad.encode()), (e: unknown) => {
    assert.ok(e instanceof BtfLoadError && e instanceof SyscallError);
    assert.equal(e.code, 'EINVAL');
    assert.match(e.log, /Member exceeds struct_size/);
    assert.match(e.message, /BPF_BTF_LOAD failed: EINVAL\nBTF log/);
    return true;
  });
});

test('sk storage: a value per socket, keyed by the socket fd; the BTF comes from the struct codec', (t) => {
  if (skipUnless(t, needRoot())) return;
  const value = struct({ count: u64, tag: cstring(8), ports: array(u16, 2) }, { name: 'sk_val' });
  const m = SkStorage.create({ value, name: 'lk_sk_stor' });
  const a = native.socket(AF_INET, SOCK_STREAM, 0);
  const b = native.socket(AF_INET, SOCK_DGRAM, 0);
  try {
    assert.ok(a >= 0 && b >= 0);
    assert.equal(m.get(a), undefined);
    m.set(a, { count: 1n, tag: 'tcp', ports: [80, 443] });
    m.set(b, { count: 2n, tag: 'udp', ports: [53, 0] });
    assert.deepEqual(m.get(a), { count: 1n, tag: 'tcp', ports: [80, 443] });
    assert.deepEqual(m.get(b), { count: 2n, tag: 'udp', ports: [53, 0] });
    const info = m.info();
    assert.equal(info.typeName, 'SK_STORAGE');
    assert.ok(info.btfId > 0 && info.btfKeyTypeId > 0 && info.btfValueTypeId > 0);
    assert.equal(m.delete(b), true);
    assert.equal(m.get(b), undefined);
    const file = fs.openSync('/proc/self/status', 'r');
    try {
      assert.throws(() => m.set(file, { count: 0n, tag: '', ports: [0, 0] }), (e: unknown) => e instanceof SyscallError && e.code === 'ENOTSOCK');
    } finally {
      fs.closeSync(file);
    }
  } finally {
    native.close(a);
    native.close(b);
    m.close();
  }
});

test('sk storage works on a Node socket\'s fd', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = SkStorage.create({ value: u32 });
  const server = net.createServer((s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  try {
    await once(client, 'connect');
    const fd = (client as unknown as { _handle: { fd: number } })._handle.fd;
    m.set(fd, 99);
    assert.equal(m.get(fd), 99);
  } finally {
    client.destroy();
    server.close();
    await once(server, 'close');
    m.close();
  }
});

test('task storage: keyed by pidfd; our task and a child keep separate values; gone once the child is reaped', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const m = TaskStorage.create({ value: u32, name: 'lk_task_stor' });
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  const self = native.pidfdOpen(process.pid);
  const other = native.pidfdOpen(child.pid!);
  try {
    assert.ok(self >= 0 && other >= 0, `pidfd_open: ${self}, ${other}`);
    m.set(self, 1);
    m.set(other, 2);
    assert.equal(m.get(self), 1);
    assert.equal(m.get(other), 2);
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.equal(m.get(other), undefined, 'the exited task took its storage with it');
    assert.throws(() => m.set(other, 3), (e: unknown) => e instanceof SyscallError && e.code === 'ENOENT');
    assert.equal(m.get(self), 1);
  } finally {
    child.kill('SIGKILL');
    native.close(self);
    native.close(other);
    m.close();
  }
});

test('cgroup storage: keyed by a cgroup directory fd', (t) => {
  if (skipUnless(t, needRoot())) return;
  const name = uniqueName('cgs');
  const dir = createCgroup(name);
  const m = CgrpStorage.create({ value: u64, name: 'lk_cgrp_stor' });
  const fd = openCgroup(dir);
  const parent = openCgroup(path.dirname(dir));
  try {
    m.set(fd, 11n);
    m.set(parent, 22n);
    assert.equal(m.get(fd), 11n);
    assert.equal(m.get(parent), 22n);
    assert.equal(m.delete(fd), true);
    assert.equal(m.get(fd), undefined);
  } finally {
    fs.closeSync(fd);
    fs.closeSync(parent);
    m.close();
    removeCgroup(dir);
  }
});

test('inode storage: keyed by any fd of the file (bpf LSM)', (t) => {
  if (skipUnless(t, needRoot())) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lockne-inode-'));
  const file = path.join(dir, 'f');
  fs.writeFileSync(file, 'x');
  const m = InodeStorage.create({ value: u32, name: 'lk_inode_stor' });
  const fd1 = fs.openSync(file, 'r');
  const fd2 = fs.openSync(file, 'r');
  try {
    m.set(fd1, 5);
    assert.equal(m.get(fd2), 5, 'another fd of the same inode sees it');
  } finally {
    fs.closeSync(fd1);
    fs.closeSync(fd2);
    m.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('legacy cgroup storage: one element per attachment, counted by the attached program per packet', (t) => {
  if (skipUnless(t, needRoot())) return;
  const shared = CgroupStorage.create({ value: u64, name: 'lk_cg_stor' });
  const pcpu = PerCpuCgroupStorage.create({ value: u64, name: 'lk_cg_pstor' });
  const dir = createCgroup(uniqueName('cgst'));
  const prog = Program.load({
    type: 'CGROUP_SKB',
    expectedAttachType: 'CGROUP_INET_EGRESS',
    instructions: assemble(`
      r1 = map[shared] ll
      r2 = 0
      call bpf_get_local_storage
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
      r1 = map[pcpu] ll
      r2 = 0
      call bpf_get_local_storage
      r1 = *(u64 *)(r0 + 0)
      r1 += 1
      *(u64 *)(r0 + 0) = r1
      r0 = 1 // let the packet through
      exit`, { maps: { shared: shared.fd, pcpu: pcpu.fd } }),
  });
  let link: { close(): void } | undefined;
  try {
    assert.deepEqual([...shared.keys()], [], 'no attachment, no element');
    link = attachCgroup(prog, dir, 'CGROUP_INET_EGRESS');
    const key = { cgroupInodeId: BigInt(fs.statSync(dir).ino), attachType: AttachType.CGROUP_INET_EGRESS };
    assert.deepEqual([...shared.entries()], [[key, 0n]]);
    // A child joins the cgroup and sends three UDP datagrams to loopback.
    const script = `require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'cgroup.procs'))}, String(process.pid));
      const s = require('dgram').createSocket('udp4'); let n = 0;
      const go = () => s.send('x', 9, '127.0.0.1', () => { if (++n < 3) go(); else s.close(); }); go();`;
    const r = spawnSync(process.execPath, ['-e', script], { stdio: 'pipe', timeout: 10_000 });
    assert.equal(r.status, 0, String(r.stderr));
    assert.equal(shared.get(key), 3n);
    const perCpu = pcpu.get(key)!;
    assert.equal(perCpu.length, possibleCpuCount());
    assert.equal(perCpu.reduce((a, b) => a + b, 0n), 3n);
    shared.set(key, 100n);
    assert.equal(shared.get(key), 100n);
    assert.throws(() => shared.set({ ...key, cgroupInodeId: key.cgroupInodeId + 12345n }, 1n), (e: unknown) => e instanceof SyscallError && e.code === 'ENOENT', 'user space cannot create elements');
  } finally {
    link?.close();
    prog.close();
    shared.close();
    pcpu.close();
    removeCgroup(dir);
  }
});
