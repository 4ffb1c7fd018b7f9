// The probe: a tiny "app" run inside the client namespace (or under Lockne).
//   node probe-main.js tcp|udp|udp-sendto|dns <address> [--port N] [--mark N]
//        [--timeout MS] [--name NAME] [--qtype A|AAAA]
// Reaches the server's whoami (or DNS) service and prints one JSON line, a
// ProbeResult: what the server saw, or why it failed. Exit 0 ok, 1 failed, 2 usage.
//
// Without --mark it uses Node's own sockets, like any app. With --mark it sets
// SO_MARK before connect/send, which Node cannot do, so it uses raw socket
// syscalls from @lockne/bpf's addon (loaded only then: it costs ~250 ms).
import dgram from 'node:dgram';
import net from 'node:net';
import { encodeQuery, parseResponse, QTYPE } from './dns-wire.js';
import { ipBytes } from './ip.js';
import { defaultPort, parseProbeArgs, type ProbeRequest, type ProbeResult } from './probe.js';
import type { WhoamiReply } from './records.js';

/** What a probe got back: a whoami line or a DNS response. */
type Reply = Buffer;

class ProbeFailure extends Error {}

function payload(req: ProbeRequest): Buffer {
  return req.kind === 'dns'
    ? encodeQuery(Math.floor(Math.random() * 0xffff), req.name ?? 'probe.lockne.test', req.qtype === 'AAAA' ? QTYPE.AAAA : QTYPE.A)
    : Buffer.from('whoami\n');
}

// ---- plain Node sockets ----------------------------------------------------

function nodeTcp(req: ProbeRequest, port: number, timeoutMs: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect({ host: req.address, port });
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      reject(new ProbeFailure(`timeout: no reply from ${req.address}:${port}/tcp within ${timeoutMs} ms`));
    });
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('end', () => resolve(Buffer.concat(chunks)));
    sock.on('error', (e: NodeJS.ErrnoException) => reject(new ProbeFailure(`${e.code ?? 'error'}: ${e.message}`)));
  });
}

function nodeUdp(req: ProbeRequest, port: number, timeoutMs: number, connected: boolean): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(net.isIP(req.address) === 6 ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish(new ProbeFailure(`timeout: no reply from ${req.address}:${port}/udp within ${timeoutMs} ms`)), timeoutMs);
    let done = false;
    const finish = (e: Error | null, msg?: Buffer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      if (e) reject(e);
      else resolve(msg!);
    };
    const failed = (e: NodeJS.ErrnoException): void => finish(new ProbeFailure(`${e.code ?? 'error'}: ${e.message}`));
    sock.on('error', failed);
    sock.on('message', (msg) => finish(null, msg));
    const data = payload(req);
    // Node drops send() errors (ENETUNREACH, EPERM) unless a callback takes them, and
    // hands a failed connect() to its callback: both must reach the result.
    const sent = (e: Error | null): void => { if (e) failed(e); };
    if (connected) sock.connect(port, req.address, (e?: Error) => (e ? failed(e) : sock.send(data, sent)));
    else sock.send(data, port, req.address, sent);
  });
}

// ---- raw syscalls, for SO_MARK ---------------------------------------------

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOL_SOCKET = 1;
const SO_RCVTIMEO = 20;
const SO_SNDTIMEO = 21;
const SO_MARK = 36;

/** struct sockaddr_in / sockaddr_in6 for address:port. */
function sockaddr(address: string, port: number): Uint8Array {
  const ip = ipBytes(address);
  const sa = new Uint8Array(ip.length === 4 ? 16 : 28);
  const v = new DataView(sa.buffer);
  v.setUint16(0, ip.length === 4 ? AF_INET : AF_INET6, true);
  v.setUint16(2, port, false);
  sa.set(ip, ip.length === 4 ? 4 : 8);
  return sa;
}

async function markedSocket(req: ProbeRequest, port: number, timeoutMs: number, mark: number): Promise<Reply> {
  const { native, errnoName } = await import('@lockne/bpf');
  const fail = (what: string, r: number): never => {
    const name = errnoName(-r);
    const hint = name === 'EAGAIN' || name === 'EINPROGRESS' ? `timeout after ${timeoutMs} ms` : name;
    throw new ProbeFailure(`${hint}: ${what} ${req.address}:${port} (mark ${mark})`);
  };
  const v6 = net.isIP(req.address) === 6;
  const fd = native.socket(v6 ? AF_INET6 : AF_INET, req.kind === 'tcp' ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd < 0) fail('socket', fd);
  try {
    const int = new Uint8Array(new Int32Array([mark | 0]).buffer);
    const tv = new BigInt64Array([BigInt(Math.floor(timeoutMs / 1000)), BigInt((timeoutMs % 1000) * 1000)]);
    for (const [opt, value, name] of [[SO_MARK, int, 'SO_MARK'], [SO_RCVTIMEO, tv, 'SO_RCVTIMEO'], [SO_SNDTIMEO, tv, 'SO_SNDTIMEO']] as const) {
      const r = native.setsockopt(fd, SOL_SOCKET, opt, value);
      if (r < 0) fail(`setsockopt(${name})`, r);
    }
    const sa = sockaddr(req.address, port);
    const data = payload(req);
    if (req.kind === 'tcp' || req.kind === 'udp') {
      const r = native.connect(fd, sa);
      if (r < 0) fail('connect', r);
    }
    if (req.kind !== 'tcp') {
      const r = native.sendto(fd, data, 0, req.kind === 'udp' ? null : sa);
      if (r < 0) fail('sendto', r);
    }
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(2048);
    for (;;) {
      const n = native.recv(fd, buf, 0);
      if (n < 0) fail('recv from', n);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      if (req.kind !== 'tcp') break; // one datagram is the whole reply
    }
    return Buffer.concat(chunks);
  } finally {
    native.close(fd);
  }
}

// ---- main --------------------------------------------------------------------

async function probe(req: ProbeRequest): Promise<ProbeResult> {
  const port = req.port ?? defaultPort(req.kind);
  const timeoutMs = req.timeoutMs ?? 2000;
  const base = { kind: req.kind, address: req.address, port, mark: req.mark ?? null };
  try {
    const reply =
      req.mark !== undefined
        ? await markedSocket(req, port, timeoutMs, req.mark)
        : req.kind === 'tcp'
          ? await nodeTcp(req, port, timeoutMs)
          : await nodeUdp(req, port, timeoutMs, req.kind === 'udp');
    if (req.kind === 'dns') {
      const r = parseResponse(reply);
      if (r.rcode !== 0) return { ...base, ok: false, error: `DNS rcode ${r.rcode}` };
      return { ...base, ok: true, answers: r.answers.map((a) => a.address) };
    }
    const text = reply.toString('utf8').trim();
    if (!text.startsWith('{')) return { ...base, ok: false, error: `unexpected reply '${text.slice(0, 200)}'` };
    return { ...base, ok: true, seen: JSON.parse(text) as WhoamiReply };
  } catch (e) {
    if (!(e instanceof ProbeFailure)) throw e;
    return { ...base, ok: false, error: e.message };
  }
}

let req: ProbeRequest;
try {
  req = parseProbeArgs(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`${(e as Error).message}\nusage: probe-main.js tcp|udp|udp-sendto|dns <address> [--port N] [--mark N] [--timeout MS] [--name NAME] [--qtype A|AAAA]\n`);
  process.exit(2);
}
const result = await probe(req);
process.stdout.write(JSON.stringify(result) + '\n');
process.exitCode = result.ok ? 0 : 1;
