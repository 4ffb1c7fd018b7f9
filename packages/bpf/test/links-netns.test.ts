// Network-namespace attach kinds: netns fds and withNetns, sk_lookup steering,
// flow dissector (test-run keys and a link whose program runs on real traffic),
// netfilter hooks that drop or count packets. All inside namespaces made here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import dgram from 'node:dgram';
import { assemble } from '@lockne/obj';
import { ArgumentError, BpfMap, Program, SockMap, SyscallError, native, u32, u64 } from '../src/index.js';
import { currentNetnsInode, netnsInode, netnsLinkInfo, openNetns, withNetns } from '../src/links/netns.js';
import { attachSkLookup } from '../src/links/sk-lookup.js';
import { FlowDissectorResult, attachFlowDissector, dissectFlow } from '../src/links/flow-dissector.js';
import { NfVerdict, attachNetfilter, netfilterLinkInfo } from '../src/links/netfilter.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import {
  AF_INET, SOCK_DGRAM, SOCK_STREAM, check, drain, makeNetns, sockaddrIn, tcpConnect, tcpServerOnFd, tryConnect,
  udpBound, waitFor,
} from './support/sock-helpers.js';

checkFdLeaks();

/** counter[0] += 1 (an ARRAY map of one u64), leaving r6..r9 alone. */
function bump(mapFd: number): string {
  return `
  *(u32 *)(r10 - 4) = 0
  r1 = map_fd(${mapFd}) ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto +2
  r1 = 1
  lock *(u64 *)(r0 + 0) += r1`;
}

test('openNetns by name, path and pid; withNetns switches and always returns', (t) => {
  if (skipUnless(t, needRoot())) return;
  const home = currentNetnsInode();
  const ns = makeNetns('ns');
  try {
    const ino = fs.statSync(ns.path).ino;
    assert.equal(netnsInode(ns.handle), ino);
    const byPath = openNetns({ path: ns.path });
    const byName = openNetns({ name: ns.name });
    const self = openNetns({ pid: process.pid });
    try {
      assert.equal(netnsInode(byPath), ino);
      assert.equal(netnsInode(byName.fd), ino);
      assert.equal(netnsInode(self), home);
    } finally {
      byPath.close();
      byName.close();
      self.close();
    }
    assert.notEqual(ino, home);
    assert.equal(withNetns(ns.handle, () => currentNetnsInode()), ino);
    assert.equal(currentNetnsInode(), home);
    assert.throws(() => withNetns(ns.handle, () => { throw new Error('boom'); }), /boom/);
    assert.equal(currentNetnsInode(), home, 'back home after a throw');
    assert.throws(() => withNetns(ns.handle, async () => 1), (e: unknown) => e instanceof ArgumentError && /must be synchronous/.test(e.message));
    assert.equal(currentNetnsInode(), home, 'back home after an async callback');
  } finally {
    ns.remove();
  }
  assert.throws(() => openNetns('lk-no-such-netns'), (e: unknown) =>
    e instanceof SyscallError && e.code === 'ENOENT' && /open failed: ENOENT \(network namespace \/run\/netns\/lk-no-such-netns\)/.test(e.message));
  assert.throws(() => openNetns({ path: '/proc/self/ns/uts' }), (e: unknown) => e instanceof ArgumentError && /is not a network namespace/.test(e.message));
  assert.throws(() => openNetns({ path: '/proc/self/status' }), (e: unknown) => e instanceof ArgumentError && /is not a network namespace/.test(e.message));
  assert.throws(() => openNetns({ name: '../etc' }), ArgumentError);
  assert.throws(() => openNetns({ pid: -1 }), ArgumentError);
});

const PORT_A = 7100;
const PORT_B = 7200;

