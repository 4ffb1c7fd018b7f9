// sock_diag: listing inet sockets (port, inode, uid, cookie as SO_COOKIE
// reports it) and destroying them, in a network namespace the test creates;
// `destroySocketsOfPid` resets a child process's connections as
// `lockne attach --reset` does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { ArgumentError, NetlinkError, SyscallError, errnoName, inNetns, native } from '@lockne/bpf';
import {
  SockDiag, destroySocket, destroySocketsOfPid, listInetSockets, socketInodesOfPid, type InetSocket,
} from '../src/net/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import {
  AF_INET, SOCK_DGRAM, SOCK_STREAM, boundSocketIn, check, cookieOf, netnsPerFile, sockaddr, waitFor,
} from './support/sockets.js';

checkFdLeaks();

const tag = `lk${process.pid % 100000}`;
const NS = netnsPerFile(`${tag}sd`).name;
const MSG_DONTWAIT = 0x40;

/** A socket created in NS, bound to ip:port. */
const boundSocket = (type: number, ip: string, port: number): number => boundSocketIn(NS, type, ip, port);

interface Listener { server: net.Server; fd: number; cookie: bigint; inode: number; accepted: net.Socket[]; errors: string[] }

/** A Node server listening in NS on a socket we made (so we know its cookie and inode first). */
async function listen(ip: string, port: number): Promise<Listener> {
  const fd = boundSocket(SOCK_STREAM, ip, port);
  const cookie = cookieOf(fd);
  const inode = fs.fstatSync(fd).ino;
  const accepted: net.Socket[] = [];
  const errors: string[] = [];
  const server = net.createServer((c) => {
    accepted.push(c);
    c.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
  });
  server.listen({ fd });
  await once(server, 'listening');
  return { server, fd, cookie, inode, accepted, errors };
}

async function closeListener(l: Listener): Promise<void> {
  for (const c of l.accepted) c.destroy();
  l.server.close();
  await once(l.server, 'close');
}


test('list: a listening TCP socket in the namespace, with its port, inode, uid and cookie', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const l4 = await listen('127.0.0.1', 7501);
  const l6 = await listen('::1', 7502);
  const udp = boundSocket(SOCK_DGRAM, '127.0.0.1', 7503);
  try {
    const socks = listInetSockets({ netns: NS });
    const find = (cookie: bigint): InetSocket | undefined => socks.find((s) => s.cookie === cookie);
    const s4 = find(l4.cookie)!;
    assert.ok(s4, 'the v4 listener is listed');
    assert.deepEqual(
      { family: s4.family, protocol: s4.protocol, state: s4.state, src: s4.src, sport: s4.sport, dst: s4.dst, dport: s4.dport, inode: s4.inode, uid: s4.uid },
      { family: 4, protocol: 'tcp', state: 'listen', src: '127.0.0.1', sport: 7501, dst: '0.0.0.0', dport: 0, inode: l4.inode, uid: process.getuid!() },
    );
    const s6 = find(l6.cookie)!;
    assert.deepEqual([s6.family, s6.src, s6.sport, s6.state, s6.inode], [6, '::1', 7502, 'listen', l6.inode]);
    const u = find(cookieOf(udp))!;
    assert.deepEqual([u.protocol, u.family, u.src, u.sport, u.state, u.inode], ['udp', 4, '127.0.0.1', 7503, 'close', fs.fstatSync(udp).ino]);
    // Filters, and namespace isolation: the host's dump has none of these cookies.
    assert.deepEqual(listInetSockets({ netns: NS, protocol: 'tcp', family: 4, states: ['listen'] }).map((s) => s.cookie), [l4.cookie]);
    assert.deepEqual(listInetSockets({ netns: NS, protocol: 'udp' }).map((s) => s.sport), [7503]);
    const host = new Set(listInetSockets().map((s) => s.cookie));
    assert.equal(host.has(l4.cookie) || host.has(l6.cookie), false);
    // /proc/PID/fd shows the same inodes.
    const mine = socketInodesOfPid(process.pid);
    assert.ok(mine.has(l4.inode) && mine.has(l6.inode) && mine.has(u.inode));
  } finally {
    native.close(udp);
    await closeListener(l4);
    await closeListener(l6);
  }
});

