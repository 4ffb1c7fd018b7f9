// The rtnetlink client: wire format (pure, golden bytes) and real requests in
// a namespace the test creates, including refusals mapped to errno names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetlinkError, NetlinkSocket, netlink, withNetlink } from '../src/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { TestNetns, createVethPair } from './support/netns.js';

const {
  Attrs, NetlinkParseError, NlMsgType, NlmF, Rtm, Tca, TcaBpf, attr, clsactParent, decodeFilter, decodeMessages,
  encodeMessage, encodeTcMsg, filterInfo, parseError, tcHandle, addClsact, deleteFilter, getInterface, listInterfaces,
  listQdiscs, encodeIfInfoMsg, decodeXdpState, IflaXdp,
} = netlink;

checkFdLeaks();

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('encode: clsact RTM_NEWQDISC matches the bytes tc sends', () => {
  const msg = encodeMessage({
    type: Rtm.NEWQDISC,
    flags: NlmF.REQUEST | NlmF.ACK | NlmF.CREATE | NlmF.EXCL,
    seq: 7,
    header: encodeTcMsg({ ifindex: 3, parent: 0xfffffff1, handle: 0xffff0000 }),
    attrs: [attr.str(Tca.KIND, 'clsact')],
  });
  assert.equal(hex(msg), [
    '30000000', '2400', '0506', '07000000', '00000000', // nlmsghdr: len 48, type 36, flags 0x605, seq 7, pid 0
    '00000000', '03000000', '0000ffff', 'f1ffffff', '00000000', // tcmsg: family, ifindex 3, handle ffff:0, parent ffff:fff1, info
    '0b000100', '636c7361637400', '00', // TCA_KIND "clsact\0", padded to 12
  ].join(''));
});

test('encode/decode round trip with nested attributes and padding', () => {
  const msg = encodeMessage({
    type: Rtm.NEWTFILTER,
    flags: NlmF.REQUEST,
    seq: 0xfffffffe,
    pid: 42,
    header: encodeTcMsg({ ifindex: 5, parent: clsactParent('egress'), handle: 1, info: filterInfo(9, 0x0003) }),
    attrs: [
      attr.str(Tca.KIND, 'bpf'),
      attr.nested(Tca.OPTIONS, [attr.u32(TcaBpf.FD, 10), attr.str(TcaBpf.NAME, 'x'), attr.u32(TcaBpf.FLAGS, 1), attr.u64(99, 2n ** 63n + 1n)]),
      attr.u8(200, 0xab),
      attr.flag(201),
    ],
  });
  assert.equal(msg.byteLength % 4, 0);
  const [m, ...rest] = decodeMessages(msg);
  assert.equal(rest.length, 0);
  assert.deepEqual({ type: m!.type, flags: m!.flags, seq: m!.seq, pid: m!.pid }, { type: 44, flags: 1, seq: 0xfffffffe, pid: 42 });
  const f = decodeFilter(m!);
  assert.deepEqual(f, { ifindex: 5, parent: 0xfffffff3, priority: 9, protocol: 3, handle: 1, kind: 'bpf', chain: 0, name: 'x', directAction: true });
  const attrs = Attrs.parse(m!.payload.subarray(20));
  const opts = attrs.nested(Tca.OPTIONS)!;
  assert.equal(attrs.list.find((a) => a.type === Tca.OPTIONS)!.nested, true, 'NLA_F_NESTED is set');
  assert.equal(opts.u32(TcaBpf.FD), 10);
  assert.equal(opts.u64(99), 2n ** 63n + 1n);
  assert.equal(attrs.u8(200), 0xab);
  assert.equal(attrs.has(201), true);
  assert.equal(attrs.get(201)!.byteLength, 0);
  assert.equal(attrs.u32(12345), undefined);
});

test('decode: several messages in one datagram, and truncation errors', () => {
  const a = encodeMessage({ type: Rtm.NEWLINK, flags: NlmF.MULTI, seq: 1, header: encodeIfInfoMsg({ index: 1 }), attrs: [attr.str(3, 'lo')] });
  const b = encodeMessage({ type: NlMsgType.DONE, flags: NlmF.MULTI, seq: 1, header: new Uint8Array(4) });
  const both = new Uint8Array([...a, ...b]);
  assert.deepEqual(decodeMessages(both).map((m) => m.type), [Rtm.NEWLINK, NlMsgType.DONE]);
  assert.throws(() => decodeMessages(both.subarray(0, a.byteLength + 10)), NetlinkParseError);
  const bad = a.slice();
  new DataView(bad.buffer).setUint16(16 + 16, 200, true); // attribute longer than the message
  assert.throws(() => Attrs.parse(decodeMessages(bad)[0]!.payload.subarray(16)), /attribute at byte 0: length 200/);
  assert.throws(() => Attrs.parse(new Uint8Array([8, 0, 1, 0, 1, 0, 0, 0])).u64(1), /4 bytes, expected 8/);
});

test('decode: NLMSG_ERROR with extended ack', () => {
  // struct nlmsgerr (capped: only the request header) + NLMSGERR_ATTR_MSG + NLMSGERR_ATTR_OFFS.
  const req = encodeMessage({ type: Rtm.DELTFILTER, flags: NlmF.REQUEST | NlmF.ACK, seq: 99 }).subarray(0, 16);
  const err = new Uint8Array(4);
  new DataView(err.buffer).setInt32(0, -2, true);
  const tlvs = new Uint8Array(64);
  const end = netlink.encodeAttrs([attr.str(1, 'Filter with specified priority/protocol not found'), attr.u32(2, 36)], tlvs);
  const msg = encodeMessage({ type: NlMsgType.ERROR, flags: NlmF.CAPPED | NlmF.ACK_TLVS, seq: 99, header: new Uint8Array([...err, ...req, ...tlvs.subarray(0, end)]) });
  const info = parseError(decodeMessages(msg)[0]!);
  assert.deepEqual(info, { errno: 2, requestType: Rtm.DELTFILTER, requestSeq: 99, message: 'Filter with specified priority/protocol not found', offset: 36 });
  const e = new NetlinkError('RTM_DELTFILTER', info.errno, 'delete filter', info.message);
  assert.equal(e.code, 'ENOENT');
  assert.equal(e.message, 'RTM_DELTFILTER failed: ENOENT (delete filter: Filter with specified priority/protocol not found)');
});