test('sk_lookup link steers connections for port A to the listener on port B', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const sockmap = SockMap.create({ maxEntries: 1, name: 'sklookup_dst' });
  const ns = makeNetns('skl');
  let prog: Program | undefined;
  let server: Awaited<ReturnType<typeof tcpServerOnFd>> | undefined;
  const clients: number[] = [];
  try {
    // TCP to local port A: assign sockmap[0]; everything else: normal lookup.
    prog = Program.load({
      type: 'SK_LOOKUP',
      expectedAttachType: 'SK_LOOKUP',
      name: 'steer_a_to_b',
      instructions: assemble(`
        r6 = r1
        r2 = *(u32 *)(r6 + 12)
        if r2 != 6 goto pass
        r2 = *(u32 *)(r6 + 60)
        if r2 != ${PORT_A} goto pass
        *(u32 *)(r10 - 4) = 0
        r1 = map_fd(${sockmap.fd}) ll
        r2 = r10
        r2 += -4
        call bpf_map_lookup_elem
        if r0 == 0 goto pass
        r7 = r0
        r1 = r6
        r2 = r7
        r3 = 0
        call bpf_sk_assign
        r1 = r7
        call bpf_sk_release
      pass:
        r0 = 1
        exit`),
    });
    const listenFd = withNetns(ns.handle, () => {
      const fd = check(native.socket(AF_INET, SOCK_STREAM, 0), 'socket');
      const r = native.bind(fd, sockaddrIn('127.0.0.1', PORT_B));
      if (r < 0) native.close(fd);
      check(r, 'bind');
      return fd;
    });
    server = await tcpServerOnFd(listenFd, PORT_B);
    sockmap.set(0, listenFd);
    assert.equal(withNetns(ns.handle, () => tryConnect('127.0.0.1', PORT_A)), 'ECONNREFUSED', 'nothing listens on A');

    const link = attachSkLookup(prog, ns.handle);
    try {
      const info = netnsLinkInfo(link);
      assert.equal(info.typeName, 'NETNS');
      assert.equal(info.netnsIno, netnsInode(ns.handle));
      assert.equal(info.attachTypeName, 'SK_LOOKUP');

      const c = withNetns(ns.handle, () => tcpConnect('127.0.0.1', PORT_A));
      clients.push(c);
      assert.equal(native.sendto(c, Buffer.from('steered'), 0, null), 7);
      const srv = server;
      await waitFor('the steered data at listener B', () => (srv.data[0] === 'steered' ? true : undefined));
      // The accepted socket keeps the address the client asked for.
      assert.equal(srv.conns[0]!.localPort, PORT_A);
    } finally {
      link.close();
    }
    assert.equal(withNetns(ns.handle, () => tryConnect('127.0.0.1', PORT_A)), 'ECONNREFUSED', 'detached by close()');
  } finally {
    for (const c of clients) native.close(c);
    await server?.close();
    prog?.close();
    sockmap.close();
    ns.remove();
  }
});

/** Ethernet + IPv4 + UDP, 10.1.2.3:4321 -> 10.4.5.6:53. */
function udpFrame(): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + 4);
  const v = new DataView(f.buffer);
  v.setUint16(12, 0x0800);
  f.set([0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 1, 2, 3, 10, 4, 5, 6], 14);
  v.setUint16(34, 4321);
  v.setUint16(36, 53);
  v.setUint16(38, 12);
  return f;
}

/**
 * A flow dissector for plain IPv4 (IHL 5): counts its runs in counter[0], then
 * copies protocol, addresses and ports into ctx->flow_keys (offset 144).
 * Direct packet access (data 76, data_end 80): test runs have no skb, so
 * bpf_skb_load_bytes would fail there. nhoff is capped so that nhoff + 24
 * stays below the verifier's packet offset limit (0xffff).
 */
function ipv4Dissector(counterFd: number): string {
  return `
  r6 = r1
  ${bump(counterFd)}
  r7 = *(u64 *)(r6 + 144)
  r2 = *(u32 *)(r6 + 76)
  r3 = *(u32 *)(r6 + 80)
  r4 = *(u16 *)(r7 + 0)
  if r4 > 255 goto drop
  r2 += r4
  r4 = r2
  r4 += 24
  if r4 > r3 goto drop
  r1 = *(u8 *)(r2 + 0)
  if r1 != 0x45 goto drop
  r1 = *(u8 *)(r2 + 9)
  *(u8 *)(r7 + 9) = r1
  r1 = *(u32 *)(r2 + 12)
  *(u32 *)(r7 + 16) = r1
  r1 = *(u32 *)(r2 + 16)
  *(u32 *)(r7 + 20) = r1
  r1 = *(u16 *)(r2 + 20)
  *(u16 *)(r7 + 12) = r1
  r1 = *(u16 *)(r2 + 22)
  *(u16 *)(r7 + 14) = r1
  r1 = *(u16 *)(r7 + 0)
  r1 += 20
  *(u16 *)(r7 + 2) = r1
  r1 = 0x800
  *(u16 *)(r7 + 4) = r1
  r0 = ${FlowDissectorResult.OK}
  exit
drop:
  r0 = ${FlowDissectorResult.DROP}
  exit`;
}

