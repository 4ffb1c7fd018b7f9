// End to end: Lockne's rule pair + table route really steer marked sockets,
// the kill switch really fails closed, and namespace sysctls really change
// the namespace's behaviour. Two namespaces the test creates:
//
//   client (c)  <tag>m0 10.88.0.2 ──veth── <tag>m1 10.88.0.1   server (s)   "direct path" (main table)
//               <tag>t0 10.89.0.2 ──veth── <tag>t1 10.89.0.1                "tunnel" (table T)
//   s owns 10.90.0.1 (lo) and fd4c:90::1: the "remote" host both paths reach.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { ArgumentError, SyscallError, errnoName, inNetns, native, withNetlink } from '@lockne/bpf';
import {
  LOCKNE_PROTOCOL, addRoute, confKey, deleteAllRoutesWithProtocol, deleteAllRulesWithProtocol, deleteRoute, deleteRule,
  effectiveRpFilter, ensureRule, getRpFilter, listRules, readSysctl, readSysctlInt, replaceRoute, setRpFilter, setSrcValidMark,
  sysctlPath, writeSysctl,
} from '../src/net/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { AF_INET, AF_INET6, check, int32, sh, sockaddr, waitFor } from './support/sockets.js';

checkFdLeaks();

const tag = `lk${process.pid % 100000}`;
const C = `${tag}c`;
const S = `${tag}s`;
const M0 = `${tag}m0`;
const T0 = `${tag}t0`;
const MARK = 0x4c07;
const TABLE = 0x4c07;
const PREF = 11000;
const PORT = 7411;

const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOL_SOCKET = 1;
const SO_MARK = 36;
const SO_SNDTIMEO = 21;

const inNs = (ns: string, argv: string[], allowFail = false) => sh(['nsenter', `--net=/run/netns/${ns}`, ...argv], allowFail);

let ready = false;
before(() => {
  if (needRoot()) return;
  sh(['ip', 'netns', 'add', C]);
  ready = true;
  sh(['ip', 'netns', 'add', S]);
  inNs(C, ['sh', '-c', [
    'ip link set lo up',
    `ip link add ${M0} type veth peer name ${tag}m1 netns ${S}`,
    `ip link add ${T0} type veth peer name ${tag}t1 netns ${S}`,
    `ip addr add 10.88.0.2/24 dev ${M0}`, `ip -6 addr add fd4c:88::2/64 dev ${M0} nodad`,
    `ip addr add 10.89.0.2/24 dev ${T0}`, `ip -6 addr add fd4c:89::2/64 dev ${T0} nodad`,
    `ip link set ${M0} up`, `ip link set ${T0} up`,
    'ip route add default via 10.88.0.1', 'ip -6 route add default via fd4c:88::1',
  ].join(' && ')]);
  inNs(S, ['sh', '-c', [
    'ip link set lo up',
    // IPv4 answers ARP for a loopback address on any interface; IPv6 ND only
    // for addresses on the asked interface, so the v6 "remote" sits on both veths.
    'ip addr add 10.90.0.1/32 dev lo',
    `ip -6 addr add fd4c:90::1/128 dev ${tag}m1 nodad`, `ip -6 addr add fd4c:90::1/128 dev ${tag}t1 nodad`,
    `ip addr add 10.88.0.1/24 dev ${tag}m1`, `ip -6 addr add fd4c:88::1/64 dev ${tag}m1 nodad`,
    `ip addr add 10.89.0.1/24 dev ${tag}t1`, `ip -6 addr add fd4c:89::1/64 dev ${tag}t1 nodad`,
    `ip link set ${tag}m1 up`, `ip link set ${tag}t1 up`,
  ].join(' && ')]);
});
after(() => {
  if (!ready) return;
  sh(['ip', 'netns', 'del', C], true);
  sh(['ip', 'netns', 'del', S], true);
});




/** A socket created inside the client namespace, with SO_MARK when `mark` is given. */
function clientSocket(type: number, family: number, mark?: number): number {
  const fd = check(inNetns(C, () => native.socket(family, type, 0)), 'socket');
  if (mark !== undefined) {
    const r = native.setsockopt(fd, SOL_SOCKET, SO_MARK, int32(mark));
    if (r < 0) { native.close(fd); check(r, 'setsockopt(SO_MARK)'); }
  }
  return fd;
}

