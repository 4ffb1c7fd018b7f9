// sock_diag with BPF socket-local storage: the values user space put in
// SK_STORAGE maps come back per socket (by map id) for TCP over IPv4 and IPv6,
// in a network namespace the test creates; sockets without a value have none,
// a closed socket's value goes with it, two maps at once, and bad map fds are
// refused by name before anything reaches the kernel. UDP sockets are listed
// but the kernel reports no storage for them (udp_diag fills replies without
// an inet_connection_sock, and inet_sk_diag_fill skips the storages then).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { ArgumentError, HashMap, SkStorage, bytes, inNetns, native, netlink, u32 } from '@lockne/bpf';
import {
  SockDiag, decodeSocketStorages, listInetSockets, listSocketStorage, type InetSocket,
} from '../src/net/sock-diag.js';
import { INET_DIAG_MSG_LEN } from '../src/net/consts.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import {
  AF_INET, AF_INET6, SOCK_DGRAM, SOCK_STREAM, boundSocketIn, check, cookieOf, netnsPerFile, sockaddr, waitFor,
} from './support/sockets.js';

checkFdLeaks();

const NS = netnsPerFile(`lk${process.pid % 100000}sst`).name;

/** A socket of ours created in NS (so we hold its fd for the map update), bound to ip:port. */
const nsSocket = (type: number, ip: string, port: number): number => boundSocketIn(NS, type, ip, port);

/** 16 recognisable bytes. */
const pattern = (seed: number, n = 16): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (seed * 16 + i) & 0xff);

/** A TCP connection inside NS: listener (Node server on our fd), client (raw fd), the accepted end's fd. */
interface Conn { server: net.Server; listener: number; client: number; accepted: net.Socket; acceptedFd: number }

async function connect(ip: string, port: number): Promise<Conn> {
  const listener = nsSocket(SOCK_STREAM, ip, port);
  // Half-open allowed: a client's FIN does not make Node close its end (the closed client stays in fin-wait-2).
  const server = net.createServer({ allowHalfOpen: true });
  const got = once(server, 'connection');
  server.listen({ fd: listener });
  await once(server, 'listening');
  const client = check(inNetns(NS, () => native.socket(ip.includes(':') ? AF_INET6 : AF_INET, SOCK_STREAM, 0)), 'socket');
  check(native.connect(client, sockaddr(ip, port)), `connect ${ip}:${port}`);
  const [accepted] = (await got) as [net.Socket];
  const acceptedFd = (accepted as unknown as { _handle: { fd: number } })._handle.fd;
  return { server, listener, client, accepted, acceptedFd };
}

/** Close the client fd once (the number may be reused after). */
function closeClient(c: Conn): void {
  if (c.client >= 0) native.close(c.client);
  c.client = -1;
}

async function closeConn(c: Conn): Promise<void> {
  closeClient(c);
  c.accepted.destroy();
  c.server.close();
  await once(c.server, 'close');
}

const byCookie = (socks: readonly InetSocket[], cookie: bigint): InetSocket | undefined => socks.find((s) => s.cookie === cookie);