test('handles, tcm_info and IFLA_XDP decoding', () => {
  assert.equal(clsactParent('ingress'), 0xfffffff2);
  assert.equal(clsactParent('egress'), 0xfffffff3);
  assert.equal(tcHandle(0xffff0000, 0), 0xffff0000);
  assert.equal(filterInfo(1, 0x0003), 0x00010300);
  assert.equal(filterInfo(0xffff, 0x0800), 0xffff0008);
  assert.deepEqual(decodeXdpState(undefined), { attached: 'none', progId: 0, driverProgId: 0, genericProgId: 0, hwProgId: 0 });
  const one = Attrs.parse(encodeAttrsBytes([attr.u32(IflaXdp.SKB_PROG_ID, 7), attr.u8(IflaXdp.ATTACHED, 2), attr.u32(IflaXdp.PROG_ID, 7)]));
  assert.deepEqual(decodeXdpState(one), { attached: 'generic', progId: 7, driverProgId: 0, genericProgId: 7, hwProgId: 0 });
  const multi = Attrs.parse(encodeAttrsBytes([attr.u32(IflaXdp.SKB_PROG_ID, 7), attr.u32(IflaXdp.DRV_PROG_ID, 8), attr.u8(IflaXdp.ATTACHED, 4)]));
  assert.deepEqual(decodeXdpState(multi), { attached: 'multi', progId: 0, driverProgId: 8, genericProgId: 7, hwProgId: 0 });
});

function encodeAttrsBytes(list: netlink.NlAttr[]): Uint8Array {
  const out = new Uint8Array(netlink.attrsSize(list));
  netlink.encodeAttrs(list, out);
  return out;
}

test('dump and get interfaces inside a test namespace', (t) => {
  if (skipUnless(t, needRoot())) return;
  const pair = createVethPair();
  try {
    const ifs = withNetlink({ netns: pair.b.name }, (nl) => listInterfaces(nl));
    assert.deepEqual(ifs.map((i) => i.name).sort(), ['lo', pair.ifB].sort(), 'only this namespace\'s interfaces');
    const lo = ifs.find((i) => i.name === 'lo')!;
    assert.equal(lo.index, 1);
    assert.equal(lo.flags & 1, 1, 'lo is up');
    assert.equal(lo.xdp.attached, 'none');
    const veth = ifs.find((i) => i.name === pair.ifB)!;
    assert.deepEqual([veth.index, veth.address, veth.operstate, veth.mtu], [pair.ifindexB, pair.macB, netlink.OperState.UP, 1500]);
    const nl = NetlinkSocket.open({ netns: pair.a.name });
    try {
      assert.equal(getInterface(nl, pair.ifA).index, pair.ifindexA);
      assert.equal(getInterface(nl, pair.ifindexA).name, pair.ifA);
      assert.throws(() => getInterface(nl, pair.ifB), (e: unknown) => {
        assert.ok(e instanceof NetlinkError);
        assert.equal(e.syscall, 'RTM_GETLINK');
        assert.equal(e.code, 'ENODEV');
        assert.match(e.message, new RegExp(`RTM_GETLINK failed: ENODEV \\(look up interface '${pair.ifB}'`));
        return true;
      });
    } finally {
      nl.close();
    }
  } finally {
    pair.close();
  }
});

test('refusals carry the errno name and the kernel\'s message', (t) => {
  if (skipUnless(t, needRoot())) return;
  const ns = TestNetns.create();
  try {
    withNetlink({ netns: ns.name }, (nl) => {
      // Deleting a filter on a device without clsact, then on clsact without that filter.
      const spec = { ifindex: 1, parent: clsactParent('ingress'), priority: 7, protocol: 3, handle: 1, kind: 'bpf' };
      assert.throws(() => deleteFilter(nl, spec), (e: unknown) =>
        e instanceof NetlinkError && e.code === 'EINVAL' && /Parent Qdisc/.test(e.extack ?? ''));
      addClsact(nl, 1);
      assert.deepEqual(listQdiscs(nl, 1).filter((q) => q.kind === 'clsact').length, 1);
      assert.throws(() => addClsact(nl, 1), (e: unknown) => e instanceof NetlinkError && e.code === 'EEXIST'
        && e.syscall === 'RTM_NEWQDISC' && /add clsact qdisc on ifindex 1/.test(e.message));
      assert.throws(
        () => deleteFilter(nl, spec),
        (e: unknown) => {
          assert.ok(e instanceof NetlinkError);
          assert.equal(e.syscall, 'RTM_DELTFILTER');
          assert.equal(e.code, 'ENOENT');
          assert.equal(e.errno, 2);
          assert.ok(e.extack && e.extack.length > 0, 'the kernel explains ENOENT');
          assert.match(e.message, /RTM_DELTFILTER failed: ENOENT \(delete bpf filter prio 7 handle 0x1 on ifindex 1 parent ffff:fff2: .+\)/);
          return true;
        },
      );
      // The socket stays usable after an error.
      assert.equal(getInterface(nl, 'lo').index, 1);
    });
  } finally {
    ns.delete();
  }
});
