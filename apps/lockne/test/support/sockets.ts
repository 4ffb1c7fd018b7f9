// Test support for the net/ tests: running commands, raw-socket helpers over
// the runtime's native calls, and polling.
import { spawnSync } from 'node:child_process';
import { after, before } from 'node:test';
import { SyscallError, inNetns, native } from '@lockne/bpf';
import { parseIp } from '../../src/net/addr.js';
import { needRoot } from './kernel.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
const SOL_SOCKET = 1;
const SO_COOKIE = 57;

export interface ShResult { status: number; stdout: string; stderr: string }

/** Run argv (10 s limit); throws with its stderr on a non-zero exit unless allowFail. */
export function sh(argv: string[], allowFail = false): ShResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  const out = { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (out.status !== 0 && !allowFail) throw new Error(`${argv.join(' ')} exited ${out.status}: ${out.stderr.trim()}`);
  return out;
}

/** A native call's result, or a SyscallError naming `what` for -errno. */
export function check(ret: number, what: string): number {
  if (ret < 0) throw new SyscallError(what, -ret);
  return ret;
}

/** struct sockaddr_in / sockaddr_in6 for ip:port. */
export function sockaddr(ip: string, port: number): Uint8Array {
  const a = parseIp(ip);
  const b = new Uint8Array(a.family === 6 ? 28 : 16);
  const v = new DataView(b.buffer);
  v.setUint16(0, a.family === 6 ? AF_INET6 : AF_INET, true);
  v.setUint16(2, port, false);
  b.set(a.bytes, a.family === 6 ? 8 : 4);
  return b;
}

export function int32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
}

/** Poll `ok` every 10 ms until it holds, or throw after `ms`. */
export async function waitFor(what: string, ok: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A network namespace `name` with loopback up for this test file: made in
 * `before` (when root), deleted in `after`. `ready()` says whether it exists.
 * @example const ns = netnsPerFile(`lk${process.pid}sd`); test('x', (t) => { if (!ns.ready()) ... });
 */
export function netnsPerFile(name: string): { readonly name: string; ready(): boolean } {
  let made = false;
  before(() => {
    if (needRoot()) return;
    sh(['ip', 'netns', 'add', name]);
    made = true;
    sh(['nsenter', `--net=/run/netns/${name}`, 'ip', 'link', 'set', 'lo', 'up']);
  });
  after(() => {
    if (made) sh(['ip', 'netns', 'del', name], true);
  });
  return { name, ready: () => made };
}

/** getsockopt(SO_COOKIE): the id sock_diag and eBPF give the socket. */
export function cookieOf(fd: number): bigint {
  const out = new Uint8Array(8);
  check(native.getsockopt(fd, SOL_SOCKET, SO_COOKIE, out), 'getsockopt(SO_COOKIE)');
  return new DataView(out.buffer).getBigUint64(0, true);
}

/** A socket of ours created in netns `ns`, bound to ip:port; closed again if bind fails. */
export function boundSocketIn(ns: string, type: number, ip: string, port: number): number {
  const fd = check(inNetns(ns, () => native.socket(ip.includes(':') ? AF_INET6 : AF_INET, type, 0)), 'socket');
  const r = native.bind(fd, sockaddr(ip, port));
  if (r < 0) { native.close(fd); check(r, `bind ${ip}:${port}`); }
  return fd;
}
