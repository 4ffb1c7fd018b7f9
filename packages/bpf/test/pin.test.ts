// Pinning: maps, programs and links pinned in bpffs outlive their fds, reopen
// as typed objects, and go away when unpinned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { assemble } from '@lockne/obj';
import {
  ArgumentError, BpfMap, Link, Program, SyscallError, cgroupOf, createCgroup, enterCgroup, ensureBpffs, isOnBpffs,
  listLinks, listPrograms, openCgroup, openPinned, openPinnedLink, openPinnedMap, openPinnedProgram, pin, removeCgroup,
  unpin, u32, u64,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless, uniqueName } from './support/kernel.js';

checkFdLeaks();

const BPFFS = '/sys/fs/bpf';

/** Remove a pin if a failed test left it behind. */
function cleanup(p: string): void {
  if (fs.existsSync(p)) unpin(p);
}

test('ensureBpffs mounts bpffs once, then reports it present', (t) => {
  if (skipUnless(t, needRoot())) return;
  ensureBpffs(BPFFS);
  assert.ok(isOnBpffs(BPFFS));
  assert.equal(ensureBpffs(BPFFS), false, 'second call finds it mounted');
});

test('a pinned map reopens from its path and shares its values', (t) => {
  if (skipUnless(t, needRoot())) return;
  ensureBpffs(BPFFS);
  const p = `${BPFFS}/${uniqueName('map')}`;
  const m = BpfMap.create({ type: 'HASH', key: u32, value: u64, maxEntries: 8, name: 'lk_pin_map' });
  try {
    pin(m, p);
    const again = openPinnedMap(p, { key: u32, value: u64 });
    try {
      assert.equal(again.info().id, m.info().id);
      again.set(7, 70n);
      assert.equal(m.get(7), 70n, 'written through the pin, read through the original fd');
      m.set(8, 80n);
      assert.deepEqual([...again.entries()].sort(), [[7, 70n], [8, 80n]]);
    } finally {
      again.close();
    }
    const opened = openPinned(p);
    try {
      assert.equal(opened.kind, 'map');
      assert.equal(opened.fd, opened.kind === 'map' ? opened.map.fd : -1);
      if (opened.kind === 'map') {
        assert.equal(opened.map.name, 'lk_pin_map');
        assert.equal(opened.map.keySize, 4);
        assert.equal(opened.map.valueSize, 8);
      }
    } finally {
      opened.close();
    }
    // The wrong typed opener names what the path really holds.
    assert.throws(() => openPinnedProgram(p), (e: unknown) => e instanceof ArgumentError && e.message.includes(p) && /holds a map, not a program/.test(e.message));
    unpin(p);
    assert.equal(fs.existsSync(p), false);
    assert.equal(m.get(7), 70n, 'unpinning leaves the fd holder working');
  } finally {
    m.close();
    cleanup(p);
  }
});

test('a pinned program outlives its fd and is freed after unpin', async (t) => {
  if (skipUnless(t, needRoot())) return;
  ensureBpffs(BPFFS);
  const p = `${BPFFS}/${uniqueName('prog')}`;
  const prog = Program.load({ type: 'SOCKET_FILTER', name: 'lk_pin_prog', instructions: assemble('r0 = 42; exit') });
  const id = prog.info().id;
  try {
    pin(prog, p);
  } finally {
    prog.close();
  }
  try {
    assert.ok(listPrograms().some((x) => x.id === id), 'still loaded with only the pin holding it');
    const again = openPinnedProgram(p);
    try {
      assert.equal(again.info().id, id);
      assert.equal(again.name, 'lk_pin_prog');
      assert.equal(again.testRun({ data: new Uint8Array(64) }).retval, 42, 'the reopened program runs');
    } finally {
      again.close();
    }
    unpin(p);
    // Freeing after the last reference goes through RCU: poll briefly.
    for (let i = 0; i < 100 && listPrograms().some((x) => x.id === id); i++) await sleep(20);
    assert.ok(!listPrograms().some((x) => x.id === id), 'gone after unpin');
  } finally {
    cleanup(p);
  }
});

/**
 * A CGROUP_SKB ingress program counting packets into slot 0 of an array map;
 * returns 1 (allow).
 */
function counterProgram(counts: BpfMap<number, bigint>): Program {
  return Program.load({
    type: 'CGROUP_SKB',
    name: 'lk_pin_count',
    expectedAttachType: 'CGROUP_INET_INGRESS',
    instructions: assemble(`
      r1 = 0
      *(u32 *)(r10 - 4) = r1
      r2 = r10
      r2 += -4
      r1 = map_fd(${counts.fd}) ll
      call bpf_map_lookup_elem
      if r0 == 0 goto out
      r1 = 1
      lock *(u64 *)(r0 + 0) += r1
    out:
      r0 = 1
      exit`),
  });
}

