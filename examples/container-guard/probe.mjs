// What a process inside the guarded cgroup sees: one JSON line per operation.
//   node probe.mjs connect 127.0.0.1 22   -> {"op":"connect","to":"127.0.0.1:22","result":"EPERM"}
//   node probe.mjs bind 127.0.0.1 8080    -> {"op":"bind","to":"127.0.0.1:8080","result":"EPERM"}   (::1 binds IPv6)
//   node probe.mjs raw                    -> {"op":"raw","result":"EPERM"}  (socket(AF_INET, SOCK_RAW, ICMP))
//   node probe.mjs sysctl-read /proc/sys/net/ipv4/ip_forward    -> {"op":"sysctl-read",...,"result":"ok"}
//   node probe.mjs sysctl-write /proc/sys/net/ipv4/ip_forward   -> writes the current value back: EPERM
//   node probe.mjs open /dev/null w       -> {"op":"open","path":"/dev/null","result":"ok"}
//   node probe.mjs mknod /tmp/x 1 3       -> {"op":"mknod","path":"/tmp/x","result":"EPERM"}  (char device)
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { native } from '@lockne/bpf';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_RAW = 3;
const IPPROTO_ICMP = 1;
const ERRNO = { 1: 'EPERM', 13: 'EACCES', 98: 'EADDRINUSE', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH' };
const name = (r) => (r >= 0 ? 'ok' : ERRNO[-r] ?? `errno ${-r}`);
const out = (o) => console.log(JSON.stringify(o));

/** sockaddr_in for `host:port`, or sockaddr_in6 when host has a ':' (only '::' and '::1' spelled out). */
function sockaddr(host, port) {
  if (!host.includes(':')) {
    const sa = new Uint8Array(16);
    const v = new DataView(sa.buffer);
    v.setUint16(0, AF_INET, true);
    v.setUint16(2, port, false);
    sa.set(host.split('.').map(Number), 4);
    return { family: AF_INET, sa };
  }
  if (host !== '::1' && host !== '::') throw new Error(`only ::1 and :: are understood, not ${host}`);
  const sa = new Uint8Array(28);
  const v = new DataView(sa.buffer);
  v.setUint16(0, AF_INET6, true);
  v.setUint16(2, port, false);
  if (host === '::1') sa[23] = 1;
  return { family: AF_INET6, sa };
}

/** A file operation: 'ok' or the errno code. */
function attempt(fn) {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e.code ?? String(e);
  }
}

const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const op = args[i];
  if (op === 'connect' || op === 'bind') {
    const host = args[++i];
    const port = Number(args[++i]);
    const { family, sa } = sockaddr(host, port);
    const fd = native.socket(family, SOCK_STREAM, 0);
    if (fd < 0) throw new Error(`socket: ${name(fd)}`);
    const r = op === 'connect' ? native.connect(fd, sa) : native.bind(fd, sa);
    native.close(fd);
    out({ op, to: `${host}:${port}`, result: name(r) });
  } else if (op === 'raw') {
    const fd = native.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (fd >= 0) native.close(fd);
    out({ op: 'raw', result: name(fd) });
  } else if (op === 'sysctl-read') {
    const path = args[++i];
    out({ op, path, result: attempt(() => fs.readFileSync(path)) });
  } else if (op === 'sysctl-write') {
    // Writes the value it reads back: the sysctl does not change when the write is allowed.
    const path = args[++i];
    out({ op, path, result: attempt(() => fs.writeFileSync(path, fs.readFileSync(path))) });
  } else if (op === 'open') {
    const path = args[++i];
    const mode = args[++i] === 'w' ? 'w' : 'r';
    out({ op, path, result: attempt(() => fs.closeSync(fs.openSync(path, mode))) });
  } else if (op === 'mknod') {
    const [path, major, minor] = [args[++i], args[++i], args[++i]];
    const r = spawnSync('mknod', [path, 'c', major, minor], { encoding: 'utf8' });
    out({ op, path, result: r.status === 0 ? 'ok' : /not permitted/.test(r.stderr) ? 'EPERM' : r.stderr.trim() });
  } else {
    throw new Error(`unknown op ${op}`);
  }
}
