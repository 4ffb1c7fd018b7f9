// Rules, routes and interface state over rtnetlink, each checked against what
// `ip -j` reports in a network namespace the test creates (and deletes).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ArgumentError, NetlinkError, NetlinkSocket, withNetlink } from '@lockne/bpf';
import {
  LOCKNE_PROTOCOL, addRoute, addRule, deleteAllRoutesWithProtocol, deleteAllRulesWithProtocol, deleteRoute, deleteRule,
  describeRule, ensureRule, flushTableWithProtocol, formatIp, getLink, linkStatus, listAddresses, listRoutes, listRules,
  parseIp, parsePrefix, replaceRoute, requireLink, type Rule,
} from '../src/net/index.js';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';
import { sh } from './support/sockets.js';

checkFdLeaks();

const tag = `lk${process.pid % 100000}`;
const NS = `${tag}rt`;
const VA = `${tag}a`; // veth end inside NS
const VB = `${tag}b`; // its peer, also inside NS

const inNs = (argv: string[], allowFail = false) => sh(['nsenter', `--net=/run/netns/${NS}`, ...argv], allowFail);
const ipJson = <T>(args: string[]): T => JSON.parse(inNs(['ip', '-j', ...args]).stdout || '[]') as T;

let ready = false;
before(() => {
  if (needRoot()) return;
  sh(['ip', 'netns', 'add', NS]);
  inNs(['sh', '-c', [
    'ip link set lo up',
    `ip link add ${VA} type veth peer name ${VB}`,
    `ip link set ${VA} up`,
    `ip addr add 10.66.0.1/24 dev ${VA}`,
    `ip -6 addr add fd4c:66::1/64 dev ${VA} nodad`,
  ].join(' && ')]);
  ready = true;
});
after(() => {
  if (ready) sh(['ip', 'netns', 'del', NS], true);
});

const open = (): NetlinkSocket => NetlinkSocket.open({ netns: NS });

test('address text: parse and format v4/v6 like ip', () => {
  assert.equal(formatIp(parseIp('fd4c:0:0:0:0:0:0:1').bytes), 'fd4c::1');
  assert.equal(formatIp(parseIp('2001:db8:0:0:1:0:0:1').bytes), '2001:db8::1:0:0:1');
  assert.equal(formatIp(parseIp('::ffff:10.1.2.3').bytes), '::ffff:10.1.2.3');
  assert.equal(formatIp(parseIp('::').bytes), '::');
  assert.equal(formatIp(parseIp('1:2:3:4:5:6:7:8').bytes), '1:2:3:4:5:6:7:8');
  assert.equal(formatIp(parseIp('64:ff9b::192.0.2.1').bytes), '64:ff9b::c000:201');
  assert.deepEqual([...parsePrefix('10.0.0.0/8').bytes], [10, 0, 0, 0]);
  assert.equal(parsePrefix('default', 6).bytes.byteLength, 16);
  assert.throws(() => parseIp('10.0.0.256'), /'10\.0\.0\.256' is not an IPv4 or IPv6 address/);
  assert.throws(() => parseIp('1::2::3'), /not an IPv4 or IPv6/);
  assert.throws(() => parsePrefix('10.0.0.1/8'), /host bits set beyond \/8 \(did you mean 10\.0\.0\.0\/8\?\)/);
  assert.throws(() => parsePrefix('fd00::/64', 4), /is IPv6, expected IPv4/);
});