/** connect() a UDP socket (a route lookup, no traffic): '' on success, else the errno name. */
function udpConnect(ip: string, mark?: number): string {
  const fd = clientSocket(SOCK_DGRAM, ip.includes(':') ? AF_INET6 : AF_INET, mark);
  try {
    const r = native.connect(fd, sockaddr(ip, 9));
    return r < 0 ? errnoName(-r) : '';
  } finally {
    native.close(fd);
  }
}

/** Apply Lockne's routing for one profile inside the client namespace, as `lockne up` would. */
function profileUp(): void {
  withNetlink({ netns: C }, (nl) => {
    for (const family of [4, 6] as const) {
      ensureRule(nl, { family, priority: PREF, fwmark: MARK, fwmask: 0xffffffff, table: TABLE });
      ensureRule(nl, { family, priority: PREF + 1, fwmark: MARK, fwmask: 0xffffffff, action: 'unreachable' });
      replaceRoute(nl, { family, table: TABLE, dev: T0 });
    }
  });
}

test('sysctl: read/write in a namespace, host untouched, ip agrees; errors name the key', (t) => {
  if (skipUnless(t, needRoot())) return;
  const home = fs.statSync('/proc/thread-self/ns/net').ino;
  const hostAll = readSysctl('net.ipv4.conf.all.rp_filter');
  const hostSvm = readSysctl(['net', 'ipv4', 'conf', 'all', 'src_valid_mark']);
  assert.equal(hostAll, fs.readFileSync('/proc/sys/net/ipv4/conf/all/rp_filter', 'utf8').trim());

  const nsValue = (key: string): string => inNs(C, ['sysctl', '-n', key]).stdout.trim();
  const want = hostAll === '1' ? 2 : 1; // something the host does not have
  setRpFilter('all', want, { netns: C });
  setRpFilter(T0, 2, { netns: C });
  setSrcValidMark(hostSvm !== '1', { netns: C });
  assert.equal(nsValue('net.ipv4.conf.all.rp_filter'), String(want));
  assert.equal(nsValue(`net.ipv4.conf.${T0}.rp_filter`), '2');
  assert.equal(nsValue('net.ipv4.conf.all.src_valid_mark'), hostSvm === '1' ? '0' : '1');
  assert.equal(getRpFilter('all', { netns: C }), want);
  assert.equal(readSysctlInt(confKey(4, T0, 'rp_filter'), { netns: C }), 2);
  assert.equal(effectiveRpFilter(T0, { netns: C }), Math.max(want, 2));
  // Same path, other namespace: the host's values did not move, and we are back home.
  assert.equal(readSysctl('net.ipv4.conf.all.rp_filter'), hostAll);
  assert.equal(readSysctl('net.ipv4.conf.all.src_valid_mark'), hostSvm);
  assert.equal(fs.statSync('/proc/thread-self/ns/net').ino, home);
  // The interface exists only in the namespace.
  assert.throws(() => readSysctl(confKey(4, T0, 'rp_filter')), new RegExp(`read failed: ENOENT \\(sysctl net.ipv4.conf.${T0}.rp_filter: no such key \\(is there an interface '${T0}'\\?\\)\\)`));
  writeSysctl(`net/ipv6/conf/${T0}/accept_ra`, 0, { netns: C });
  assert.equal(nsValue(`net.ipv6.conf.${T0}.accept_ra`), '0');

  assert.throws(() => writeSysctl(confKey(4, `${tag}nx`, 'rp_filter'), 0, { netns: C }),
    new RegExp(`open failed: ENOENT \\(sysctl net.ipv4.conf.${tag}nx.rp_filter in netns /run/netns/${C}: no such key \\(is there an interface '${tag}nx' in netns /run/netns/${C}\\?\\)\\)`));
  assert.throws(() => writeSysctl('net.ipv4.conf.all.rp_filter', 'loose', { netns: C }),
    new RegExp(`write failed: EINVAL \\(sysctl net.ipv4.conf.all.rp_filter = 'loose' in netns /run/netns/${C}\\)`));
  assert.throws(() => readSysctl('net.ipv4.no_such_knob', { netns: C }), /ENOENT \(sysctl net.ipv4.no_such_knob in netns .*: no such key\)/);
  assert.throws(() => readSysctl('kernel.hostname'), /only net\.\* keys are handled here/);
  assert.throws(() => readSysctl('net..ipv4'), /sysctl key 'net\.\.ipv4' is malformed/);
  assert.throws(() => readSysctl(['net', 'ipv4', '..', 'x']), ArgumentError);
  assert.throws(() => setRpFilter('all', 3 as 2, { netns: C }), /mode must be 0, 1 or 2, got 3/);
  assert.throws(() => readSysctl('net.ipv4.ip_forward', { netns: `${tag}nonexistent` }), /open failed: ENOENT \(network namespace \/run\/netns\/lk\d+nonexistent\)/);
  assert.equal(sysctlPath('net.ipv4.conf.all.src_valid_mark'), '/proc/sys/net/ipv4/conf/all/src_valid_mark');
  assert.equal(getRpFilter('all', { netns: C }), want, 'a refused write changed nothing');
});

