// Socket filters (SO_ATTACH_BPF), reuseport selectors (SO_ATTACH_REUSEPORT_EBPF)
// and sock_ops on a cgroup, each checked by the traffic it lets through or counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { assemble } from '@lockne/obj';
import { ArgumentError, BpfMap, Program, SyscallError, native, u32, u64 } from '../src/index.js';
import { attachReuseportProgram, attachSocketFilter } from '../src/links/socket-filter.js';
import { SockOpsOp, attachSockOps } from '../src/links/sockops.js';
import { withNetns } from '../src/links/netns.js';
import { readU32, read } from '../src/sys/layout.js';
import { LinkInfo } from '../src/sys/attrs.js';
import { cgroup2Root } from '../src/net/cgroup.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import {
  AF_INET, SOCK_DGRAM, check, drain, makeCgroup, makeNetns, sockaddrIn, tcpServer, udpBound, waitFor,
} from './support/sock-helpers.js';

checkFdLeaks();

// Keep the whole datagram (return skb->len) unless its payload starts with 'X'.
// For UDP the socket filter sees skb->data at the UDP header: payload at 8.
const DROP_X = `
  r6 = r1
  r2 = 8
  r3 = r10
  r3 += -8
  r4 = 1
  call bpf_skb_load_bytes
  if r0 != 0 goto keep
  r1 = *(u8 *)(r10 - 8)
  if r1 == 0x58 goto drop
keep:
  r0 = *(u32 *)(r6 + 0)
  exit
drop:
  r0 = 0
  exit`;

function sendTo(tx: number, port: number, msgs: string[]): void {
  for (const m of msgs) check(native.sendto(tx, Buffer.from(m), 0, sockaddrIn('127.0.0.1', port)), `sendto '${m}'`);
}

test('socket filter drops the datagrams its program rejects, until detached', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const prog = Program.load({ type: 'SOCKET_FILTER', instructions: assemble(DROP_X), name: 'drop_x' });
  const ns = makeNetns('sf');
  const nsFd = ns.handle;
  let rx = -1;
  let tx = -1;
  try {
    [rx, tx] = withNetns(nsFd, () => [udpBound('127.0.0.1', 7000), check(native.socket(AF_INET, SOCK_DGRAM, 0), 'socket')]);
    const filter = attachSocketFilter(prog, rx);
    assert.equal(filter.attached, true);
    sendTo(tx, 7000, ['a1', 'Xbad', 'b2', 'Xno', 'c3']);
    const got: string[] = [];
    await waitFor('three datagrams', () => (got.push(...drain(rx)), got.length >= 3 ? true : undefined));
    assert.deepEqual(got, ['a1', 'b2', 'c3']);

    filter.close();
    filter.close(); // idempotent
    assert.equal(filter.attached, false);
    sendTo(tx, 7000, ['Xafter']);
    assert.deepEqual(await waitFor('the unfiltered datagram', () => { const d = drain(rx); return d.length ? d : undefined; }), ['Xafter']);
  } finally {
    if (rx >= 0) native.close(rx);
    if (tx >= 0) native.close(tx);
    prog.close();
    ns.remove();
  }
});

test('socket filter errors: wrong program type, not a socket', (t) => {
  if (skipUnless(t, needRoot())) return;
  const xdp = Program.load({ type: 'XDP', instructions: assemble('r0 = 2; exit') });
  const filter = Program.load({ type: 'SOCKET_FILTER', instructions: assemble('r0 = 0; exit') });
  try {
    assert.throws(() => attachSocketFilter(xdp, 0), (e: unknown) =>
      e instanceof ArgumentError && /is XDP; a socket filter needs SOCKET_FILTER/.test(e.message));
    // A bpf program fd is not a socket.
    assert.throws(() => attachSocketFilter(filter, xdp.fd), (e: unknown) =>
      e instanceof SyscallError && e.code === 'ENOTSOCK' && /setsockopt\(SO_ATTACH_BPF\) failed: ENOTSOCK/.test(e.message));
  } finally {
    xdp.close();
    filter.close();
  }
});

