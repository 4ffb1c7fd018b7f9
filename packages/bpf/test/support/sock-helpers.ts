// Socket, netns and cgroup helpers for the socket-level attach tests
// (links-socket, links-sockmap, links-netns). Native sockets are used where a
// test needs the fd (to attach a filter or put it in a sockmap); Node's net
// module serves as the peer. Everything created is named lk<pid>... and removed.
import fs from 'node:fs';
import net from 'node:net';
import { native } from '../../src/sys/native.js';
import { errnoName } from '../../src/sys/errno.js';
import { SyscallError } from '../../src/errors.js';
import type { FdHandle } from '../../src/fd.js';
import { openNetns } from '../../src/links/netns.js';
import { openCgroup } from '../../src/net/cgroup.js';
import { TestNetns } from './netns.js';
import { TestCgroup } from './cgroup.js';

export const AF_INET = 2;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOL_SOCKET = 1;
export const SO_REUSEPORT = 15;
export const SO_COOKIE = 57;
export const MSG_DONTWAIT = 0x40;
export const EAGAIN = 11;

/** Throw a SyscallError for a negative native result. */
export function check(ret: number, what: string): number {
  if (ret < 0) throw new SyscallError(what, -ret);
  return ret;
}

/** struct sockaddr_in for an IPv4 dotted address and port. */
export function sockaddrIn(ip: string, port: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  ip.split('.').forEach((o, i) => { b[4 + i] = Number(o); });
  return b;
}

export function int32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

export function readU64(b: Uint8Array | undefined): bigint {
  if (!b) return 0n;
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);
}

/** getsockopt(SO_COOKIE) */
export function socketCookie(fd: number): bigint {
  const out = new Uint8Array(8);
  check(native.getsockopt(fd, SOL_SOCKET, SO_COOKIE, out), 'getsockopt(SO_COOKIE)');
  return readU64(out);
}

/** A UDP socket bound to ip:port (port must be free: tests use their own netns). */
export function udpBound(ip: string, port: number, opts: { reuseport?: boolean } = {}): number {
  const fd = check(native.socket(AF_INET, SOCK_DGRAM, 0), 'socket');
  try {
    if (opts.reuseport) check(native.setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, int32(1)), 'setsockopt(SO_REUSEPORT)');
    check(native.bind(fd, sockaddrIn(ip, port)), `bind ${ip}:${port}`);
    return fd;
  } catch (e) {
    native.close(fd);
    throw e;
  }
}

/** Everything queued on a socket right now (non-blocking), as strings. */
export function drain(fd: number): string[] {
  const out: string[] = [];
  const buf = new Uint8Array(2048);
  for (;;) {
    const n = native.recv(fd, buf, MSG_DONTWAIT);
    if (n === -EAGAIN) return out;
    check(n, 'recv');
    out.push(Buffer.from(buf.subarray(0, n)).toString());
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a value that is not undefined, or fail after `ms`. */
export async function waitFor<T>(what: string, fn: () => T | undefined, ms = 2000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Read from a native stream socket until `expected` bytes arrived or `ms` passed. */
export async function readStream(fd: number, expected: number, ms = 2000): Promise<string> {
  let got = '';
  const end = Date.now() + ms;
  while (got.length < expected && Date.now() < end) {
    got += drain(fd).join('');
    if (got.length < expected) await sleep(5);
  }
  return got;
}

/** A blocking TCP connect from a fresh native socket (loopback completes at once). */
export function tcpConnect(ip: string, port: number): number {
  const fd = check(native.socket(AF_INET, SOCK_STREAM, 0), 'socket');
  const r = native.connect(fd, sockaddrIn(ip, port));
  if (r < 0) {
    native.close(fd);
    throw new SyscallError(`connect ${ip}:${port}`, -r);
  }
  return fd;
}

/** Errno name of a failed connect, or 'ok' (the socket is closed either way). */
export function tryConnect(ip: string, port: number, socketFd?: number): string {
  const fd = socketFd ?? check(native.socket(AF_INET, SOCK_STREAM, 0), 'socket');
  const r = native.connect(fd, sockaddrIn(ip, port));
  native.close(fd);
  return r < 0 ? errnoName(-r) : 'ok';
}

/** A Node TCP server that records accepted sockets and their data. */
export interface TcpPeer {
  server: net.Server;
  port: number;
  conns: net.Socket[];
  data: string[];
  close(): Promise<void>;
}

function track(server: net.Server): Pick<TcpPeer, 'conns' | 'data'> {
  const conns: net.Socket[] = [];
  const data: string[] = [];
  server.on('connection', (s) => {
    const i = conns.push(s) - 1;
    data[i] = '';
    s.on('data', (d) => { data[i] += d.toString(); });
    s.on('error', () => { /* reset by the test's close */ });
  });
  return { conns, data };
}

function closer(server: net.Server, conns: net.Socket[]): () => Promise<void> {
  return () => new Promise((resolve) => {
    for (const c of conns) c.destroy();
    if (!server.listening) { resolve(); return; }
    server.close(() => resolve());
  });
}

/** Listen on 127.0.0.1 (ephemeral port) in the current netns. */
export async function tcpServer(): Promise<TcpPeer> {
  const server = net.createServer();
  const t = track(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  return { server, port: (server.address() as net.AddressInfo).port, ...t, close: closer(server, t.conns) };
}

/** Listen with an already bound native socket (e.g. one created inside a netns). Node owns the fd afterwards. */
export async function tcpServerOnFd(fd: number, port: number): Promise<TcpPeer> {
  const server = net.createServer();
  const t = track(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ fd }, () => resolve());
  });
  return { server, port, ...t, close: closer(server, t.conns) };
}

// ---- network namespaces and cgroups (built on support/netns.ts and cgroup.ts) ----

export interface TestNetnsFd {
  name: string;
  path: string;
  /** The namespace, opened with openNetns (closed by remove()). */
  handle: FdHandle;
  remove(): void;
}

/** A TestNetns (lk<pid>n<k><tag>, lo up) opened as an fd; remove() closes and deletes it. */
export function makeNetns(tag: string): TestNetnsFd {
  const ns = TestNetns.create(tag);
  let handle: FdHandle;
  try {
    handle = openNetns(ns.name);
  } catch (e) {
    ns.delete();
    throw e;
  }
  return {
    name: ns.name,
    path: ns.path,
    handle,
    remove: () => {
      handle.close();
      ns.delete();
    },
  };
}

export interface TestCgroupFd {
  path: string;
  fd: number;
  remove(): void;
}

/** A TestCgroup (<cgroup2 root>/lk<pid>c<k>) opened as a directory fd. */
export function makeCgroup(): TestCgroupFd {
  const cg = TestCgroup.create();
  let fd: number;
  try {
    fd = openCgroup(cg.path);
  } catch (e) {
    cg.remove();
    throw e;
  }
  return {
    path: cg.path,
    fd,
    remove: () => {
      fs.closeSync(fd);
      cg.remove();
    },
  };
}
