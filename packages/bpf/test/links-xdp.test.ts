// XDP on a veth pair between two test namespaces, in generic and native
// (driver) mode, attached by bpf_link and by rtnetlink (IFLA_XDP). Each case
// sends real UDP across: XDP_PASS counting sees it, XDP_DROP stops it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArgumentError, NetlinkError, SyscallError, XdpAction, attachXdp, attachXdpNetlink, netlink, queryXdp, withNetlink,
  xdpLinkInfo, type XdpMode,
} from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { createVethPair, udpAcross } from './support/netns.js';
import { constantProgram, counterMap, countingProgram } from './support/progs.js';

checkFdLeaks();

const SENT = 3;
const PASS_WAIT_MS = 3000;
const DROP_WAIT_MS = 300;
const MODES: XdpMode[] = ['generic', 'driver'];

for (const mode of MODES) {
  test(`XDP ${mode} by link: PASS counts, DROP stops, query reports the program`, async (t) => {
    if (skipUnless(t, needRoot())) return;
    const pair = createVethPair();
    const counts = counterMap();
    const pass = countingProgram({ type: 'XDP', name: 'lk_xdp_pass' }, counts, XdpAction.PASS);
    const drop = countingProgram({ type: 'XDP', name: 'lk_xdp_drop' }, counts, XdpAction.DROP);
    const ns = { netns: pair.b.name };
    try {
      const link = attachXdp(pass, pair.ifB, { mode, ...ns });
      try {
        assert.equal(await udpAcross(pair, SENT, PASS_WAIT_MS), SENT, 'XDP_PASS delivers');
        assert.equal(counts.get(0), BigInt(SENT), 'exactly our datagrams (static ARP: nothing else on the wire)');
        assert.equal(link.info().typeName, 'XDP');
        assert.deepEqual(xdpLinkInfo(link), { ifindex: pair.ifindexB });
        const state = queryXdp(pair.ifB, ns);
        assert.equal(state.attached, mode);
        assert.equal(state.progId, pass.info().id);
        assert.equal(mode === 'generic' ? state.genericProgId : state.driverProgId, pass.info().id);
        // The slot is held by a link: netlink may not take it over.
        assert.throws(() => attachXdpNetlink(drop, pair.ifB, { mode, replace: true, ...ns }), (e: unknown) =>
          e instanceof NetlinkError && e.syscall === 'RTM_SETLINK' && e.code === 'EBUSY');
        // ...but the link itself can swap its program.
        link.update(drop);
        assert.equal(queryXdp(pair.ifindexB, ns).progId, drop.info().id);
        const before = counts.get(0)!;
        assert.equal(await udpAcross(pair, SENT, DROP_WAIT_MS), 0, 'XDP_DROP stops the traffic');
        assert.ok(counts.get(0)! > before, 'the program saw what it dropped');
      } finally {
        link.close();
      }
      assert.equal(queryXdp(pair.ifB, ns).attached, 'none');
      assert.equal(await udpAcross(pair, SENT, PASS_WAIT_MS), SENT, 'traffic flows after close');
    } finally {
      pass.close();
      drop.close();
      counts.close();
      pair.close();
    }
  });

  test(`XDP ${mode} by netlink: PASS counts, DROP stops, query reports the program`, async (t) => {
    if (skipUnless(t, needRoot())) return;
    const pair = createVethPair();
    const counts = counterMap();
    const pass = countingProgram({ type: 'XDP', name: 'lk_xdp_pass' }, counts, XdpAction.PASS);
    const drop = constantProgram({ type: 'XDP', name: 'lk_xdp_drop' }, XdpAction.DROP);
    const ns = { netns: pair.b.name };
    try {
      const a = attachXdpNetlink(pass, pair.ifB, { mode, ...ns });
      try {
        assert.equal(a.ifindex, pair.ifindexB);
        assert.equal(await udpAcross(pair, SENT, PASS_WAIT_MS), SENT);
        assert.equal(counts.get(0), BigInt(SENT), 'exactly our datagrams (static ARP: nothing else on the wire)');
        const state = queryXdp(pair.ifB, ns);
        assert.equal(state.attached, mode);
        assert.equal(state.progId, pass.info().id);
        // The RTM_GETLINK dump carries the same IFLA_XDP.
        const dumped = withNetlink(ns, (nl) => netlink.listInterfaces(nl)).find((i) => i.index === pair.ifindexB);
        assert.deepEqual(dumped?.xdp, state);
        // Without replace, an occupied slot is refused.
        assert.throws(() => attachXdpNetlink(drop, pair.ifB, { mode, ...ns }), (e: unknown) => {
          assert.ok(e instanceof NetlinkError);
          assert.equal(e.code, 'EBUSY');
          assert.match(e.message, /RTM_SETLINK failed: EBUSY \(attach XDP to ifindex \d+: XDP program already attached\)/);
          return true;
        });
      } finally {
        a.close();
      }
      assert.equal(queryXdp(pair.ifB, ns).attached, 'none');

      const d = attachXdpNetlink(drop, pair.ifindexB, { mode, ...ns });
      try {
        assert.equal(queryXdp(pair.ifB, ns).progId, drop.info().id);
        assert.equal(await udpAcross(pair, SENT, DROP_WAIT_MS), 0, 'XDP_DROP stops the traffic');
        drop.close(); // the attachment holds its own reference for the detach
      } finally {
        d.close();
      }
      assert.equal(queryXdp(pair.ifB, ns).attached, 'none');
      assert.equal(await udpAcross(pair, SENT, PASS_WAIT_MS), SENT, 'traffic flows after close');
    } finally {
      pass.close();
      drop.close();
      counts.close();
      pair.close();
    }
  });
}