test('reuseport program picks the socket of a SO_REUSEPORT group', async (t) => {
  if (skipUnless(t, needRoot())) return;
  // Return index 1: the second socket bound to the port.
  const prog = Program.load({ type: 'SOCKET_FILTER', instructions: assemble('r0 = 1; exit'), name: 'pick_second' });
  const ns = makeNetns('rp');
  const nsFd = ns.handle;
  const fds: number[] = [];
  try {
    const [a, b, senders] = withNetns(nsFd, () => {
      const a = udpBound('127.0.0.1', 7001, { reuseport: true });
      fds.push(a);
      const b = udpBound('127.0.0.1', 7001, { reuseport: true });
      fds.push(b);
      // Many senders: distinct source ports hash to both sockets without the program.
      const senders = Array.from({ length: 32 }, () => {
        const fd = check(native.socket(AF_INET, SOCK_DGRAM, 0), 'socket');
        fds.push(fd);
        return fd;
      });
      return [a, b, senders] as const;
    });
    const sel = attachReuseportProgram(prog, a);
    for (const [i, s] of senders.slice(0, 16).entries()) sendTo(s, 7001, [`p${i}`]);
    const atB: string[] = [];
    await waitFor('16 datagrams at the second socket', () => (atB.push(...drain(b)), atB.length >= 16 ? true : undefined));
    assert.equal(atB.length, 16);
    assert.deepEqual(drain(a), [], 'the first socket got nothing');

    sel.close();
    for (const [i, s] of senders.entries()) sendTo(s, 7001, [`h${i}`]);
    const atA: string[] = [];
    const atB2: string[] = [];
    await waitFor('32 datagrams', () => (atA.push(...drain(a)), atB2.push(...drain(b)), atA.length + atB2.length >= 32 ? true : undefined));
    // Back to hashing: both sockets get some (all 32 on one side has odds 2^-31).
    assert.ok(atA.length > 0 && atB2.length > 0, `a ${atA.length}, b ${atB2.length}`);
  } finally {
    for (const fd of fds) native.close(fd);
    prog.close();
    ns.remove();
  }
});

function cgroupV2Missing(): string | null {
  try {
    cgroup2Root();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Count each bpf_sock_ops.op in an ARRAY map (ops past 15 ignored). */
function countOps(mapFd: number): string {
  return `
  r2 = *(u32 *)(r1 + 0)
  if r2 > 15 goto out
  *(u32 *)(r10 - 4) = r2
  r1 = map_fd(${mapFd}) ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1
out:
  r0 = 1
  exit`;
}

/** Run a Node child in `cgroupPath` that connects to 127.0.0.1:port and sends 'hi'. */
function childConnect(cgroupPath: string, port: number): Promise<number | null> {
  const js = `const s=require('net').connect(${port},'127.0.0.1',()=>s.end('hi'));s.on('close',()=>process.exit(0));s.on('error',()=>process.exit(3))`;
  const child = spawn('sh', ['-c', `echo $$ > "${cgroupPath}/cgroup.procs" && exec "${process.execPath}" -e "$0"`, js], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

test('sock_ops link on a cgroup counts the TCP connect and established callbacks', async (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, cgroupV2Missing())) return;
  const cg = makeCgroup();
  const counts = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 16, name: 'sockops_ops' });
  let prog: Program | undefined;
  const server = await tcpServer();
  try {
    prog = Program.load({ type: 'SOCK_OPS', instructions: assemble(countOps(counts.fd)), name: 'count_ops' });
    const link = attachSockOps(prog, cg.fd);
    try {
      assert.equal(await childConnect(cg.path, server.port), 0);
      await waitFor('the child data', () => (server.data.join('') === 'hi' ? true : undefined));
      assert.equal(counts.get(SockOpsOp.TCP_CONNECT_CB), 1n);
      assert.equal(counts.get(SockOpsOp.ACTIVE_ESTABLISHED_CB), 1n);
      // The server's socket is not in the cgroup: no passive callback.
      assert.equal(counts.get(SockOpsOp.PASSIVE_ESTABLISHED_CB), 0n);

      const info = link.info();
      assert.equal(info.typeName, 'CGROUP');
      assert.equal(info.progId, prog.info().id);
      assert.equal(read(LinkInfo, info.raw, 'cgroup_id'), BigInt(fs.statSync(cg.path).ino));
      assert.equal(readU32(LinkInfo, info.raw, 'cgroup_attach_type'), 3 /* CGROUP_SOCK_OPS */);
    } finally {
      link.close();
    }
    // Detached: another connection from the cgroup is not counted.
    assert.equal(await childConnect(cg.path, server.port), 0);
    await waitFor('the second child data', () => (server.data.join('') === 'hihi' ? true : undefined));
    assert.equal(counts.get(SockOpsOp.TCP_CONNECT_CB), 1n);
  } finally {
    await server.close();
    prog?.close();
    counts.close();
    cg.remove();
  }
});

test('attachSockOps refuses a program of another type', (t) => {
  if (skipUnless(t, needRoot())) return;
  const prog = Program.load({ type: 'SOCKET_FILTER', instructions: assemble('r0 = 0; exit') });
  try {
    assert.throws(() => attachSockOps(prog, 0), (e: unknown) => e instanceof ArgumentError && /attachSockOps needs SOCK_OPS/.test(e.message));
  } finally {
    prog.close();
  }
});