test('values come back per socket with the map id: TCP over IPv4 and IPv6; sockets without one have none; UDP has none', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const map = SkStorage.create({ value: bytes(16), name: 'lk_diag_stor' });
  const c4 = await connect('127.0.0.1', 7601);
  const c6 = await connect('::1', 7602);
  const u4 = nsSocket(SOCK_DGRAM, '127.0.0.1', 7603);
  const u6 = nsSocket(SOCK_DGRAM, '::1', 7604);
  const diag = SockDiag.open({ netns: NS });
  try {
    check(native.connect(u4, sockaddr('127.0.0.1', 7699)), 'connect udp');
    const given = new Map<bigint, Uint8Array>([
      [cookieOf(c4.client), pattern(1)], [cookieOf(c6.client), pattern(2)], [cookieOf(c6.acceptedFd), pattern(5)],
    ]);
    map.set(c4.client, pattern(1));
    map.set(c6.client, pattern(2));
    map.set(u4, pattern(3));
    map.set(u6, pattern(4));
    map.set(c6.acceptedFd, pattern(5));
    const id = map.id;

    const all = diag.list({ storages: [map] });
    for (const [cookie, value] of given) {
      const s = byCookie(all, cookie);
      assert.ok(s, `socket ${cookie} is listed`);
      assert.deepEqual([...s.storages!.keys()], [id], `socket ${cookie} has a value in map ${id}`);
      assert.deepEqual(s.storages!.get(id), value);
    }
    // The listeners, the v4 accepted end: listed, with an empty storage map.
    for (const fd of [c4.listener, c6.listener, c4.acceptedFd]) {
      const s = byCookie(all, cookieOf(fd))!;
      assert.ok(s, `socket fd ${fd} is listed`);
      assert.equal(s.storages!.size, 0);
    }
    // UDP: the values are there (the map reads them back by fd) but sock_diag does not report them.
    assert.deepEqual([map.get(u4), map.get(u6)], [pattern(3), pattern(4)]);
    for (const fd of [u4, u6]) {
      const s = byCookie(all, cookieOf(fd))!;
      assert.ok(s, `UDP socket fd ${fd} is listed`);
      assert.equal(s.storages!.size, 0, 'this kernel now reports UDP storages: update the docs of SocketFilter.storages');
    }
    const s6 = byCookie(all, cookieOf(c6.client))!;
    assert.deepEqual([s6.family, s6.protocol, s6.state, s6.dst, s6.dport], [6, 'tcp', 'established', '::1', 7602]);
    const su4 = byCookie(all, cookieOf(u4))!;
    assert.deepEqual([su4.family, su4.protocol, su4.src, su4.sport, su4.dport, su4.inode], [4, 'udp', '127.0.0.1', 7603, 7699, fs.fstatSync(u4).ino]);

    // onlyWithStorage keeps exactly the three; filters still apply.
    const only = diag.list({ storages: [map], onlyWithStorage: true });
    assert.deepEqual(new Set(only.map((s) => s.cookie)), new Set(given.keys()));
    assert.deepEqual(diag.list({ storages: [map.fd], onlyWithStorage: true, family: 4 }).map((s) => s.cookie), [cookieOf(c4.client)]);
    assert.equal(diag.list({ storages: [map], onlyWithStorage: true, protocol: 'tcp', states: ['listen'] }).length, 0);

    // The convenience: same set, the value alone.
    const pairs = listSocketStorage(map, { netns: NS });
    assert.equal(pairs.length, 3);
    for (const { socket, value } of pairs) assert.deepEqual(value, given.get(socket.cookie));
    assert.deepEqual(diag.listStorage(map, { family: 6 }).map((p) => p.socket.cookie).sort(), [cookieOf(c6.client), cookieOf(c6.acceptedFd)].sort());

    // Without the option nothing changes: no storages property at all.
    assert.equal('storages' in byCookie(diag.list(), cookieOf(c4.client))!, false);
    // A value updated from user space (or by a program) reads back updated.
    map.set(c4.client, pattern(9));
    assert.deepEqual(listSocketStorage(map, { netns: NS, family: 4 }).map((p) => p.value), [pattern(9)]);
    // Namespace isolation: the host's sockets carry none of ours.
    assert.equal(listSocketStorage(map).some((p) => given.has(p.socket.cookie)), false);
  } finally {
    diag.close();
    native.close(u4);
    native.close(u6);
    await closeConn(c4);
    await closeConn(c6);
    map.close();
  }
});

