// What a process inside the guarded cgroup sees: one JSON line per operation.
//   node probe.mjs connect 127.0.0.1 22   -> {"op":"connect","to":"127.0.0.1:22","result":"EPERM"}
//   node probe.mjs raw                    -> {"op":"raw","result":"EPERM"}  (socket(AF_INET, SOCK_RAW, ICMP))
import { native } from '@lockne/bpf';

const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_RAW = 3;
const IPPROTO_ICMP = 1;
const ERRNO = { 1: 'EPERM', 13: 'EACCES', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH' };
const name = (r) => (r >= 0 ? 'ok' : ERRNO[-r] ?? `errno ${-r}`);

const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] === 'connect') {
    const host = args[++i];
    const port = Number(args[++i]);
    const sa = new Uint8Array(16);
    const v = new DataView(sa.buffer);
    v.setUint16(0, AF_INET, true);
    v.setUint16(2, port, false);
    sa.set(host.split('.').map(Number), 4);
    const fd = native.socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw new Error(`socket: ${name(fd)}`);
    const r = native.connect(fd, sa);
    native.close(fd);
    console.log(JSON.stringify({ op: 'connect', to: `${host}:${port}`, result: name(r) }));
  } else if (args[i] === 'raw') {
    const fd = native.socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
    if (fd >= 0) native.close(fd);
    console.log(JSON.stringify({ op: 'raw', result: name(fd) }));
  } else {
    throw new Error(`unknown op ${args[i]}`);
  }
}
