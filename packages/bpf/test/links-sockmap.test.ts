// sk_msg and sk_skb programs on sockmaps/sockhashes, attached by bpf_link and by
// BPF_PROG_ATTACH, checked on real loopback TCP connections: bytes counted,
// sends refused, data redirected or dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '@lockne/obj';
import { ArgumentError, BpfMap, Program, ProgAttachment, SockHash, SockMap, SyscallError, native, u32, u64 } from '../src/index.js';
import { attachSkMsg } from '../src/links/sk-msg.js';
import { BPF_F_INGRESS, attachSkSkb } from '../src/links/sk-skb.js';
import { sockmapLinkInfo } from '../src/links/sockmap-attach.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import {
  MSG_DONTWAIT, drain, readStream, sleep, socketCookie, tcpConnect, tcpServer, waitFor, type TcpPeer,
} from './support/sock-helpers.js';

checkFdLeaks();

/** Add md->size of every message to counter[0]; pass it on. */
function countBytes(counterFd: number): string {
  return `
  r6 = *(u32 *)(r1 + 68)
  *(u32 *)(r10 - 4) = 0
  r1 = map_fd(${counterFd}) ll
  r2 = r10
  r2 += -4
  call bpf_map_lookup_elem
  if r0 == 0 goto out
  lock *(u64 *)(r0 + 0) += r6
out:
  r0 = 1
  exit`;
}

function send(fd: number, text: string): number {
  return native.sendto(fd, Buffer.from(text), MSG_DONTWAIT, null);
}

/** Connect `n` native clients; returns them with the server side of each (matched by a hello byte). */
async function connectPairs(server: TcpPeer, n: number): Promise<{ client: number; peer: () => string; write: (s: string) => void }[]> {
  const out: { client: number; peer: () => string; write: (s: string) => void }[] = [];
  for (let i = 0; i < n; i++) {
    const client = tcpConnect('127.0.0.1', server.port);
    const tag = String.fromCharCode(65 + server.conns.length + i);
    assert.equal(send(client, tag), 1);
    const idx = await waitFor(`hello ${tag}`, () => { const j = server.data.findIndex((d) => d.startsWith(tag)); return j >= 0 ? j : undefined; });
    out.push({
      client,
      peer: () => server.data[idx]!.slice(1),
      write: (s) => { server.conns[idx]!.write(s); },
    });
  }
  return out;
}

test('sk_msg link counts the bytes sent on sockets in the sockmap', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const server = await tcpServer();
  const sockmap = SockMap.create({ maxEntries: 2, name: 'skmsg_map' });
  const counter = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 1, name: 'skmsg_bytes' });
  const clients: number[] = [];
  let prog: Program | undefined;
  try {
    prog = Program.load({ type: 'SK_MSG', instructions: assemble(countBytes(counter.fd)), name: 'count_bytes' });
    const link = attachSkMsg(prog, sockmap);
    try {
      const [a] = await connectPairs(server, 1);
      clients.push(a!.client);
      sockmap.set(0, a!.client);
      // A sockmap with 8-byte values reads back the socket cookie.
      assert.equal(sockmap.get(0), socketCookie(a!.client));

      assert.equal(send(a!.client, 'hello'), 5);
      assert.equal(send(a!.client, ' world!'), 7);
      await waitFor('the data at the server', () => (a!.peer() === 'hello world!' ? true : undefined));
      assert.equal(counter.get(0), 12n);

      const info = sockmapLinkInfo(link);
      assert.equal(info.typeName, 'SOCKMAP');
      assert.equal(info.mapId, sockmap.info().id);
      assert.equal(info.attachTypeName, 'SK_MSG_VERDICT');
      assert.equal(info.progId, prog.info().id);

      // One sk_msg program per map.
      assert.throws(() => attachSkMsg(prog!, sockmap), (e: unknown) =>
        e instanceof SyscallError && e.code === 'EBUSY' && /BPF_LINK_CREATE failed: EBUSY \(SK_MSG_VERDICT link/.test(e.message));

      link.detach();
      assert.equal(sockmapLinkInfo(link).mapId, 0);
      // Sockets added after the detach run no program.
      const [b] = await connectPairs(server, 1);
      clients.push(b!.client);
      sockmap.set(1, b!.client);
      assert.equal(send(b!.client, 'uncounted'), 9);
      await waitFor('the second client data', () => (b!.peer() === 'uncounted' ? true : undefined));
      assert.equal(counter.get(0), 12n);
    } finally {
      link.close();
    }
  } finally {
    for (const c of clients) native.close(c);
    await server.close();
    prog?.close();
    sockmap.close();
    counter.close();
  }
});