/** Node server in S on an fd bound there; resolves remote addresses of accepted connections. */
async function serverInS(): Promise<{ server: net.Server; peers: string[]; conns: net.Socket[] }> {
  const fd = check(inNetns(S, () => native.socket(AF_INET6, SOCK_STREAM, 0)), 'socket');
  const r = native.bind(fd, sockaddr('::', PORT));
  if (r < 0) { native.close(fd); check(r, 'bind'); }
  const peers: string[] = [];
  const conns: net.Socket[] = [];
  const server = net.createServer((c) => {
    peers.push(c.remoteAddress!.replace(/^::ffff:/, ''));
    conns.push(c);
    c.on('error', () => {});
  });
  server.listen({ fd });
  await once(server, 'listening');
  return { server, peers, conns };
}

/** Blocking TCP connect from the client namespace (bounded by SO_SNDTIMEO): '' or the errno name. */
function tcpConnect(ip: string, mark: number | undefined, timeoutMs: number): { err: string; fd: number } {
  const fd = clientSocket(SOCK_STREAM, ip.includes(':') ? AF_INET6 : AF_INET, mark);
  const tv = new DataView(new ArrayBuffer(16));
  tv.setBigInt64(0, BigInt(Math.floor(timeoutMs / 1000)), true);
  tv.setBigInt64(8, BigInt((timeoutMs % 1000) * 1000), true);
  check(native.setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, new Uint8Array(tv.buffer)), 'setsockopt(SO_SNDTIMEO)');
  const r = native.connect(fd, sockaddr(ip, PORT));
  return { err: r < 0 ? errnoName(-r) : '', fd };
}