test('two maps at once, and all of them; a deleted value or a freed socket is gone from the next listing', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const a = SkStorage.create({ value: bytes(16), name: 'lk_diag_a' });
  const b = SkStorage.create({ value: bytes(8), name: 'lk_diag_b' });
  const other = SkStorage.create({ value: u32, name: 'lk_diag_c' });
  const x = await connect('127.0.0.1', 7611);
  const y = await connect('::1', 7612);
  try {
    a.set(x.client, pattern(1));
    b.set(x.client, pattern(2, 8));
    b.set(y.client, pattern(3, 8));
    other.set(y.client, 77);
    b.set(y.acceptedFd, pattern(4, 8));
    const [ida, idb, idc] = [a.id, b.id, other.id];
    const [cx, cy, cya] = [cookieOf(x.client), cookieOf(y.client), cookieOf(y.acceptedFd)];

    const two = listInetSockets({ netns: NS, storages: [a, b], onlyWithStorage: true });
    assert.deepEqual(new Set(two.map((s) => s.cookie)), new Set([cx, cy, cya]));
    assert.deepEqual(byCookie(two, cx)!.storages, new Map([[ida, pattern(1)], [idb, pattern(2, 8)]]));
    assert.deepEqual(byCookie(two, cy)!.storages, new Map([[idb, pattern(3, 8)]]), 'y: only a and b asked for, not its value in c');
    // Two fds of one map count once (the kernel itself would refuse with EEXIST).
    assert.deepEqual(listInetSockets({ netns: NS, storages: [a, a.fd], onlyWithStorage: true }).map((s) => s.cookie), [cx]);

    // 'all': every SK_STORAGE map the socket has a value in, including one not named.
    const every = listInetSockets({ netns: NS, storages: 'all', onlyWithStorage: true });
    const ey = byCookie(every, cy)!;
    assert.deepEqual([...ey.storages!.keys()].sort(), [idb, idc].sort());
    const v = ey.storages!.get(idc)!;
    assert.equal(new DataView(v.buffer, v.byteOffset, v.byteLength).getUint32(0, true), 77);

    // A deleted value: gone, the other map's value stays.
    a.delete(x.client);
    assert.deepEqual(byCookie(listInetSockets({ netns: NS, storages: [a, b] }), cx)!.storages, new Map([[idb, pattern(2, 8)]]));
    assert.deepEqual(listSocketStorage(a, { netns: NS }), []);

    // Closing the fd: once the peer acks our FIN the kernel swaps the socket for a time-wait sock (shown
    // as fin-wait-2, no inode), which is not a full socket and has no storage; the value went with the socket.
    closeClient(x);
    await waitFor('the closed socket to lose its value', () => !listSocketStorage(b, { netns: NS }).some((p) => p.socket.cookie === cx));
    const gone = byCookie(listInetSockets({ netns: NS, protocol: 'tcp', storages: [a, b] }), cx);
    assert.ok(!gone || (['fin-wait-2', 'time-wait'].includes(gone.state) && gone.inode === 0 && gone.storages!.size === 0), `after close: ${gone?.state}`);
    assert.deepEqual(listSocketStorage(b, { netns: NS }).map((p) => p.socket.cookie).sort(), [cy, cya].sort());
  } finally {
    await closeConn(x);
    await closeConn(y);
    a.close();
    b.close();
    other.close();
  }
});

test('bad storage maps are refused by name before the request', (t) => {
  if (skipUnless(t, needRoot())) return;
  const hash = HashMap.create({ key: u32, value: u32, maxEntries: 1, name: 'lk_diag_hash' });
  const file = fs.openSync('/proc/self/status', 'r');
  const closed = fs.openSync('/dev/null', 'r');
  fs.closeSync(closed);
  const diag = SockDiag.open({ netns: NS });
  try {
    const refused = (storages: unknown, re: RegExp): void => {
      assert.throws(() => diag.list({ storages: storages as number[] }), (e: unknown) => {
        assert.ok(e instanceof ArgumentError, `ArgumentError, got ${String(e)}`);
        assert.match(e.message, re);
        return true;
      });
    };
    refused([hash], new RegExp(`^list sockets: storage map fd ${hash.fd} is a HASH map \\('lk_diag_hash', id ${hash.id}\\), not SK_STORAGE$`));
    refused([file], new RegExp(`^list sockets: storage map fd ${file} is not a BPF map \\(it is /proc/\\d+/status\\)$`));
    refused([closed], new RegExp(`^list sockets: storage map fd ${closed} is not open$`));
    refused([-1], /storages\[0\] must be a map fd \(non-negative integer\) or have one in \.fd, got -1/);
    refused([{ fd: 1.5 }], /storages\[0\] must be a map fd .* got \{ fd: 1\.5 \}/);
    refused([], /storages is an empty list \(give map fds, or 'all' for every SK_STORAGE map\)/);
    refused('some', /storages must be a list of SK_STORAGE map fds or 'all', got some/);
    assert.throws(() => diag.list({ onlyWithStorage: true }), /onlyWithStorage needs storages/);
    assert.throws(() => listSocketStorage(hash, { netns: NS }), /is a HASH map/);
  } finally {
    diag.close();
    fs.closeSync(file);
    hash.close();
  }
});