test('flow dissector test-run returns the flow keys the program filled', (t) => {
  if (skipUnless(t, needRoot())) return;
  const counter = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 1, name: 'fd_runs' });
  let prog: Program | undefined;
  try {
    prog = Program.load({ type: 'FLOW_DISSECTOR', instructions: assemble(ipv4Dissector(counter.fd)), name: 'ipv4_dissect' });
    const { retval, keys } = dissectFlow(prog, udpFrame());
    assert.equal(retval, FlowDissectorResult.OK);
    assert.deepEqual(
      { nhoff: keys.nhoff, thoff: keys.thoff, addrProto: keys.addrProto, ipProto: keys.ipProto, nProto: keys.nProto, src: keys.src, dst: keys.dst, sport: keys.sport, dport: keys.dport },
      { nhoff: 14, thoff: 34, addrProto: 0x800, ipProto: 17, nProto: 0x800, src: '10.1.2.3', dst: '10.4.5.6', sport: 4321, dport: 53 },
    );
    assert.equal(counter.get(0), 1n);
    // Not IPv4 with a 20-byte header: the program says BPF_DROP.
    const arp = udpFrame();
    arp[14] = 0x46;
    assert.equal(dissectFlow(prog, arp).retval, FlowDissectorResult.DROP);
    assert.throws(() => dissectFlow(prog!, new Uint8Array(10)), (e: unknown) => e instanceof ArgumentError && /at least an Ethernet header/.test(e.message));
  } finally {
    prog?.close();
    counter.close();
  }
});

const AF_PACKET = 17;
const SOCK_RAW = 3;
const SOL_PACKET = 263;
const PACKET_FANOUT = 18;

test('flow dissector link in a netns runs on its traffic (packet fanout hashing) until closed', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const counter = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 1, name: 'fd_link_runs' });
  const ns = makeNetns('fd');
  const fds: number[] = [];
  let prog: Program | undefined;
  try {
    prog = Program.load({ type: 'FLOW_DISSECTOR', instructions: assemble(ipv4Dissector(counter.fd)), name: 'ipv4_dissect' });
    const [rx, tx] = withNetns(ns.handle, () => {
      // A PACKET_FANOUT_HASH group hashes every frame it sees with the flow dissector.
      const pkt = check(native.socket(AF_PACKET, SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */), 'socket(AF_PACKET)');
      fds.push(pkt);
      check(native.setsockopt(pkt, SOL_PACKET, PACKET_FANOUT, new Uint8Array(new Int32Array([process.pid & 0xffff]).buffer)), 'setsockopt(PACKET_FANOUT)');
      const rx = udpBound('127.0.0.1', 7400);
      fds.push(rx);
      const tx = check(native.socket(AF_INET, SOCK_DGRAM, 0), 'socket');
      fds.push(tx);
      return [rx, tx];
    });
    const sendOne = async (): Promise<void> => {
      check(native.sendto(tx, Buffer.from('x'), 0, sockaddrIn('127.0.0.1', 7400)), 'sendto');
      await waitFor('the datagram', () => (drain(rx).length ? true : undefined));
    };

    const link = attachFlowDissector(prog, ns.handle);
    try {
      const info = netnsLinkInfo(link);
      assert.equal(info.netnsIno, netnsInode(ns.handle));
      assert.equal(info.attachTypeName, 'FLOW_DISSECTOR');
      assert.equal(info.progId, prog.info().id);
      // One flow dissector per namespace: the kernel says E2BIG (its program count limit is 1).
      assert.throws(() => attachFlowDissector(prog!, ns.handle), (e: unknown) =>
        e instanceof SyscallError && e.code === 'E2BIG' && /BPF_LINK_CREATE failed: E2BIG \(flow_dissector link/.test(e.message));

      await sendOne();
      assert.ok((counter.get(0) ?? 0n) >= 1n, 'the dissector ran on the namespace traffic');
    } finally {
      link.close();
    }
    const before = counter.get(0);
    await sendOne();
    assert.equal(counter.get(0), before, 'no runs after close()');
  } finally {
    for (const fd of fds) native.close(fd);
    prog?.close();
    counter.close();
    ns.remove();
  }
});