test('XDP netlink close leaves a replacing program alone; default mode is driver on veth', (t) => {
  if (skipUnless(t, needRoot())) return;
  const pair = createVethPair();
  const p1 = constantProgram({ type: 'XDP' }, XdpAction.PASS);
  const p2 = constantProgram({ type: 'XDP' }, XdpAction.PASS);
  const ns = { netns: pair.b.name };
  try {
    const first = attachXdpNetlink(p1, pair.ifB, ns);
    const second = attachXdpNetlink(p2, pair.ifB, { ...ns, replace: true });
    try {
      const state = queryXdp(pair.ifB, ns);
      assert.equal(state.attached, 'driver');
      assert.equal(state.progId, p2.info().id);
      first.close(); // p1 is no longer attached: nothing to undo, p2 stays
      assert.equal(queryXdp(pair.ifB, ns).progId, p2.info().id);
    } finally {
      first.close();
      second.close();
    }
    assert.equal(queryXdp(pair.ifB, ns).attached, 'none');
  } finally {
    p1.close();
    p2.close();
    pair.close();
  }
});

test('XDP attach errors name what failed', (t) => {
  if (skipUnless(t, needRoot())) return;
  const pair = createVethPair();
  const sched = constantProgram({ type: 'SCHED_CLS' }, 0);
  const xdp = constantProgram({ type: 'XDP' }, XdpAction.PASS);
  try {
    assert.throws(() => attachXdp(xdp, pair.ifB, { mode: 'offload' as XdpMode }), ArgumentError);
    assert.throws(() => attachXdp(sched, pair.ifB, { netns: pair.b.name }), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'BPF_LINK_CREATE' && e.code === 'EINVAL' && /XDP on 'lk\d+v\d+b' in netns/.test(e.message));
    assert.throws(() => attachXdpNetlink(sched, pair.ifB, { netns: pair.b.name }), (e: unknown) =>
      e instanceof NetlinkError && e.syscall === 'RTM_SETLINK' && e.code === 'EINVAL');
    assert.throws(() => queryXdp('lknosuchif', { netns: pair.b.name }), (e: unknown) =>
      e instanceof NetlinkError && e.code === 'ENODEV');
    // The interface is in b, not in a.
    assert.throws(() => attachXdp(xdp, pair.ifB, { netns: pair.a.name }), (e: unknown) =>
      e instanceof SyscallError && e.syscall === 'if_nametoindex' && e.code === 'ENODEV');
  } finally {
    sched.close();
    xdp.close();
    pair.close();
  }
});
