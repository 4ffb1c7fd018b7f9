// TC hooks on a veth pair between two test namespaces: tcx links (ingress and
// egress, ordering, revisions, legacy replace) and clsact + cls_bpf filters
// managed over rtnetlink. Every test sends real UDP across the pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArgumentError, NetlinkError, SyscallError, TcAction, TcxAction, attachTcFilter, attachTcx, attachTcxLegacy,
  ensureClsact, listTcFilters, queryTcx, removeClsact, tcxLinkInfo, netlink, withNetlink, type BpfMap, type Program,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { createVethPair, udpAcross, type VethPair } from './support/netns.js';
import { constantProgram, counterMap, countingProgram } from './support/progs.js';

checkFdLeaks();

const SENT = 3;
/** Long enough for packets that do get through; they usually arrive within milliseconds. */
const PASS_WAIT_MS = 3000;
/** How long to wait for packets that must not arrive. */
const DROP_WAIT_MS = 300;

/** Run `fn` with a veth pair, a counter map and a SCHED_CLS counting program returning `ret`. */
async function withSetup(ret: number, fn: (pair: VethPair, counts: BpfMap<number, bigint>, prog: Program) => Promise<void>): Promise<void> {
  const pair = createVethPair();
  try {
    const counts = counterMap();
    try {
      const prog = countingProgram({ type: 'SCHED_CLS', name: 'lk_tc_count' }, counts, ret);
      try {
        await fn(pair, counts, prog);
      } finally {
        prog.close();
      }
    } finally {
      counts.close();
    }
  } finally {
    pair.close();
  }
}

test('tcx ingress: counts the packets that arrive; link info names TCX and the ifindex', async (t) => {
  if (skipUnless(t, needRoot())) return;
  await withSetup(TcxAction.NEXT, async (pair, counts, prog) => {
    const link = attachTcx(prog, pair.ifB, 'ingress', { netns: pair.b.name });
    try {
      assert.equal(await udpAcross(pair, SENT, PASS_WAIT_MS), SENT, 'all datagrams arrive');
      assert.equal(counts.get(0), BigInt(SENT), 'exactly our datagrams (static ARP: nothing else on the wire)');
      const info = link.info();
      assert.equal(info.typeName, 'TCX');
      assert.equal(info.progId, prog.info().id);
      assert.deepEqual(tcxLinkInfo(link), { ifindex: pair.ifindexB, direction: 'ingress' });
      const q = queryTcx(pair.ifB, 'ingress', { netns: pair.b.name });
      assert.deepEqual(q.progIds, [prog.info().id]);
      assert.deepEqual(q.linkIds, [info.id]);
      assert.ok(q.revision > 0n);
    } finally {
      link.close();
    }
    assert.deepEqual(queryTcx(pair.ifindexB, 'ingress', { netns: pair.b.name }).progIds, []);
    const before = counts.get(0)!;
    assert.equal(await udpAcross(pair, SENT, PASS_WAIT_MS), SENT);
    assert.equal(counts.get(0), before, 'nothing counted after the link closed');
  });
});

test('tcx egress: TCX_DROP stops the traffic; closing the link lets it through', async (t) => {
  if (skipUnless(t, needRoot())) return;
  await withSetup(TcxAction.DROP, async (pair, counts, prog) => {
    assert.equal(await udpAcross(pair, SENT, PASS_WAIT_MS), SENT, 'baseline: traffic flows');
    const link = attachTcx(prog, pair.ifA, 'egress', { netns: pair.a.name });
    try {
      assert.deepEqual(tcxLinkInfo(link), { ifindex: pair.ifindexA, direction: 'egress' });
      assert.equal(await udpAcross(pair, SENT, DROP_WAIT_MS), 0, 'nothing arrives');
      assert.ok(counts.get(0)! > 0n, 'the program saw the packets it dropped');
    } finally {
      link.close();
    }
    assert.equal(await udpAcross(pair, SENT, PASS_WAIT_MS), SENT);
  });
});