test('netfilter link: NF_DROP at LOCAL_OUT blocks sends in its netns only; NF_ACCEPT counts', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const counter = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 1, name: 'nf_count' });
  const ns = makeNetns('nf');
  const fds: number[] = [];
  const progs: Program[] = [];
  const rootRx = dgram.createSocket('udp4');
  try {
    const drop = Program.load({ type: 'NETFILTER', expectedAttachType: 'NETFILTER', instructions: assemble(`r0 = ${NfVerdict.DROP}; exit`), name: 'nf_drop' });
    progs.push(drop);
    const count = Program.load({ type: 'NETFILTER', expectedAttachType: 'NETFILTER', instructions: assemble(`${bump(counter.fd)}\n r0 = ${NfVerdict.ACCEPT}\n exit`), name: 'nf_count' });
    progs.push(count);
    const [rx, tx] = withNetns(ns.handle, () => {
      const rx = udpBound('127.0.0.1', 7500);
      fds.push(rx);
      const tx = check(native.socket(AF_INET, SOCK_DGRAM, 0), 'socket');
      fds.push(tx);
      return [rx, tx];
    });
    const rootTx = check(native.socket(AF_INET, SOCK_DGRAM, 0), 'socket');
    fds.push(rootTx);
    await new Promise<void>((resolve) => rootRx.bind(0, '127.0.0.1', resolve));
    const rootGot: string[] = [];
    rootRx.on('message', (m) => rootGot.push(m.toString()));
    const sendNs = (m: string): number => native.sendto(tx, Buffer.from(m), 0, sockaddrIn('127.0.0.1', 7500));

    const link = attachNetfilter(drop, { family: 'IPV4', hook: 'LOCAL_OUT', priority: -100, netns: ns.handle });
    try {
      const info = netfilterLinkInfo(link);
      assert.deepEqual([info.typeName, info.pf, info.hooknum, info.priority, info.flags], ['NETFILTER', 2, 3, -100, 0]);
      assert.equal(sendNs('dropped'), -1 /* EPERM */);
      assert.deepEqual(drain(rx), []);
      // The root namespace is not hooked.
      check(native.sendto(rootTx, Buffer.from('root'), 0, sockaddrIn('127.0.0.1', rootRx.address().port)), 'sendto root');
      await waitFor('the root-namespace datagram', () => (rootGot.includes('root') ? true : undefined));
    } finally {
      link.close();
    }

    const counting = attachNetfilter(count, { family: 'IPV4', hook: 'LOCAL_OUT', priority: 10, netns: ns.handle });
    try {
      for (const m of ['a', 'b', 'c']) assert.equal(sendNs(m), 1);
      const got: string[] = [];
      await waitFor('three datagrams', () => (got.push(...drain(rx)), got.length >= 3 ? true : undefined));
      assert.deepEqual(got, ['a', 'b', 'c']);
      assert.equal(counter.get(0), 3n);
    } finally {
      counting.close();
    }
    assert.equal(sendNs('d'), 1);
    assert.equal(counter.get(0), 3n, 'unhooked by close()');
  } finally {
    rootRx.close();
    for (const fd of fds) native.close(fd);
    for (const p of progs) p.close();
    counter.close();
    ns.remove();
  }
});

test('netfilter link: refused arguments are clean errors', (t) => {
  if (skipUnless(t, needRoot())) return;
  const prog = Program.load({ type: 'NETFILTER', expectedAttachType: 'NETFILTER', instructions: assemble('r0 = 1; exit') });
  const ns = makeNetns('nfe');
  try {
    assert.throws(() => attachNetfilter(prog, { family: 'IPV4', hook: 'LOCAL_OUT', priority: -0x80000000 }), (e: unknown) =>
      e instanceof ArgumentError && /strictly between INT32_MIN and INT32_MAX/.test(e.message));
    assert.throws(() => attachNetfilter(prog, { family: 'IPV4', hook: 'NOPE' as 'LOCAL_OUT', priority: 0 }), (e: unknown) =>
      e instanceof ArgumentError && /unknown netfilter hook 'NOPE'/.test(e.message));
    // The kernel knows no hook 9 for IPv4, and no BPF hooks for ARP.
    assert.throws(() => attachNetfilter(prog, { family: 'IPV4', hook: 9, priority: 0, netns: ns.handle }), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'BPF_LINK_CREATE' && /netfilter link/.test(e.message));
    assert.throws(() => attachNetfilter(prog, { family: 3, hook: 0, priority: 0, netns: ns.handle }), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'BPF_LINK_CREATE');
  } finally {
    prog.close();
    ns.remove();
  }
});
