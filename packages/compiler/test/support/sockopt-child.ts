// A child process for the sockopt tests: opens one UDP socket and applies the
// operations given on the command line to it, printing one JSON line each.
// Run it inside a test cgroup (the cgroup's sockopt programs see the calls).
//
//   node sockopt-child.js setmark 5 getmark setrcvbuf 65536 setlarge getrcvbuf connect 9
//   -> {"op":"setmark","result":"ok"} {"op":"getmark","result":"ok","value":5} ...
// (`connect PORT` connects the UDP socket to 127.0.0.1:PORT: no packet is sent;
// `send N` then sends N one-byte datagrams on it; `hold MS` keeps it open MS ms.)
import { native, errnoName } from '@lockne/bpf';

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_MARK = 36;

function int(v: number, size = 4): Uint8Array {
  const b = new Uint8Array(size);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

const res = (r: number): string => (r < 0 ? errnoName(-r) : 'ok');

const fd = native.socket(AF_INET, SOCK_DGRAM, 0);
if (fd < 0) throw new Error(`socket: ${errnoName(-fd)}`);
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const op = args[i]!;
  if (op === 'setmark' || op === 'setrcvbuf') {
    const v = Number(args[++i]);
    console.log(JSON.stringify({ op, result: res(native.setsockopt(fd, SOL_SOCKET, op === 'setmark' ? SO_MARK : SO_RCVBUF, int(v))) }));
  } else if (op === 'setlarge') {
    // SO_RCVBUF from a 5000-byte buffer (longer than a page): the kernel reads its first int.
    console.log(JSON.stringify({ op, result: res(native.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int(32768, 5000))) }));
  } else if (op === 'getmark' || op === 'getrcvbuf') {
    const out = new Uint8Array(4);
    const r = native.getsockopt(fd, SOL_SOCKET, op === 'getmark' ? SO_MARK : SO_RCVBUF, out);
    console.log(JSON.stringify({ op, result: res(r), value: new DataView(out.buffer).getInt32(0, true) }));
  } else if (op === 'connect') {
    const port = Number(args[++i]);
    const sa = new Uint8Array(16);
    const v = new DataView(sa.buffer);
    v.setUint16(0, AF_INET, true);
    v.setUint16(2, port, false);
    sa.set([127, 0, 0, 1], 4);
    console.log(JSON.stringify({ op, result: res(native.connect(fd, sa)) }));
  } else if (op === 'hold') {
    // Keep the socket open for MS milliseconds, after saying so (the parent looks meanwhile).
    const ms = Number(args[++i]);
    console.log(JSON.stringify({ op, result: 'ok' }));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  } else if (op === 'send') {
    const n = Number(args[++i]);
    let result = 'ok';
    for (let k = 0; k < n && result === 'ok'; k++) result = res(native.sendto(fd, new Uint8Array([k]), 0, null));
    console.log(JSON.stringify({ op, result }));
  } else {
    throw new Error(`unknown op ${op}`);
  }
}