test('tcx ordering: before/after anchors, expected revision, legacy replace', (t) => {
  if (skipUnless(t, needRoot())) return;
  const pair = createVethPair();
  const progs = [0, 1, 2, 3, 4].map((i) => constantProgram({ type: 'SCHED_CLS', name: `lk_tcx${i}` }, TcxAction.NEXT));
  const ids = progs.map((p) => p.info().id);
  const ns = { netns: pair.b.name };
  const opened: { close(): void }[] = [];
  try {
    const l0 = attachTcx(progs[0]!, pair.ifB, 'ingress', ns);
    opened.push(l0);
    opened.push(attachTcx(progs[1]!, pair.ifB, 'ingress', { ...ns, before: progs[0]! }));
    opened.push(attachTcx(progs[2]!, pair.ifB, 'ingress', { ...ns, after: true }));
    opened.push(attachTcx(progs[3]!, pair.ifB, 'ingress', { ...ns, after: l0 }));
    let q = queryTcx(pair.ifB, 'ingress', ns);
    assert.deepEqual(q.progIds, [ids[1], ids[0], ids[3], ids[2]]);
    assert.equal(q.linkIds.filter((id) => id > 0).length, 4);
    // A stale revision is refused: someone changed the hook since we looked.
    assert.throws(() => attachTcx(progs[4]!, pair.ifB, 'ingress', { ...ns, expectedRevision: q.revision - 1n }), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'BPF_LINK_CREATE' && e.code === 'ESTALE' && /tcx ingress of 'lk\d+v\d+b' in netns/.test(e.message));
    // Legacy (no link) attach, then an atomic replace of that program.
    const legacy = attachTcxLegacy(progs[4]!, pair.ifB, 'ingress', { ...ns, before: { progId: ids[0]! }, expectedRevision: q.revision });
    opened.push(legacy);
    q = queryTcx(pair.ifB, 'ingress', ns);
    assert.deepEqual(q.progIds, [ids[1], ids[4], ids[0], ids[3], ids[2]]);
    assert.equal(q.linkIds[1], 0, 'attached without a link');
    const replacement = constantProgram({ type: 'SCHED_CLS', name: 'lk_tcx_r' }, TcxAction.NEXT);
    try {
      const swapped = attachTcxLegacy(replacement, pair.ifB, 'ingress', { ...ns, replace: progs[4]! });
      opened.push(swapped);
      assert.deepEqual(queryTcx(pair.ifB, 'ingress', ns).progIds[1], replacement.info().id);
      legacy.close(); // its program was replaced: nothing to undo, no error
      swapped.close();
    } finally {
      replacement.close();
    }
    assert.deepEqual(queryTcx(pair.ifB, 'ingress', ns).progIds, [ids[1], ids[0], ids[3], ids[2]]);
    assert.throws(() => attachTcx(progs[0]!, pair.ifB, 'ingress', { ...ns, before: true, after: true }), ArgumentError);
  } finally {
    for (const o of opened) o.close();
    for (const p of progs) p.close();
    pair.close();
  }
});

test('clsact + cls_bpf ingress: counts, shows in the filter dump, disappears on close', async (t) => {
  if (skipUnless(t, needRoot())) return;
  await withSetup(TcAction.OK, async (pair, counts, prog) => {
    const ns = { netns: pair.b.name };
    const filter = attachTcFilter(prog, pair.ifB, 'ingress', { ...ns, name: 'lk_count', removeQdisc: true });
    try {
      assert.equal(filter.createdQdisc, true);
      assert.equal(filter.ifindex, pair.ifindexB);
      assert.ok(filter.priority > 0 && filter.handle > 0, 'kernel-chosen priority and handle are known');
      assert.equal(await udpAcross(pair, SENT, PASS_WAIT_MS), SENT);
      assert.equal(counts.get(0), BigInt(SENT), 'exactly our datagrams (static ARP: nothing else on the wire)');
      const listed = listTcFilters(pair.ifB, 'ingress', ns);
      assert.equal(listed.length, 1);
      assert.deepEqual(
        { ...listed[0], tag: undefined },
        { ifindex: pair.ifindexB, parent: 0xfffffff2, priority: filter.priority, protocol: 0x0003, handle: filter.handle, kind: 'bpf', chain: 0, name: 'lk_count', progId: prog.info().id, directAction: true, tag: undefined },
      );
      assert.equal(listed[0]!.tag, prog.info().tag);
      assert.deepEqual(listTcFilters(pair.ifB, 'egress', ns), []);
    } finally {
      filter.close();
    }
    assert.equal(listTcFilters(pair.ifB, 'ingress', ns).length, 0, 'the filter is gone');
    // removeQdisc: the clsact this attachment created went with it.
    const qdiscs = withNetlink(ns, (nl) => netlink.listQdiscs(nl, pair.ifindexB));
    assert.equal(qdiscs.some((q) => q.kind === 'clsact'), false);
    filter.close(); // idempotent
  });
});

test('clsact + cls_bpf egress: TC_ACT_SHOT drops; explicit priority/handle; the qdisc stays', async (t) => {
  if (skipUnless(t, needRoot())) return;
  await withSetup(TcAction.SHOT, async (pair, counts, prog) => {
    const ns = { netns: pair.a.name };
    assert.deepEqual(ensureClsact(pair.ifA, ns), { ifindex: pair.ifindexA, created: true });
    assert.deepEqual(ensureClsact(pair.ifindexA, ns), { ifindex: pair.ifindexA, created: false });
    try {
      const filter = attachTcFilter(prog, pair.ifA, 'egress', { ...ns, priority: 7, handle: 0x42 });
      try {
        assert.equal(filter.createdQdisc, false);
        assert.deepEqual([filter.priority, filter.handle], [7, 0x42]);
        assert.equal(await udpAcross(pair, SENT, DROP_WAIT_MS), 0, 'nothing arrives');
        assert.ok(counts.get(0)! > 0n);
        // The same priority and handle again: refused, not silently replaced.
        assert.throws(() => attachTcFilter(prog, pair.ifA, 'egress', { ...ns, priority: 7, handle: 0x42 }), (e: unknown) =>
          e instanceof NetlinkError && e.syscall === 'RTM_NEWTFILTER' && e.code === 'EEXIST');
      } finally {
        filter.close();
      }
      assert.deepEqual(listTcFilters(pair.ifA, 'egress', ns), []);
      const qdiscs = withNetlink(ns, (nl) => netlink.listQdiscs(nl, pair.ifindexA));
      assert.equal(qdiscs.filter((q) => q.kind === 'clsact').length, 1, 'a clsact we did not create is left alone');
      assert.equal(await udpAcross(pair, SENT, PASS_WAIT_MS), SENT, 'traffic flows again');
    } finally {
      removeClsact(pair.ifA, ns);
    }
  });
});

