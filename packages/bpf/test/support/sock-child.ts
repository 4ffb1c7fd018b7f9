// A child process for cgroup tests: performs socket operations given on the
// command line and prints one JSON line per operation. Run it inside a
// cgroup with runInCgroup() (test/support/cgroup.ts).
//
//   node sock-child.js mark            -> {"op":"mark","mark":4660}       (SO_MARK of a new TCP socket)
//   node sock-child.js connect 40000   -> {"op":"connect","result":"EPERM"} (TCP connect to 127.0.0.1:PORT)
//   node sock-child.js udp 40000 3     -> {"op":"udp","sent":3}           (3 datagrams to 127.0.0.1:PORT)
//   node sock-child.js cgroup          -> {"op":"cgroup","path":"/lk..."} (own cgroup v2 path)
import fs from 'node:fs';
import { native } from '../../src/sys/native.js';
import { errnoName } from '../../src/sys/errno.js';

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOL_SOCKET = 1;
const SO_MARK = 36;

function sockaddrLoopback(port: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  b.set([127, 0, 0, 1], 4);
  return b;
}

function socket(type: number): number {
  const fd = native.socket(AF_INET, type, 0);
  if (fd < 0) throw new Error(`socket: ${errnoName(-fd)}`);
  return fd;
}

const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const op = args[i];
  if (op === 'mark') {
    const fd = socket(SOCK_STREAM);
    const out = new Uint8Array(4);
    const r = native.getsockopt(fd, SOL_SOCKET, SO_MARK, out);
    native.close(fd);
    if (r < 0) throw new Error(`getsockopt(SO_MARK): ${errnoName(-r)}`);
    console.log(JSON.stringify({ op, mark: new DataView(out.buffer).getUint32(0, true) }));
  } else if (op === 'connect') {
    const port = Number(args[++i]);
    const fd = socket(SOCK_STREAM);
    const r = native.connect(fd, sockaddrLoopback(port));
    native.close(fd);
    console.log(JSON.stringify({ op, result: r < 0 ? errnoName(-r) : 'OK' }));
  } else if (op === 'udp') {
    const port = Number(args[++i]);
    const count = Number(args[++i]);
    const fd = socket(SOCK_DGRAM);
    let sent = 0;
    for (let k = 0; k < count; k++) if (native.sendto(fd, new TextEncoder().encode(`lk ${k}`), 0, sockaddrLoopback(port)) >= 0) sent++;
    native.close(fd);
    console.log(JSON.stringify({ op, sent }));
  } else if (op === 'cgroup') {
    const line = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::')) ?? '';
    console.log(JSON.stringify({ op, path: line.slice(3) }));
  } else {
    throw new Error(`unknown op '${op}'`);
  }
}