test('sk_msg SK_DROP by BPF_PROG_ATTACH on a sockhash: send fails with EACCES', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const server = await tcpServer();
  const sockhash = SockHash.create({ key: u32, maxEntries: 2, name: 'skmsg_hash' });
  const drop = Program.load({ type: 'SK_MSG', instructions: assemble('r0 = 0; exit'), name: 'msg_drop' });
  const clients: number[] = [];
  try {
    const att = attachSkMsg(drop, sockhash, { mode: 'prog-attach' });
    assert.ok(att instanceof ProgAttachment);
    try {
      const [a] = await connectPairs(server, 1);
      clients.push(a!.client);
      sockhash.set(7, a!.client);
      assert.equal(send(a!.client, 'blocked'), -13 /* EACCES */);
      await sleep(50);
      assert.equal(a!.peer(), '', 'nothing reached the server');
    } finally {
      att.close();
    }
    assert.equal(att.closed, true);
    att.close(); // idempotent
    // Detached: a socket added now sends freely.
    const [b] = await connectPairs(server, 1);
    clients.push(b!.client);
    sockhash.set(8, b!.client);
    assert.equal(send(b!.client, 'free'), 4);
    await waitFor('the data after detach', () => (b!.peer() === 'free' ? true : undefined));
  } finally {
    for (const c of clients) native.close(c);
    await server.close();
    drop.close();
    sockhash.close();
  }
});

test('sk_skb verdict link redirects received data into another socket', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const server = await tcpServer();
  const sockmap = SockMap.create({ maxEntries: 2, name: 'skskb_map' });
  const clients: number[] = [];
  let prog: Program | undefined;
  try {
    // bpf_sk_redirect_map(skb, sockmap, 1, BPF_F_INGRESS): into socket 1's receive queue.
    prog = Program.load({
      type: 'SK_SKB',
      name: 'redirect_in',
      instructions: assemble(`
        r2 = map_fd(${sockmap.fd}) ll
        r3 = 1
        r4 = ${BPF_F_INGRESS}
        call bpf_sk_redirect_map
        exit`),
    });
    const link = attachSkSkb(prog, sockmap, 'verdict');
    try {
      assert.equal(sockmapLinkInfo(link).attachTypeName, 'SK_SKB_VERDICT');
      // A map takes a verdict or a stream verdict, not both.
      assert.throws(() => attachSkSkb(prog!, sockmap, 'stream-verdict'), (e: unknown) =>
        e instanceof SyscallError && e.code === 'EBUSY');

      const [a, b] = await connectPairs(server, 2);
      clients.push(a!.client, b!.client);
      sockmap.set(0, a!.client);
      sockmap.set(1, b!.client);
      a!.write('to-a');
      assert.equal(await readStream(b!.client, 4), 'to-a', 'what the server sent to a arrived on b');
      assert.deepEqual(drain(a!.client), []);
    } finally {
      link.close();
    }
  } finally {
    for (const c of clients) native.close(c);
    await server.close();
    prog?.close();
    sockmap.close();
  }
});

test('sk_skb stream parser + stream verdict (prog-attach) drop what sockets in the map receive', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const server = await tcpServer();
  const sockmap = SockMap.create({ maxEntries: 2, name: 'skskb_strp' });
  const parser = Program.load({ type: 'SK_SKB', instructions: assemble('r0 = *(u32 *)(r1 + 0); exit'), name: 'parse_len' });
  const drop = Program.load({ type: 'SK_SKB', instructions: assemble('r0 = 0; exit'), name: 'skb_drop' });
  const clients: number[] = [];
  const held: { close(): void }[] = [];
  try {
    held.push(attachSkSkb(parser, sockmap, 'stream-parser'));
    const verdict = attachSkSkb(drop, sockmap, 'stream-verdict', { mode: 'prog-attach' });
    held.push(verdict);
    assert.equal(verdict.attachType, 5 /* SK_SKB_STREAM_VERDICT */);

    const [inMap, control] = await connectPairs(server, 2);
    clients.push(inMap!.client, control!.client);
    sockmap.set(0, inMap!.client);
    inMap!.write('dropped');
    control!.write('kept');
    assert.equal(await readStream(control!.client, 4), 'kept');
    await sleep(50);
    assert.deepEqual(drain(inMap!.client), [], 'the socket in the map received nothing');
  } finally {
    for (const h of held.reverse()) h.close();
    for (const c of clients) native.close(c);
    await server.close();
    parser.close();
    drop.close();
    sockmap.close();
  }
});

test('sockmap attach argument errors', (t) => {
  if (skipUnless(t, needRoot())) return;
  const hash = BpfMap.create({ type: 'HASH', keySize: 4, valueSize: 8, maxEntries: 1 });
  const msg = Program.load({ type: 'SK_MSG', instructions: assemble('r0 = 1; exit') });
  try {
    assert.throws(() => attachSkMsg(msg, hash), (e: unknown) =>
      e instanceof ArgumentError && /attaches to a SOCKMAP or SOCKHASH, not a HASH map/.test(e.message));
    assert.throws(() => attachSkSkb(msg, 0, 'verdict'), (e: unknown) =>
      e instanceof ArgumentError && /is SK_MSG; SK_SKB_VERDICT needs SK_SKB/.test(e.message));
    // A raw fd is passed through: the kernel names the problem.
    assert.throws(() => attachSkMsg(msg, hash.fd), (e: unknown) => e instanceof SyscallError && e.syscall === 'BPF_LINK_CREATE');
  } finally {
    msg.close();
    hash.close();
  }
});
