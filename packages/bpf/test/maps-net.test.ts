// Networking maps: sockmap/sockhash (socket fds in, cookies out), devmap and
// devmap_hash, cpumap (XDP redirect targets), xskmap (AF_XDP sockets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { assemble } from '@lockne/obj';
import { CpuMap, DevMap, DevMapHash, Errno, Program, ReuseportSockArray, SockHash, SockMap, SyscallError, XskMap, native, u64 } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

const SOL_SOCKET = 1;
const SO_COOKIE = 57;
const XDP_PASS = 2;
const XDP_REDIRECT = 4;
const AF_XDP = 44;
const SOCK_RAW = 3;

function cookieOf(fd: number): bigint {
  const out = new BigUint64Array(1);
  const r = native.getsockopt(fd, SOL_SOCKET, SO_COOKIE, out);
  assert.equal(r, 8, `getsockopt(SO_COOKIE): ${r}`);
  return out[0]!;
}

const fdOfSocket = (s: net.Socket | net.Server): number => (s as unknown as { _handle: { fd: number } })._handle.fd;

test('sockmap and sockhash: insert loopback TCP sockets, read their cookies back', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const sm = SockMap.create({ maxEntries: 4, name: 'lk_sockmap' });
  const sh = SockHash.create({ key: u64, maxEntries: 4, name: 'lk_sockhash' });
  const accepted: net.Socket[] = [];
  const server = net.createServer((s) => accepted.push(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  try {
    await once(client, 'connect');
    const cfd = fdOfSocket(client);
    const lfd = fdOfSocket(server);
    sm.set(0, cfd);
    sm.set(1, lfd); // a listening socket is accepted too
    sh.set(0xdeadbeefn, cfd);
    assert.equal(sm.get(0), cookieOf(cfd));
    assert.equal(sm.get(1), cookieOf(lfd));
    assert.equal(sh.get(0xdeadbeefn), cookieOf(cfd));
    assert.notEqual(sm.get(0), sm.get(1));
    assert.equal(sm.get(2), undefined);
    // Data still flows with the socket in the maps (no verdict program attached).
    client.write('ping');
    while (accepted.length === 0) await new Promise((r) => setImmediate(r));
    const [data] = await once(accepted[0]!, 'data');
    assert.equal(String(data), 'ping');
    const udp = native.socket(2, 2, 0);
    const file = fs.openSync('/proc/self/status', 'r');
    try {
      assert.throws(() => sm.set(2, file), (e: unknown) => e instanceof SyscallError && e.code === 'ENOTSOCK');
      // An unbound UDP socket is not hashed yet: refused.
      assert.throws(() => sm.set(2, udp), (e: unknown) => e instanceof SyscallError && e.errno === Errno.EOPNOTSUPP);
    } finally {
      native.close(udp);
      fs.closeSync(file);
    }
    assert.equal(sm.delete(0), true);
    assert.equal(sm.get(0), undefined);
  } finally {
    sm.close();
    sh.close();
    client.destroy();
    for (const s of accepted) s.destroy();
    server.close();
    await once(server, 'close');
  }
});

/** XDP: bpf_redirect_map(map, key, XDP_PASS) — XDP_REDIRECT when the key is present, XDP_PASS when not. */
function redirector(mapFd: number, key: number): Program {
  return Program.load({
    type: 'XDP',
    instructions: assemble(`
      r1 = map[m] ll
      r2 = ${key}
      r3 = ${XDP_PASS}
      call bpf_redirect_map
      exit`, { maps: { m: mapFd } }),
  });
}

test('devmap and devmap_hash: ifindex values, programs on entries, XDP redirect through them', (t) => {
  if (skipUnless(t, needRoot())) return;
  const lo = native.ifNameToIndex('lo');
  assert.ok(lo > 0);
  const dm = DevMap.create({ maxEntries: 4, name: 'lk_devmap' });
  const dh = DevMapHash.create({ maxEntries: 4, name: 'lk_devhash' });
  const viaArray = redirector(dm.fd, 1);
  const viaHash = redirector(dh.fd, lo);
  const onEntry = Program.load({ type: 'XDP', expectedAttachType: 'XDP_DEVMAP', instructions: assemble(`r0 = ${XDP_PASS}\nexit`) });
  const pkt = new Uint8Array(64);
  try {
    assert.equal(viaArray.testRun({ data: pkt }).retval, XDP_PASS, 'empty slot: the fallback action');
    dm.set(1, lo);
    assert.deepEqual(dm.get(1), { ifindex: lo, progId: 0 });
    assert.equal(viaArray.testRun({ data: pkt }).retval, XDP_REDIRECT);
    assert.equal(viaHash.testRun({ data: pkt }).retval, XDP_PASS);
    dh.set(lo, { ifindex: lo, prog: onEntry });
    assert.deepEqual(dh.get(lo), { ifindex: lo, progId: onEntry.info().id });
    assert.equal(viaHash.testRun({ data: pkt }).retval, XDP_REDIRECT);
    assert.throws(() => dm.set(2, 0x7ffff), (e: unknown) => e instanceof SyscallError && e.code === 'EINVAL', 'no such device');
    assert.throws(() => dm.set(2, 0), /ifindex 0 is not a positive integer/);
    dm.delete(1);
    assert.equal(viaArray.testRun({ data: pkt }).retval, XDP_PASS);
  } finally {
    viaArray.close();
    viaHash.close();
    onEntry.close();
    dm.close();
    dh.close();
  }
});

test('cpumap: queue size and program per CPU, XDP redirect to a CPU', (t) => {
  if (skipUnless(t, needRoot())) return;
  const cm = CpuMap.create({ name: 'lk_cpumap' });
  const redirect = redirector(cm.fd, 0);
  const onCpu = Program.load({ type: 'XDP', expectedAttachType: 'XDP_CPUMAP', instructions: assemble(`r0 = ${XDP_PASS}\nexit`) });
  const plain = Program.load({ type: 'XDP', instructions: assemble(`r0 = ${XDP_PASS}\nexit`) });
  try {
    assert.equal(redirect.testRun({ data: new Uint8Array(64) }).retval, XDP_PASS);
    cm.set(0, { qsize: 192 });
    assert.deepEqual(cm.get(0), { qsize: 192, progId: 0 });
    assert.equal(redirect.testRun({ data: new Uint8Array(64) }).retval, XDP_REDIRECT);
    cm.set(0, { qsize: 256, prog: onCpu });
    assert.deepEqual(cm.get(0), { qsize: 256, progId: onCpu.info().id });
    // A program not loaded for XDP_CPUMAP is refused; the kernel reports it as ENOMEM (measured).
    assert.throws(() => cm.set(0, { qsize: 64, prog: plain }), (e: unknown) => e instanceof SyscallError && e.code === 'ENOMEM');
    assert.deepEqual(cm.get(0), { qsize: 256, progId: onCpu.info().id }, 'the old entry stays');
    assert.throws(() => cm.set(cm.maxEntries, { qsize: 64 }), (e: unknown) => e instanceof SyscallError && e.code === 'E2BIG');
  } finally {
    redirect.close();
    onCpu.close();
    plain.close();
    cm.close();
  }
});

test('xskmap: holds AF_XDP sockets (XDP redirects to them); other fds are refused cleanly', (t) => {
  if (skipUnless(t, needRoot())) return;
  const xm = XskMap.create({ maxEntries: 4, name: 'lk_xskmap' });
  const redirect = redirector(xm.fd, 0);
  const xsk = native.socket(AF_XDP, SOCK_RAW, 0);
  const tcp = native.socket(2, 1, 0);
  const file = fs.openSync('/proc/self/status', 'r');
  try {
    assert.ok(xsk >= 0, `socket(AF_XDP): ${xsk}`);
    assert.equal(redirect.testRun({ data: new Uint8Array(64) }).retval, XDP_PASS);
    // This kernel takes an AF_XDP socket before it has a UMEM and is bound
    // (frames redirected to it are dropped until then).
    xm.set(0, xsk);
    assert.equal(redirect.testRun({ data: new Uint8Array(64) }).retval, XDP_REDIRECT);
    assert.throws(() => xm.get(0), (e: unknown) => e instanceof SyscallError && e.errno === Errno.EOPNOTSUPP, 'no lookups from user space');
    assert.throws(() => xm.set(1, tcp), (e: unknown) => {
      assert.ok(e instanceof SyscallError);
      assert.equal(e.errno, Errno.EOPNOTSUPP);
      assert.match(e.message, /BPF_MAP_UPDATE_ELEM failed: \w+ \(map 'lk_xskmap'\)/);
      return true;
    });
    assert.throws(() => xm.set(1, file), (e: unknown) => e instanceof SyscallError && e.code === 'ENOTSOCK');
    assert.equal(xm.delete(0), true);
    assert.equal(redirect.testRun({ data: new Uint8Array(64) }).retval, XDP_PASS);
  } finally {
    redirect.close();
    native.close(xsk);
    native.close(tcp);
    fs.closeSync(file);
    xm.close();
  }
});

test('reuseport sockarray: a bound SO_REUSEPORT socket goes in, its cookie comes out', (t) => {
  if (skipUnless(t, needRoot())) return;
  const SO_REUSEPORT = 15;
  const m = ReuseportSockArray.create({ maxEntries: 2, name: 'lk_reuseport' });
  const loopback = new Uint8Array([2, 0, 0, 0, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]); // sockaddr_in 127.0.0.1:0
  const member = native.socket(2, 2, 0);
  const plain = native.socket(2, 2, 0);
  try {
    assert.equal(native.setsockopt(member, SOL_SOCKET, SO_REUSEPORT, new Int32Array([1])), 0);
    assert.equal(native.bind(member, loopback), 0);
    assert.equal(native.bind(plain, loopback), 0);
    m.set(0, member);
    assert.equal(m.get(0), cookieOf(member));
    assert.throws(() => m.set(1, plain), (e: unknown) => e instanceof SyscallError && e.code === 'EINVAL', 'no SO_REUSEPORT');
  } finally {
    native.close(member);
    native.close(plain);
    m.close();
  }
});