test('tcx runs before cls_bpf: TCX_NEXT lets the filter run, TCX_PASS skips it', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const pair = createVethPair();
  const tcxCounts = counterMap('lk_tcx_n');
  const clsCounts = counterMap('lk_cls_n');
  const ns = { netns: pair.b.name };
  const next = countingProgram({ type: 'SCHED_CLS' }, tcxCounts, TcxAction.NEXT);
  const pass = countingProgram({ type: 'SCHED_CLS' }, tcxCounts, TcxAction.PASS);
  const cls = countingProgram({ type: 'SCHED_CLS' }, clsCounts, TcAction.OK);
  try {
    const filter = attachTcFilter(cls, pair.ifB, 'ingress', { ...ns, removeQdisc: true });
    try {
      const link = attachTcx(next, pair.ifB, 'ingress', ns);
      try {
        assert.equal(await udpAcross(pair, SENT, PASS_WAIT_MS), SENT);
        assert.ok(tcxCounts.get(0)! >= BigInt(SENT));
        assert.ok(clsCounts.get(0)! >= BigInt(SENT), 'TCX_NEXT: cls_bpf ran too');
        link.update(pass);
        const cls0 = clsCounts.get(0)!;
        const tcx0 = tcxCounts.get(0)!;
        assert.equal(await udpAcross(pair, SENT, PASS_WAIT_MS), SENT);
        assert.ok(tcxCounts.get(0)! >= tcx0 + BigInt(SENT));
        assert.equal(clsCounts.get(0), cls0, 'TCX_PASS: cls_bpf did not run');
      } finally {
        link.close();
      }
    } finally {
      filter.close();
    }
  } finally {
    for (const o of [next, pass, cls, tcxCounts, clsCounts]) o.close();
    pair.close();
  }
});

test('tc attach errors name what failed', (t) => {
  if (skipUnless(t, needRoot())) return;
  const pair = createVethPair();
  const sched = constantProgram({ type: 'SCHED_CLS' }, 0);
  const xdp = constantProgram({ type: 'XDP' }, 2);
  try {
    assert.throws(() => attachTcx(sched, 'lknosuchif', 'ingress', { netns: pair.b.name }), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'if_nametoindex' && e.code === 'ENODEV' && e.message.includes(pair.b.name));
    assert.throws(() => attachTcx(xdp, pair.ifB, 'ingress', { netns: pair.b.name }), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'BPF_LINK_CREATE' && e.code === 'EINVAL');
    assert.throws(() => attachTcx(sched, pair.ifB, 'sideways' as 'ingress'), ArgumentError);
    assert.throws(() => attachTcFilter(sched, pair.ifB, 'ingress', { netns: pair.b.name, priority: 70000 }), ArgumentError);
    assert.throws(() => attachTcFilter(sched, 'lknosuchif', 'ingress', { netns: pair.b.name }), (e: unknown) =>
      e instanceof NetlinkError && e.syscall === 'RTM_GETLINK' && e.code === 'ENODEV');
    // An XDP program as a cls_bpf filter: the kernel refuses, and the clsact we added is removed again.
    assert.throws(() => attachTcFilter(xdp, pair.ifB, 'ingress', { netns: pair.b.name }), (e: unknown) =>
      e instanceof NetlinkError && e.syscall === 'RTM_NEWTFILTER' && e.code === 'EINVAL');
    const qdiscs = withNetlink({ netns: pair.b.name }, (nl) => netlink.listQdiscs(nl, pair.ifindexB));
    assert.equal(qdiscs.some((q) => q.kind === 'clsact'), false);
  } finally {
    sched.close();
    xdp.close();
    pair.close();
  }
});

test('attachments close cleanly once their qdisc, interface or namespace is gone', (t) => {
  if (skipUnless(t, needRoot())) return;
  const pair = createVethPair();
  const prog = constantProgram({ type: 'SCHED_CLS' }, TcAction.OK);
  try {
    const ns = { netns: pair.b.name };
    const f1 = attachTcFilter(prog, pair.ifB, 'ingress', ns);
    removeClsact(pair.ifB, ns);
    f1.close(); // the qdisc took the filter with it: nothing to undo
    assert.equal(f1.closed, true);
    const f2 = attachTcFilter(prog, pair.ifB, 'ingress', ns);
    const legacy = attachTcxLegacy(prog, pair.ifB, 'ingress', ns);
    pair.b.delete(); // namespace, veth and hooks all go
    f2.close();
    legacy.close();
    assert.equal(legacy.closed, true);
  } finally {
    prog.close();
    pair.close();
  }
});