/** A UDP socket on 127.0.0.1 created while this process sits in `cgroup` (sockets keep their cgroup). */
async function socketInCgroup(cgroup: string): Promise<dgram.Socket> {
  const home = cgroupOf('self');
  enterCgroup(cgroup);
  try {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1'); // the fd is created here, inside the cgroup
    await once(s, 'listening');
    return s;
  } finally {
    enterCgroup(home);
  }
}

/** Send `n` datagrams to `to` and wait until it has received them (or 1 s passed). */
async function deliver(to: dgram.Socket, n: number): Promise<number> {
  let got = 0;
  const onMessage = () => { got++; };
  to.on('message', onMessage);
  const from = dgram.createSocket('udp4');
  try {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((res, rej) => from.send(Buffer.from(`lk${i}`), to.address().port, '127.0.0.1', (e) => (e ? rej(e) : res())));
    }
    for (let i = 0; i < 50 && got < n; i++) await sleep(20);
    return got;
  } finally {
    to.off('message', onMessage);
    from.close();
  }
}

test('a pinned cgroup link keeps counting after its fds close; unpinning detaches it', async (t) => {
  if (skipUnless(t, needRoot())) return;
  ensureBpffs(BPFFS);
  const name = uniqueName('cg');
  const p = `${BPFFS}/${uniqueName('link')}`;
  const cg = createCgroup(name);
  const counts = BpfMap.create({ type: 'ARRAY', key: u32, value: u64, maxEntries: 1, name: 'lk_pin_counts' });
  let sock: dgram.Socket | undefined;
  try {
    sock = await socketInCgroup(cg);
    const prog = counterProgram(counts);
    const cgFd = openCgroup(cg);
    const progId = prog.info().id;
    let linkId: number;
    try {
      const link = Link.create(prog, cgFd, 'CGROUP_INET_INGRESS');
      try {
        linkId = link.info().id;
        pin(link, p);
      } finally {
        link.close();
      }
    } finally {
      prog.close();
      fs.closeSync(cgFd);
    }
    // Only the pin holds the link (and through it the program) now.
    const listed = listLinks().find((l) => l.id === linkId);
    assert.ok(listed, 'link still listed after its fd closed');
    assert.equal(listed.target.kind, 'cgroup');
    assert.equal(await deliver(sock, 3), 3);
    assert.equal(counts.get(0), 3n, 'the pinned link still runs the program');

    const opened = openPinned(p);
    try {
      assert.equal(opened.kind, 'link');
      if (opened.kind === 'link') assert.equal(opened.link.info().id, linkId);
    } finally {
      opened.close(); // does not detach: the pin still holds it
    }
    const typed = openPinnedLink(p);
    typed.close();
    assert.equal(await deliver(sock, 2), 2);
    assert.equal(counts.get(0), 5n, 'closing reopened fds did not detach');

    unpin(p);
    // The pin's inode drops the last reference from a workqueue; the link frees
    // its id, detaches, then puts the program. Once the program id is gone the
    // detach is complete: poll for that.
    for (let i = 0; i < 100 && listPrograms().some((x) => x.id === progId); i++) await sleep(20);
    assert.ok(!listLinks().some((l) => l.id === linkId), 'link gone after unpin');
    assert.ok(!listPrograms().some((x) => x.id === progId), 'its program freed');
    assert.equal(await deliver(sock, 3), 3, 'traffic still flows (the program allowed, now nothing runs)');
    assert.equal(counts.get(0), 5n, 'no more counting: detached');
  } finally {
    sock?.close();
    counts.close();
    cleanup(p);
    removeCgroup(cg);
  }
});

test('pin errors name the path and errno', (t) => {
  if (skipUnless(t, needRoot())) return;
  ensureBpffs(BPFFS);
  const missing = `${BPFFS}/${uniqueName('none')}`;
  assert.throws(() => openPinned(missing), (e: unknown) =>
    e instanceof SyscallError && e.code === 'ENOENT' && e.syscall === 'BPF_OBJ_GET' && e.message.includes(`'${missing}'`));
  assert.throws(() => unpin(missing), (e: unknown) =>
    e instanceof SyscallError && e.code === 'ENOENT' && e.syscall === 'unlink' && e.message.includes(`'${missing}'`));
  // Pinning outside bpffs: the kernel refuses with EPERM.
  const m = BpfMap.create({ type: 'ARRAY', keySize: 4, valueSize: 4, maxEntries: 1 });
  try {
    assert.throws(() => pin(m, '/tmp/lk_not_bpffs'), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'BPF_OBJ_PIN' && e.code === 'EPERM' && e.message.includes("'/tmp/lk_not_bpffs'"));
    // Pinning twice at one path: EEXIST.
    const p = `${BPFFS}/${uniqueName('dup')}`;
    try {
      pin(m, p);
      assert.throws(() => pin(m, p), (e: unknown) => e instanceof SyscallError && e.code === 'EEXIST' && e.message.includes(p));
    } finally {
      cleanup(p);
    }
  } finally {
    m.close();
  }
  // unpin refuses to delete files outside bpffs.
  assert.throws(() => unpin('/etc/hostname'), (e: unknown) => e instanceof ArgumentError && /not on a bpf filesystem/.test(e.message));
});