test('fwmark routing: a marked socket leaves through the table\'s device and source address', async (t) => {
  if (skipUnless(t, needRoot())) return;
  profileUp();
  const srv = await serverInS();
  const fds: number[] = [];
  try {
    // The kernel's own view of the lookup.
    assert.match(inNs(C, ['ip', 'route', 'get', '10.90.0.1', 'mark', String(MARK)]).stdout, new RegExp(`dev ${T0} table ${TABLE} src 10\\.89\\.0\\.2`));
    assert.match(inNs(C, ['ip', '-6', 'route', 'get', 'fd4c:90::1', 'mark', String(MARK)]).stdout, new RegExp(`dev ${T0} table ${TABLE} proto 76 src fd4c:89::2`));
    assert.match(inNs(C, ['ip', 'route', 'get', '10.90.0.1']).stdout, new RegExp(`via 10\\.88\\.0\\.1 dev ${M0} src 10\\.88\\.0\\.2`));

    // Strict reverse-path filtering drops the reply arriving on the "tunnel"
    // (its source routes via the main table): the marked connect times out.
    setRpFilter('all', 1, { netns: C });
    setRpFilter(T0, 1, { netns: C });
    const strict = tcpConnect('10.90.0.1', MARK, 300);
    fds.push(strict.fd);
    assert.equal(strict.err, 'EINPROGRESS', 'SYN-ACK dropped by rp_filter=1: connect timed out');
    // Loose mode (what Lockne sets in the client namespace) lets it through.
    setRpFilter('all', 2, { netns: C });
    setRpFilter(T0, 2, { netns: C });
    const marked = tcpConnect('10.90.0.1', MARK, 2000);
    fds.push(marked.fd);
    const plain = tcpConnect('10.90.0.1', undefined, 2000);
    fds.push(plain.fd);
    assert.equal(plain.err, '');
    const marked6 = tcpConnect('fd4c:90::1', MARK, 2000);
    fds.push(marked6.fd);
    assert.equal(marked6.err, '');
    const plain6 = tcpConnect('fd4c:90::1', undefined, 2000);
    fds.push(plain6.fd);
    assert.equal(plain6.err, '');
    // (The strict attempt's SYN is retransmitted after 1 s and may connect too, from the same address.)
    await waitFor('connections from four source addresses', () => new Set(srv.peers).size >= 4);
    assert.deepEqual([...new Set(srv.peers)].sort(), ['10.88.0.2', '10.89.0.2', 'fd4c:88::2', 'fd4c:89::2'], 'marked sockets arrive from the tunnel addresses, plain ones directly');
  } finally {
    for (const fd of fds) native.close(fd);
    for (const c of srv.conns) c.destroy();
    srv.server.close();
    await once(srv.server, 'close');
  }
});

test('kill switch: without the tunnel route a marked connect fails with ENETUNREACH, never via main', (t) => {
  if (skipUnless(t, needRoot())) return;
  profileUp();
  assert.equal(udpConnect('10.90.0.1', MARK), '');
  assert.equal(udpConnect('fd4c:90::1', MARK), '');

  // The tunnel goes down: the kernel drops its routes from table T.
  inNs(C, ['ip', 'link', 'set', T0, 'down']);
  assert.equal(udpConnect('10.90.0.1', MARK), 'ENETUNREACH');
  assert.equal(udpConnect('fd4c:90::1', MARK), 'ENETUNREACH');
  assert.equal(udpConnect('10.90.0.1'), '', 'unmarked sockets still go direct');
  inNs(C, ['ip', 'link', 'set', T0, 'up']);
  profileUp();
  assert.equal(udpConnect('10.90.0.1', MARK), '');

  // Route removed by hand, then the kill-switch rule removed: now the lookup falls through to main (the leak it prevents).
  withNetlink({ netns: C }, (nl) => {
    deleteRoute(nl, { family: 4, table: TABLE });
    deleteRoute(nl, { family: 6, table: TABLE });
    assert.equal(udpConnect('10.90.0.1', MARK), 'ENETUNREACH');
    assert.equal(udpConnect('fd4c:90::1', MARK), 'ENETUNREACH');
    deleteRule(nl, { family: 4, priority: PREF + 1, fwmark: MARK, fwmask: 0xffffffff, action: 'unreachable' });
    deleteRule(nl, { family: 6, priority: PREF + 1, fwmark: MARK, fwmask: 0xffffffff, action: 'unreachable' });
    assert.equal(udpConnect('10.90.0.1', MARK), '', 'without the kill switch the marked socket leaks via main');
    assert.equal(udpConnect('fd4c:90::1', MARK), '');

    // `lockne down` after a crash: everything tagged goes, nothing else.
    replaceRoute(nl, { family: 4, table: TABLE, dev: T0 });
    addRoute(nl, { family: 6, table: TABLE, type: 'unreachable' });
    assert.equal(deleteAllRulesWithProtocol(nl, LOCKNE_PROTOCOL).length, 2);
    assert.equal(deleteAllRoutesWithProtocol(nl, LOCKNE_PROTOCOL).length, 2);
    assert.deepEqual(listRules(nl).map((r) => r.priority).sort((a, b) => a - b), [0, 0, 32766, 32766, 32767]);
  });
  assert.equal(udpConnect('10.90.0.1', MARK), '', 'unrouted again: main table');
});