test('destroy: a connected TCP client sees ECONNABORTED, its peer a reset; UDP too', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const l = await listen('127.0.0.1', 7511);
  const client = check(inNetns(NS, () => native.socket(AF_INET, SOCK_STREAM, 0)), 'socket');
  const udp = boundSocket(SOCK_DGRAM, '127.0.0.1', 7512);
  const diag = SockDiag.open({ netns: NS });
  try {
    check(native.connect(client, sockaddr('127.0.0.1', 7511)), 'connect');
    await waitFor('the accepted connection', () => l.accepted.length === 1);
    const cookie = cookieOf(client);
    const s = diag.list({ protocol: 'tcp', states: ['established'] }).find((x) => x.cookie === cookie)!;
    assert.ok(s, 'the client is listed by its cookie');
    assert.deepEqual([s.dst, s.dport, s.src, s.inode], ['127.0.0.1', 7511, '127.0.0.1', fs.fstatSync(client).ino]);

    // A wrong cookie matches nothing: the identity is exact.
    assert.throws(() => diag.destroy({ ...s, cookie: s.cookie + 1000n }), (e: unknown) => e instanceof NetlinkError && e.code === 'ENOENT');
    assert.equal(native.recv(client, new Uint8Array(16), MSG_DONTWAIT), -11, 'still connected (EAGAIN)');

    diag.destroy(s);
    assert.equal(errnoName(-native.recv(client, new Uint8Array(16), MSG_DONTWAIT)), 'ECONNABORTED');
    await waitFor('the reset at the server side', () => l.errors.length > 0 || l.accepted[0]!.destroyed);
    assert.deepEqual(l.errors, ['ECONNRESET']);
    assert.throws(() => diag.destroy(s), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.code, 'ENOENT');
      assert.match(e.message, new RegExp(`^SOCK_DESTROY failed: ENOENT \\(destroy socket tcp 127\\.0\\.0\\.1:\\d+ -> 127\\.0\\.0\\.1:7511 cookie ${cookie} in netns /run/netns/${NS}\\)`));
      return true;
    });

    const u = diag.list({ protocol: 'udp' }).find((x) => x.sport === 7512)!;
    destroySocket(u, { netns: NS });
    assert.equal(errnoName(-native.recv(udp, new Uint8Array(16), MSG_DONTWAIT)), 'ECONNABORTED');
    // Bound to an explicit port, it stays bound (the kernel keeps user-locked ports); the error was delivered once.
    assert.equal(native.recv(udp, new Uint8Array(16), MSG_DONTWAIT), -11);
  } finally {
    diag.close();
    native.close(client);
    native.close(udp);
    await closeListener(l);
  }
});

// The child: a TCP connection, a connected UDP socket and a listener, all in NS; it reports what happens to them.
const CHILD = `
import net from 'node:net';
import dgram from 'node:dgram';
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const srv = net.createServer(() => {}).listen(7522, '127.0.0.1');
const c = net.connect(7521, '127.0.0.1');
c.on('error', (e) => say({ tcp: e.code }));
const u = dgram.createSocket('udp4');
u.on('error', (e) => say({ udp: e.code }));
u.bind(0, '127.0.0.1', () => u.connect(7523, '127.0.0.1', () => {
  if (c.readyState === 'open') say({ ready: true }); else c.once('connect', () => say({ ready: true }));
}));
setTimeout(() => process.exit(0), 8000);
process.stdin.on('data', () => say({ listening: srv.listening })).on('end', () => process.exit(0));
`;

test('destroySocketsOfPid: a child process\'s connections are reset, its listener kept', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const l = await listen('127.0.0.1', 7521);
  let child: ChildProcess | undefined;
  try {
    child = spawn('nsenter', [`--net=/run/netns/${NS}`, process.execPath, '--input-type=module', '-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: Record<string, unknown>[] = [];
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
        buf = buf.slice(i + 1);
      }
    });
    await waitFor('the child to connect', () => lines.some((x) => x.ready), 5000);
    const pid = child.pid!;
    const inodes = socketInodesOfPid(pid);
    assert.ok(inodes.size >= 3, `the child holds its sockets: ${[...inodes].join()}`);

    const destroyed = destroySocketsOfPid(pid);
    assert.deepEqual(destroyed.map((s) => `${s.protocol} ${s.state} ${s.dport}`).sort(), ['tcp established 7521', 'udp established 7523']);
    assert.ok(destroyed.every((s) => inodes.has(s.inode)));
    await waitFor('the child to see both errors', () => lines.some((x) => x.tcp) && lines.some((x) => x.udp));
    assert.equal(lines.find((x) => x.tcp)!.tcp, 'ECONNABORTED');
    assert.equal(lines.find((x) => x.udp)!.udp, 'ECONNABORTED');
    child.stdin!.write('?\n');
    await waitFor('the child to report its listener', () => lines.some((x) => 'listening' in x));
    assert.equal(lines.find((x) => 'listening' in x)!.listening, true);
    assert.equal(listInetSockets({ netns: NS, protocol: 'tcp', states: ['listen'] }).some((s) => s.sport === 7522 && inodes.has(s.inode)), true, 'the listener was not destroyed');
    assert.deepEqual(destroySocketsOfPid(pid), [], 'nothing left to reset');
  } finally {
    if (child && child.exitCode === null) {
      child.stdin!.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([once(child, 'exit'), new Promise((r) => { timer = setTimeout(r, 2000); })]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await closeListener(l);
  }
});

test('errors name the process, the protocol or the address', (t) => {
  if (skipUnless(t, needRoot())) return;
  assert.throws(() => socketInodesOfPid(0x3ffffffe), /opendir failed: ENOENT \(\/proc\/1073741822\/fd: no process 1073741822\)/);
  assert.throws(() => socketInodesOfPid(-1), /pid must be an integer/);
  assert.throws(() => listInetSockets({ netns: NS, protocol: 'sctp' as 'tcp' }), /protocol must be 'tcp' or 'udp', got 'sctp'/);
  assert.throws(() => listInetSockets({ netns: NS, states: ['open' as 'listen'] }), /socket state 'open' is not one of/);
  const id = { family: 4 as const, protocol: 'tcp' as const, src: '::1', sport: 1, dst: '127.0.0.1', dport: 2, ifindex: 0, cookie: 1n };
  assert.throws(() => destroySocket(id, { netns: NS }), (e: unknown) => e instanceof ArgumentError && /address ::1 is not IPv4/.test(e.message));
  assert.throws(() => destroySocket({ ...id, src: '127.0.0.1', cookie: -1n }, { netns: NS }), /socket cookie must be a u64 bigint/);
  assert.throws(() => listInetSockets({ netns: `${tag}none` }), /open failed: ENOENT \(network namespace \/run\/netns\/lk\d+none\)/);
});