test('decodeSocketStorages: map id and value from the reply attributes, PAD skipped, malformed refused', () => {
  const { attr, encodeAttrs, attrsSize } = netlink;
  const storage = (children: netlink.NlAttr[]): netlink.NlAttr => attr.nested(1, children);
  const attrs = [
    attr.u8(8, 0), // INET_DIAG_SHUTDOWN comes first in real replies
    attr.nested(20, [
      storage([attr.u32(2, 12), attr.flag(1), attr.bytes(3, pattern(1))]),
      storage([attr.u32(2, 13), attr.bytes(3, pattern(2, 8))]),
    ]),
  ];
  const payload = new Uint8Array(INET_DIAG_MSG_LEN + attrsSize(attrs));
  encodeAttrs(attrs, payload, INET_DIAG_MSG_LEN);
  assert.deepEqual(decodeSocketStorages(payload), new Map([[12, pattern(1)], [13, pattern(2, 8)]]));
  assert.equal(decodeSocketStorages(payload.subarray(0, INET_DIAG_MSG_LEN)).size, 0);
  const bad = [attr.nested(20, [storage([attr.bytes(3, pattern(1))])])];
  const badPayload = new Uint8Array(INET_DIAG_MSG_LEN + attrsSize(bad));
  encodeAttrs(bad, badPayload, INET_DIAG_MSG_LEN);
  assert.throws(() => decodeSocketStorages(badPayload), /SK_DIAG_BPF_STORAGE without SK_DIAG_BPF_STORAGE_MAP_ID/);
});

test('kernel refusals keep naming the operation and errno: EPERM without CAP_BPF and CAP_SYS_ADMIN', async (t) => {
  if (skipUnless(t, needRoot())) return;
  // The listing runs in a child in NS that dropped both capabilities (still uid 0), given our map as its fd 3.
  const map = SkStorage.create({ value: bytes(4), name: 'lk_diag_eperm' });
  const mod = new URL('../src/net/sock-diag.js', import.meta.url).href;
  const script = `
    const { listInetSockets } = await import(${JSON.stringify(mod)});
    try { listInetSockets({ storages: [3] }); console.log('listed'); }
    catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }
    console.log(JSON.stringify({ plain: listInetSockets().length >= 0 }));
  `;
  try {
    const child = spawn('nsenter', [`--net=/run/netns/${NS}`, 'setpriv', '--inh-caps=-sys_admin,-bpf', '--bounding-set=-sys_admin,-bpf', '--',
      process.execPath, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe', map.fd] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const [code] = (await once(child, 'close')) as [number]; // 'close': stdout fully read
    assert.equal(code, 0, err);
    const [refusal, plain] = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(plain, { plain: true }, 'the same child may list sockets without storages');
    assert.equal(refusal!.name, 'NetlinkError');
    assert.equal(refusal!.code, 'EPERM');
    assert.match(String(refusal!.message), /^SOCK_DIAG_BY_FAMILY failed: EPERM \(list tcp IPv4 sockets with their BPF storage in map fd 3( \(id \d+\))?\)$/);
  } finally {
    map.close();
  }
});