test('rules: add, list, ensure, delete round trip; `ip -j rule` agrees', (t) => {
  if (skipUnless(t, needRoot())) return;
  const nl = open();
  try {
    const mark = 0x4c01;
    addRule(nl, { family: 4, priority: 10000, fwmark: mark, fwmask: 0xffffffff, table: 0x4c01 });
    addRule(nl, { family: 4, priority: 10001, fwmark: mark, fwmask: 0xffffffff, action: 'unreachable' });
    addRule(nl, { family: 4, priority: 10002, src: '10.9.0.0/16', dst: '192.0.2.0/24', iif: 'lo', table: 7, not: true });
    addRule(nl, { family: 4, priority: 10003, oif: VA, fwmark: 5, fwmask: 0xff, action: 'prohibit' });
    addRule(nl, { family: 4, priority: 10004, uidRange: { start: 1000, end: 1999 }, ipProto: 17, dportRange: { start: 53, end: 53 }, action: 'blackhole' });
    addRule(nl, { family: 6, priority: 10000, fwmark: mark, fwmask: 0xffffffff, table: 0x4c01 });
    addRule(nl, { family: 6, priority: 10001, fwmark: mark, fwmask: 0xffffffff, action: 'unreachable' });
    addRule(nl, { family: 6, priority: 10002, src: 'fd4c:66::/64', table: 254, suppressPrefixLength: 0 });

    const v4 = listRules(nl, 4).filter((r) => r.protocol === LOCKNE_PROTOCOL);
    const v6 = listRules(nl, 6).filter((r) => r.protocol === LOCKNE_PROTOCOL);
    assert.equal(v4.length, 5);
    assert.equal(v6.length, 3);
    const byPref = (rs: Rule[], p: number): Rule => rs.find((r) => r.priority === p)!;
    assert.deepEqual(
      { ...byPref(v4, 10000) },
      { family: 4, priority: 10000, action: 'to_tbl', table: 0x4c01, protocol: 76, not: false, flags: 0, tos: 0, fwmark: mark, fwmask: 0xffffffff },
    );
    assert.equal(byPref(v4, 10001).action, 'unreachable');
    assert.equal(byPref(v4, 10001).table, 0);
    const r2 = byPref(v4, 10002);
    assert.deepEqual([r2.src, r2.dst, r2.iif, r2.not, r2.table], ['10.9.0.0/16', '192.0.2.0/24', 'lo', true, 7]);
    const r3 = byPref(v4, 10003);
    assert.deepEqual([r3.oif, r3.fwmark, r3.fwmask, r3.action], [VA, 5, 0xff, 'prohibit']);
    const r4 = byPref(v4, 10004);
    assert.deepEqual([r4.uidRange, r4.ipProto, r4.dportRange, r4.action], [{ start: 1000, end: 1999 }, 17, { start: 53, end: 53 }, 'blackhole']);
    assert.deepEqual([byPref(v6, 10002).src, byPref(v6, 10002).suppressPrefixLength, byPref(v6, 10002).table], ['fd4c:66::/64', 0, 254]);

    // iproute2's view of the same rules.
    type IpRule = { priority: number; src?: string; srclen?: number; dst?: string; fwmark?: string; fwmask?: string; table?: string; action?: string; protocol?: string; iif?: string; oif?: string; not?: null };
    const ip4 = ipJson<IpRule[]>(['-4', 'rule', 'show']);
    const ipr = (p: number): IpRule => ip4.find((r) => r.priority === p)!;
    assert.equal(ipr(10000).fwmark, '0x4c01');
    assert.equal(ipr(10000).table, String(0x4c01));
    assert.equal(ipr(10000).protocol, '76');
    assert.equal(ipr(10001).action, 'unreachable');
    assert.deepEqual([ipr(10002).src, ipr(10002).srclen, ipr(10002).dst, ipr(10002).iif, 'not' in ipr(10002)], ['10.9.0.0', 16, '192.0.2.0', 'lo', true]);
    assert.deepEqual([ipr(10003).oif, ipr(10003).fwmark, ipr(10003).fwmask, ipr(10003).action], [VA, '0x5', '0xff', 'prohibit']);
    const ip6 = ipJson<IpRule[]>(['-6', 'rule', 'show']);
    assert.equal(ip6.find((r) => r.priority === 10001)?.action, 'unreachable');
    assert.equal(ip6.filter((r) => r.protocol === '76').length, 3);

    // NLM_F_EXCL: an identical rule is EEXIST, named; ensureRule makes that a no-op.
    const dup = { family: 4 as const, priority: 10000, fwmark: mark, fwmask: 0xffffffff, table: 0x4c01 };
    assert.throws(() => addRule(nl, dup), (e: unknown) => {
      assert.ok(e instanceof NetlinkError);
      assert.equal(e.code, 'EEXIST');
      assert.match(e.message, /^RTM_NEWRULE failed: EEXIST \(add rule '10000: from all fwmark 0x4c01 lookup 19457 proto 76' in netns \/run\/netns\/lk\d+rt/);
      return true;
    });
    assert.equal(ensureRule(nl, dup), false);
    assert.equal(ensureRule(nl, { ...dup, priority: 10005 }), true);
    assert.equal(listRules(nl, 4).filter((r) => r.fwmark === mark && r.action === 'to_tbl').length, 2);

    // Delete by spec, then a second delete is ENOENT.
    deleteRule(nl, { ...dup, priority: 10005 });
    assert.throws(() => deleteRule(nl, { ...dup, priority: 10005 }), /RTM_DELRULE failed: ENOENT \(delete rule '10005:/);
    // A listed rule deletes exactly itself.
    deleteRule(nl, r3);
    assert.equal(ipJson<IpRule[]>(['-4', 'rule', 'show']).some((r) => r.priority === 10003), false);
    assert.equal(describeRule(r2), '10002: not from 10.9.0.0/16 to 192.0.2.0/24 iif lo lookup 7 proto 76');
  } finally {
    nl.close();
  }
});

test('rules: deleteAllRulesWithProtocol removes exactly ours', (t) => {
  if (skipUnless(t, needRoot())) return;
  inNs(['ip', 'rule', 'add', 'pref', '20000', 'fwmark', '0x99', 'lookup', '99', 'proto', '77']);
  inNs(['ip', 'rule', 'add', 'pref', '20001', 'fwmark', '0x99', 'lookup', '99']);
  inNs(['ip', '-6', 'rule', 'add', 'pref', '20000', 'fwmark', '0x99', 'lookup', '99', 'proto', 'static']);
  withNetlink({ netns: NS }, (nl) => {
    ensureRule(nl, { family: 4, priority: 20002, fwmark: 0x99, table: 99 });
    ensureRule(nl, { family: 6, priority: 20002, fwmark: 0x99, action: 'unreachable' });
    const before = listRules(nl);
    const ours = before.filter((r) => r.protocol === LOCKNE_PROTOCOL);
    assert.ok(ours.length >= 2);
    const deleted = deleteAllRulesWithProtocol(nl, LOCKNE_PROTOCOL);
    assert.deepEqual(deleted, ours);
    const afterList = listRules(nl);
    assert.equal(afterList.filter((r) => r.protocol === LOCKNE_PROTOCOL).length, 0);
    assert.deepEqual(afterList, before.filter((r) => r.protocol !== LOCKNE_PROTOCOL), 'every other rule is still there, unchanged');
    assert.deepEqual(deleteAllRulesWithProtocol(nl, LOCKNE_PROTOCOL), [], 'twice is fine');
    assert.throws(() => deleteAllRulesWithProtocol(nl, 0), /protocol 0 \(unspec\) would delete foreign rules/);
  });
  const ip = ipJson<{ priority: number; protocol?: string }[]>(['rule', 'show']);
  assert.deepEqual(ip.filter((r) => r.priority >= 20000 && r.priority < 30000).map((r) => [r.priority, r.protocol ?? '']), [[20000, '77'], [20001, '']]);
  assert.deepEqual(ipJson<{ priority: number; protocol?: string }[]>(['-6', 'rule', 'show']).filter((r) => r.priority >= 20000 && r.priority < 30000).map((r) => r.protocol), ['static']);
});

test('rules: bad input is refused naming the field', (t) => {
  if (skipUnless(t, needRoot())) return;
  withNetlink({ netns: NS }, (nl) => {
    assert.throws(() => addRule(nl, { family: 5 as 4, priority: 1, table: 1 }), /rule: family must be 4 or 6, got 5/);
    assert.throws(() => addRule(nl, { family: 4, priority: 1 }), /give an action or a table/);
    assert.throws(() => addRule(nl, { family: 4, priority: 1, table: 0 }), /rule table must be an integer in 1\.\.4294967295, got 0/);
    assert.throws(() => addRule(nl, { family: 4, priority: -1, table: 5 }), /rule priority must be an integer/);
    assert.throws(() => addRule(nl, { family: 4, priority: 1, table: 5, action: 'unreachable' }), /a table \(5\) only goes with action 'to_tbl'/);
    assert.throws(() => addRule(nl, { family: 4, priority: 1, action: 'jump' as 'nop' }), /unknown action 'jump'/);
    assert.throws(() => addRule(nl, { family: 4, priority: 1, table: 5, iif: 'a-very-long-interface-name' }), ArgumentError);
    assert.throws(() => addRule(nl, { family: 6, priority: 1, table: 5, src: '10.0.0.0/8' }), /prefix '10\.0\.0\.0\/8' is IPv4, expected IPv6/);
    assert.throws(() => addRule(nl, { family: 4, priority: 1, table: 5, fwmark: 2 ** 32 }), /rule fwmark must be an integer/);
    // The kernel's own refusal keeps its errno name and our description.
    assert.throws(() => addRule(nl, { family: 4, priority: 1, action: 'goto', goto: 0 }), (e: unknown) => e instanceof NetlinkError && e.code === 'EINVAL' && /RTM_NEWRULE failed: EINVAL \(add rule '1: from all goto 0/.test(e.message));
  });
  // A sock_diag socket can never be used for rtnetlink requests.
  const diag = NetlinkSocket.open({ netns: NS, protocol: 4 });
  try {
    assert.throws(() => listRules(diag), /list rules: needs a NETLINK_ROUTE socket, got netlink protocol 4/);
  } finally {
    diag.close();
  }
});

test('routes: default dev, unreachable, v6, metric; `ip -j route` agrees; replace and delete', (t) => {
  if (skipUnless(t, needRoot())) return;
  const T = 0x4c02;
  const nl = open();
  try {
    const ifindex = requireLink(nl, VA).index;
    addRoute(nl, { family: 4, table: T, dev: VA });
    addRoute(nl, { family: 4, table: T, dst: '10.5.0.0/16', type: 'unreachable', metric: 7 });
    addRoute(nl, { family: 4, table: T, dst: '10.6.0.0/16', type: 'prohibit' });
    addRoute(nl, { family: 4, table: T, dst: '10.7.0.0/16', gateway: '10.66.0.2', prefsrc: '10.66.0.1' });
    addRoute(nl, { family: 6, table: T, dev: VA });
    addRoute(nl, { family: 6, table: T, dst: 'fd4c:99::/48', type: 'unreachable', metric: 4000 });
    addRoute(nl, { family: 4, table: 300, dev: VA, dst: '10.8.0.0/16' }); // a table >= 256 travels in RTA_TABLE only

    const v4 = listRoutes(nl, { family: 4, table: T });
    assert.deepEqual(v4.map((r) => [r.dst, r.type, r.oif, r.protocol, r.metric ?? null, r.gateway ?? null]), [
      ['default', 'unicast', ifindex, 76, null, null],
      ['10.5.0.0/16', 'unreachable', 0, 76, 7, null],
      ['10.6.0.0/16', 'prohibit', 0, 76, null, null],
      ['10.7.0.0/16', 'unicast', ifindex, 76, null, '10.66.0.2'],
    ]);
    assert.equal(v4[0]!.scope, 253, 'a device route without gateway is link scope, as ip makes it');
    assert.equal(v4[3]!.prefsrc, '10.66.0.1');
    const v6 = listRoutes(nl, { family: 6, table: T });
    assert.deepEqual(v6.map((r) => [r.dst, r.type, r.protocol]).sort(), [['default', 'unicast', 76], ['fd4c:99::/48', 'unreachable', 76]]);
    assert.equal(v6.find((r) => r.type === 'unreachable')!.metric, 4000);
    assert.deepEqual(listRoutes(nl, { table: 300 }).map((r) => [r.dst, r.table]), [['10.8.0.0/16', 300]]);

    type IpRoute = { type?: string; dst: string; dev?: string; gateway?: string; protocol?: string; metric?: number };
    const ip4 = ipJson<IpRoute[]>(['-4', 'route', 'show', 'table', String(T)]);
    assert.deepEqual(ip4.map((r) => [r.type ?? 'unicast', r.dst, r.dev ?? null, r.protocol]), [
      ['unicast', 'default', VA, '76'], ['unreachable', '10.5.0.0/16', null, '76'], ['prohibit', '10.6.0.0/16', null, '76'], ['unicast', '10.7.0.0/16', VA, '76'],
    ]);
    const ip6 = ipJson<IpRoute[]>(['-6', 'route', 'show', 'table', String(T)]);
    assert.deepEqual(ip6.map((r) => [r.type ?? 'unicast', r.dst, r.protocol]).sort(), [['unicast', 'default', '76'], ['unreachable', 'fd4c:99::/48', '76']]);

    // EEXIST for the same default; replace is idempotent and can change the device.
    assert.throws(() => addRoute(nl, { family: 4, table: T, dev: VA }), (e: unknown) => e instanceof NetlinkError && e.code === 'EEXIST' && /RTM_NEWROUTE failed: EEXIST \(add route 'default dev lk\d+a table 19458 proto 76'/.test(e.message));
    replaceRoute(nl, { family: 4, table: T, dev: VA });
    replaceRoute(nl, { family: 4, table: T, dev: 'lo' });
    assert.equal(listRoutes(nl, { family: 4, table: T }).filter((r) => r.dst === 'default').map((r) => r.oif).join(), String(requireLink(nl, 'lo').index));
    replaceRoute(nl, { family: 4, table: T, dev: VA });

    // Delete by spec; missing afterwards (IPv4: ESRCH).
    deleteRoute(nl, { family: 4, table: T, dst: '10.6.0.0/16', type: 'prohibit' });
    assert.throws(() => deleteRoute(nl, { family: 4, table: T, dst: '10.6.0.0/16' }), /RTM_DELROUTE failed: ESRCH \(delete route '10\.6\.0\.0\/16 table 19458 proto 76'/);
    // Only our protocol is deleted by spec: a static route with the same prefix survives.
    inNs(['ip', 'route', 'add', '10.9.0.0/16', 'dev', VA, 'table', String(T), 'proto', 'static']);
    assert.throws(() => deleteRoute(nl, { family: 4, table: T, dst: '10.9.0.0/16' }), /ESRCH/);
    inNs(['ip', '-6', 'route', 'add', 'fd4c:98::/48', 'dev', VA, 'table', String(T), 'proto', 'static']);

    const flushed = flushTableWithProtocol(nl, T, LOCKNE_PROTOCOL);
    assert.equal(flushed.length, 5);
    const left = listRoutes(nl, { table: T });
    assert.deepEqual(left.map((r) => [r.family, r.dst, r.protocol]), [[4, '10.9.0.0/16', 4], [6, 'fd4c:98::/48', 4]], 'only the static routes stay');
    assert.deepEqual(deleteAllRoutesWithProtocol(nl, LOCKNE_PROTOCOL).map((r) => [r.table, r.dst]), [[300, '10.8.0.0/16']]);
    assert.equal(listRoutes(nl, { protocol: LOCKNE_PROTOCOL }).length, 0);
  } finally {
    nl.close();
  }
});

test('routes: bad input names the interface, the prefix or the type', (t) => {
  if (skipUnless(t, needRoot())) return;
  withNetlink({ netns: NS }, (nl) => {
    assert.throws(() => addRoute(nl, { family: 4, table: 9, dev: `${tag}zz` }), (e: unknown) =>
      e instanceof NetlinkError && e.code === 'ENODEV' && e.message.includes(`look up interface '${tag}zz' in netns /run/netns/${NS}`));
    assert.throws(() => addRoute(nl, { family: 4, table: 9 }), /a unicast route needs a dev or a gateway/);
    assert.throws(() => addRoute(nl, { family: 4, table: 9, type: 'unreachable', dev: VA }), /a unreachable route takes no dev or gateway/);
    assert.throws(() => addRoute(nl, { family: 4, table: 9, dst: '10.0.0.1/8', dev: VA }), /host bits set/);
    assert.throws(() => addRoute(nl, { family: 4, table: 9, gateway: 'fd4c::1' }), /route gateway fd4c::1 is IPv6, the route IPv4/);
    assert.throws(() => addRoute(nl, { family: 4, table: 0, dev: VA }), /route table must be an integer in 1\.\./);
    assert.throws(() => addRoute(nl, { family: 4, table: 9, type: 'warp' as 'unicast', dev: VA }), /unknown type 'warp'/);
    // The kernel's refusal: a gateway that is not on-link.
    assert.throws(() => addRoute(nl, { family: 4, table: 9, gateway: '192.0.2.1' }), (e: unknown) => e instanceof NetlinkError && e.code === 'ENETUNREACH' && /RTM_NEWROUTE/.test(e.message));
  });
});

test('links: state and addresses by name; missing interface is null or a named error', (t) => {
  if (skipUnless(t, needRoot())) return;
  withNetlink({ netns: NS }, (nl) => {
    const a = getLink(nl, VA)!;
    assert.equal(a.name, VA);
    assert.equal(a.kind, 'veth');
    assert.equal(a.up, true);
    // The peer is down, so the carrier is off: up, but not running.
    assert.equal(a.running, false);
    assert.equal(a.operstate, 'lowerlayerdown');
    assert.equal(linkStatus(nl, VA), 'down');
    inNs(['ip', 'link', 'set', VB, 'up']);
    assert.equal(linkStatus(nl, VA), 'up');
    assert.equal(getLink(nl, VA)!.operstate, 'up');
    inNs(['ip', 'link', 'set', VB, 'down']);
    assert.equal(linkStatus(nl, `${tag}q`), 'missing');
    assert.equal(getLink(nl, `${tag}q`), null);
    assert.throws(() => requireLink(nl, `${tag}q`), new RegExp(`RTM_GETLINK failed: ENODEV \\(interface '${tag}q' does not exist in netns /run/netns/${NS}\\)`));
    assert.throws(() => getLink(nl, 'bad/name'), /'bad\/name' is not a valid interface name/);

    const v4 = a.addresses.filter((x) => x.family === 4);
    assert.deepEqual(v4.map((x) => [x.address, x.prefixLength, x.scope, x.ifindex]), [['10.66.0.1', 24, 0, a.index]]);
    const v6 = a.addresses.filter((x) => x.family === 6).map((x) => `${x.address}/${x.prefixLength}`);
    assert.ok(v6.includes('fd4c:66::1/64'), v6.join());
    // Cross-check with ip: same addresses on every interface.
    type IpAddr = { ifindex: number; addr_info: { local: string; prefixlen: number }[] };
    const ip = ipJson<IpAddr[]>(['addr', 'show']).flatMap((i) => i.addr_info.map((x) => `${i.ifindex} ${x.local}/${x.prefixlen}`)).sort();
    const ours = listAddresses(nl).map((x) => `${x.ifindex} ${x.address}/${x.prefixLength}`).sort();
    assert.deepEqual(ours, ip);
    assert.deepEqual(listAddresses(nl, { family: 4, ifindex: requireLink(nl, 'lo').index }).map((x) => x.address), ['127.0.0.1']);
  });
});
