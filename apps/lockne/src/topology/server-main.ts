// The server's services, run as its own process inside the server namespace:
//   node server-main.js <config.json>
// On every server address (direct and tunnel, v4 and v6) it serves
// - whoami over TCP and UDP: replies with one JSON line saying the client
//   address:port it saw (a WhoamiReply);
// - DNS over UDP/53: answers A (and AAAA) queries for any name with fixed
//   addresses.
// Each connection, datagram and query is appended to the log file as a JSON line
// *before* the reply is sent, so whoever got a reply can read its record.
// Prints "ready" on stdout once every socket listens; exits on SIGTERM.
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import { encodeResponse, parseQuery, QTYPE, qtypeName } from './dns-wire.js';
import { normalizeAddress } from './ip.js';
import type { ConnectionRecord, DnsQueryRecord, Seen, WhoamiReply } from './records.js';

/** What the parent passes in the config file. */
export interface ServerConfig {
  log: string;
  addresses: string[];
  whoamiPort: number;
  dnsPort: number;
  /** client source address -> 'direct' or tunnel name */
  paths: Record<string, string>;
  dnsAnswer: { v4: string; v6: string | null };
}

const config = JSON.parse(fs.readFileSync(process.argv[2] ?? '', 'utf8')) as ServerConfig;

function seen(address: string | undefined, port: number | undefined, server: string, serverPort: number): Seen {
  const a = normalizeAddress(address ?? '?');
  return { address: a, port: port ?? 0, server, serverPort, via: config.paths[a] ?? 'unknown' };
}

function record(r: ConnectionRecord | DnsQueryRecord): void {
  fs.appendFileSync(config.log, JSON.stringify(r) + '\n');
}

function tcpWhoami(address: string): Promise<void> {
  const server = net.createServer((sock) => {
    const s = seen(sock.remoteAddress, sock.remotePort, address, config.whoamiPort);
    record({ type: 'connection', proto: 'tcp', ...s, time: Date.now() });
    const reply: WhoamiReply = { proto: 'tcp', ...s };
    sock.on('error', () => {}); // a client that resets is not our failure
    sock.end(JSON.stringify(reply) + '\n');
  });
  return listen(server, address);
}

function listen(server: net.Server, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`tcp ${address}:${config.whoamiPort}: ${e.message}`)));
    server.listen({ host: address, port: config.whoamiPort, ...(net.isIP(address) === 6 ? { ipv6Only: true } : {}) }, () => resolve());
  });
}

function udpSocket(address: string, port: number, onMessage: (sock: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo) => void): Promise<void> {
  const v6 = net.isIP(address) === 6;
  const sock = dgram.createSocket(v6 ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
  sock.on('message', (msg, rinfo) => onMessage(sock, msg, rinfo));
  return new Promise((resolve, reject) => {
    sock.once('error', (e) => reject(new Error(`udp ${address}:${port}: ${e.message}`)));
    sock.bind({ address, port, exclusive: true }, () => resolve());
  });
}

function udpWhoami(address: string): Promise<void> {
  return udpSocket(address, config.whoamiPort, (sock, _msg, rinfo) => {
    const s = seen(rinfo.address, rinfo.port, address, config.whoamiPort);
    record({ type: 'connection', proto: 'udp', ...s, time: Date.now() });
    const reply: WhoamiReply = { proto: 'udp', ...s };
    sock.send(JSON.stringify(reply) + '\n', rinfo.port, rinfo.address);
  });
}

function dnsServer(address: string): Promise<void> {
  return udpSocket(address, config.dnsPort, (sock, msg, rinfo) => {
    let q;
    try {
      q = parseQuery(msg);
    } catch {
      return; // not a query we understand: no answer, no record
    }
    const answers = q.qtype === QTYPE.A ? [config.dnsAnswer.v4] : q.qtype === QTYPE.AAAA && config.dnsAnswer.v6 ? [config.dnsAnswer.v6] : [];
    const s = seen(rinfo.address, rinfo.port, address, config.dnsPort);
    record({ type: 'dns', ...s, qname: q.qname, qtype: qtypeName(q.qtype), answers, time: Date.now() });
    sock.send(encodeResponse(msg, q, answers), rinfo.port, rinfo.address);
  });
}

async function main(): Promise<void> {
  await Promise.all(config.addresses.flatMap((a) => [tcpWhoami(a), udpWhoami(a), dnsServer(a)]));
  process.stdout.write('ready\n');
}

process.on('SIGTERM', () => process.exit(0));
main().catch((e: Error) => {
  process.stderr.write(`lockne topology server: ${e.message}\n`);
  process.exit(1);
});
