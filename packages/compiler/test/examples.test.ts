// The seed demos in examples/ run for their effect, in the real kernel: each
// demo's main.mjs compiles its *.bpf.ts at startup, loads and attaches it; the
// test drives it the way the README does and checks what the demo reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';
import { createCgroup, removeCgroup } from '@lockne/bpf';
import { checkFdLeaks, needRoot, skipUnless } from './support/kernel.js';

checkFdLeaks();

/** examples/<rel>, from packages/compiler/dist/test/. */
function example(rel: string): URL {
  return new URL(`../../../../examples/${rel}`, import.meta.url);
}

async function load<T>(rel: string): Promise<T> {
  return (await import(example(rel).href)) as T;
}

interface Closer { close(): void }

/** Resolves when `pred` holds, polled on the event loop (the demos deliver through libuv fd watchers). */
async function until(what: string, pred: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function run(argv: string[]): Promise<{ pid: number; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (status) => resolve({ pid: child.pid!, status }));
  });
}

// ---- 1. exec tracer ---------------------------------------------------------

interface ExecTracerModule {
  startExecTracer(onExec: (e: { pid: number; ppid: number; comm: string }) => void): Closer;
}

test('exec tracer: a spawned /bin/true shows up as "exec pid=<its pid> ppid=<ours> comm=true"', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const { startExecTracer } = await load<ExecTracerModule>('exec-tracer/main.mjs');
  const seen: Array<{ pid: number; ppid: number; comm: string }> = [];
  const tracer = startExecTracer((e) => seen.push(e));
  try {
    const child = await run(['/bin/true']);
    assert.equal(child.status, 0);
    await until(`exec event for pid ${child.pid}`, () => seen.some((e) => e.pid === child.pid));
    // ppid comes from current->real_parent->tgid, read with CO-RE.
    assert.deepEqual(seen.find((e) => e.pid === child.pid), { pid: child.pid, ppid: process.pid, comm: 'true' });
  } finally {
    tracer.close();
  }
});

// ---- network namespaces for the packet demos ---------------------------------

/** Synchronous command; throws with its stderr on failure. */
function sh(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

/** Two namespaces lk<pid>e<k>a/b joined by a veth (lk<pid>e<k>a/b too), 10.201.<k>.1 <-> .2. */
interface Pair { nsA: string; nsB: string; ifA: string; ifB: string; addrA: string; addrB: string; close(): void }
let pairs = 0;
function vethPair(): Pair {
  const k = pairs++;
  const base = `lk${process.pid}e${k}`;
  const p: Pair = {
    nsA: `${base}a`, nsB: `${base}b`, ifA: `${base}a`, ifB: `${base}b`, addrA: `10.201.${k}.1`, addrB: `10.201.${k}.2`,
    close() {
      for (const ns of [p.nsA, p.nsB]) spawnSync('ip', ['netns', 'del', ns]);
    },
  };
  try {
    sh(['ip', 'netns', 'add', p.nsA]);
    sh(['ip', 'netns', 'add', p.nsB]);
    sh(['ip', 'link', 'add', p.ifA, 'netns', p.nsA, 'type', 'veth', 'peer', 'name', p.ifB, 'netns', p.nsB]);
    for (const [ns, ifn, addr] of [[p.nsA, p.ifA, p.addrA], [p.nsB, p.ifB, p.addrB]] as const) {
      sh(['nsenter', `--net=/run/netns/${ns}`, 'sh', '-c',
        `ip link set lo up && ip addr add ${addr}/24 dev ${ifn} && ip link set ${ifn} up`]);
    }
  } catch (e) {
    p.close();
    throw e;
  }
  return p;
}

function inNs(ns: string, argv: string[]): Promise<{ pid: number; status: number | null }> {
  return run(['nsenter', `--net=/run/netns/${ns}`, ...argv]);
}

// ---- 2. ping monitor --------------------------------------------------------

interface PingMonitorModule {
  startPingMonitor(ifname: string, netns: string | undefined, onPing: (p: { from: string; id: number; seq: number }) => void): Closer;
}

test('ping monitor: three echo requests from the peer namespace arrive as "ping from 10.201.k.1 seq 1..3"', async (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, spawnSync('ping', ['-V']).status === 0 ? null : 'ping (iputils-ping) not installed')) return;
  const { startPingMonitor } = await load<PingMonitorModule>('ping-monitor/main.mjs');
  const pair = vethPair();
  try {
    const seen: Array<{ from: string; id: number; seq: number }> = [];
    const mon = startPingMonitor(pair.ifB, pair.nsB, (p) => seen.push(p));
    try {
      const r = await inNs(pair.nsA, ['ping', '-c', '3', '-i', '0.1', '-W', '1', pair.addrB]);
      assert.equal(r.status, 0, 'the monitor only watches: every echo was answered');
      await until('three ping events', () => seen.length >= 3);
      assert.deepEqual(seen.map((p) => [p.from, p.seq]), [[pair.addrA, 1], [pair.addrA, 2], [pair.addrA, 3]]);
      assert.equal(new Set(seen.map((p) => p.id)).size, 1, 'one ping run, one echo id');
    } finally {
      mon.close();
    }
  } finally {
    pair.close();
  }
});

// ---- 3. tail-call parser chain ------------------------------------------------

interface BpfObjectLike extends Closer {
  program(name: string): { testRun(o: { data: Uint8Array }): { retval: number } };
  map(name: string): { delete(key: number): unknown };
}
interface ParserChainModule {
  loadParserChain(): BpfObjectLike;
  readStats(obj: BpfObjectLike): Record<string, bigint> & { udpPorts: Record<string, bigint> };
}

/** Ethernet + IPv4 (20 bytes) + an L4 header to `dport` + 8 bytes payload. */
function frame(proto: number, dport = 0, etherType = 0x0800): Uint8Array {
  const l4 = proto === 6 ? 20 : 8;
  const buf = new Uint8Array(14 + 20 + l4 + 8);
  const v = new DataView(buf.buffer);
  buf.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2]);
  v.setUint16(12, etherType);
  v.setUint8(14, 0x45);
  v.setUint16(16, 20 + l4 + 8);
  v.setUint8(22, 64);
  v.setUint8(23, proto);
  v.setUint32(26, 0x0a000001);
  v.setUint32(30, 0x0a000002);
  v.setUint16(34, 40000);
  v.setUint16(36, dport);
  if (proto === 6) v.setUint8(46, 5 << 4);
  return buf;
}

test('parser chain: dispatch tail-calls the UDP/TCP parsers by IP protocol; verdicts and counters per protocol', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const { loadParserChain, readStats } = await load<ParserChainModule>('parser-chain/main.mjs');
  const obj = loadParserChain();
  try {
    const run = (f: Uint8Array): number => obj.program('dispatch').testRun({ data: f }).retval;
    const DROP = 1;
    const PASS = 2;
    assert.equal(run(frame(17, 53)), PASS);
    assert.equal(run(frame(17, 53)), PASS);
    assert.equal(run(frame(17, 443)), PASS);
    assert.equal(run(frame(6, 80)), PASS);
    assert.equal(run(frame(6, 23)), DROP, 'the TCP parser drops telnet: its verdict is the chain\'s');
    assert.equal(run(frame(1)), PASS, 'ICMP: slot 1 empty, dispatch falls through');
    assert.equal(run(frame(17, 53, 0x86dd)), PASS, 'not IPv4: never dispatched');
    let s = readStats(obj);
    assert.deepEqual([s.seen, s.udp, s.tcp, s.noParser, s.tcpDropped], [7n, 3n, 2n, 1n, 1n]);
    assert.deepEqual(s.udpPorts, { 53: 2n, 443: 1n });
    obj.map('parsers').delete(17);
    assert.equal(run(frame(17, 53)), PASS);
    s = readStats(obj);
    assert.deepEqual([s.udp, s.noParser], [3n, 2n], 'UDP slot emptied: the packet is counted as unparsed');
    assert.equal(s.udpPorts['53'], 2n);
  } finally {
    obj.close();
  }
});

// ---- 4. container guard ----------------------------------------------------------

interface GuardModule { detachGuard(dir: string): void }

test('container guard CLI: in the guarded cgroup denied connects, binds, raw sockets, net sysctl writes, mknod and denied devices get EPERM, the rest works; rules change live', async (t) => {
  if (skipUnless(t, needRoot())) return;
  const { detachGuard } = await load<GuardModule>('container-guard/main.mjs');
  const main = fileURLToPath(example('container-guard/main.mjs'));
  const probe = fileURLToPath(example('container-guard/probe.mjs'));
  const dir = `/sys/fs/bpf/lk${process.pid}guard`;
  const cg = createCgroup(`lk${process.pid}guard`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lkguard'));
  const cli = (...args: string[]): string => sh([process.execPath, main, ...args, '--pin', dir]);
  /** Run probe.mjs as a member of the guarded cgroup (or outside it); one result per operation. */
  const results = (out: string): string[] => out.trim().split('\n').map((l) => (JSON.parse(l) as { result: string }).result);
  const inGuarded = (...ops: string[]): string[] => results(sh(['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cg, process.execPath, probe, ...ops]));
  const outside = (...ops: string[]): string[] => results(sh([process.execPath, probe, ...ops]));
  try {
    assert.match(cli('attach', cg), /^guarding /);
    cli('deny', 'port', '1');
    cli('deny', 'addr', '127.0.0.2');
    assert.deepEqual(inGuarded('connect', '127.0.0.1', '1', 'connect', '127.0.0.1', '2', 'connect', '127.0.0.2', '2', 'raw'),
      ['EPERM', 'ECONNREFUSED', 'EPERM', 'EPERM'], 'port 1 and 127.0.0.2 denied; 127.0.0.1:2 reached the (closed) port; raw socket refused');
    assert.deepEqual(sh([process.execPath, probe, 'connect', '127.0.0.1', '1']).trim(), '{"op":"connect","to":"127.0.0.1:1","result":"ECONNREFUSED"}',
      'outside the cgroup nothing is denied');
    // bind4/bind6 to a denied port.
    assert.deepEqual(inGuarded('bind', '127.0.0.1', '1', 'bind', '::1', '1', 'bind', '127.0.0.1', '2'), ['EPERM', 'EPERM', 'ok'], 'binding port 1 refused (v4 and v6), port 2 fine');
    assert.deepEqual(outside('bind', '127.0.0.1', '1', 'bind', '::1', '1'), ['ok', 'ok'], 'outside the cgroup port 1 binds');
    // sysctl: writes under /proc/sys/net/ refused, reads and other writes pass (each write puts the current value back).
    assert.deepEqual(inGuarded('sysctl-read', '/proc/sys/net/ipv4/ip_forward', 'sysctl-write', '/proc/sys/net/ipv4/ip_forward', 'sysctl-write', '/proc/sys/kernel/domainname'),
      ['ok', 'EPERM', 'ok']);
    assert.deepEqual(outside('sysctl-write', '/proc/sys/net/ipv4/ip_forward'), ['ok'], 'outside the cgroup the sysctl write passes');
    // Devices: /dev/null opens for write; mknod refused; 1:1 (/dev/mem, denied from the start) refused
    // through a node made outside; 1:5 (/dev/zero) once denied.
    const mem = path.join(tmp, 'mem');
    assert.equal(spawnSync('mknod', [mem, 'c', '1', '1']).status, 0, 'mknod outside the cgroup');
    assert.deepEqual(inGuarded('open', '/dev/null', 'w', 'mknod', path.join(tmp, 'null'), '1', '3', 'open', mem, 'r', 'open', '/dev/zero', 'r'),
      ['ok', 'EPERM', 'EPERM', 'ok']);
    assert.notEqual(outside('open', mem, 'r')[0], 'EPERM', 'outside the cgroup 1:1 reaches the driver (which may not exist)');
    cli('deny', 'dev', '1:5');
    assert.deepEqual(inGuarded('open', '/dev/zero', 'r'), ['EPERM'], '/dev/zero denied live');
    assert.deepEqual(outside('open', '/dev/zero', 'r'), ['ok']);
    const listed = cli('list');
    assert.match(listed, /ports: \[ 1 \]/);
    assert.match(listed, /addrs: \[ '127\.0\.0\.2' \]/);
    assert.match(listed, /devices: \[ '1:1', '1:2', '1:4', '1:5' \]/);
    assert.match(listed, /connectsDenied: 2n/);
    assert.match(listed, /rawSocketsDenied: 1n/);
    assert.match(listed, /bindsDenied: 2n/);
    assert.match(listed, /sysctlWritesDenied: 1n/);
    assert.match(listed, /devicesDenied: 3n/);
    cli('allow', 'port', '1');
    assert.deepEqual(inGuarded('connect', '127.0.0.1', '1', 'connect', '127.0.0.2', '1', 'bind', '127.0.0.1', '1'), ['ECONNREFUSED', 'EPERM', 'ok'], 'port rule removed, address rule kept');
    cli('detach');
    assert.equal(fs.existsSync(dir), false);
    assert.deepEqual(inGuarded('connect', '127.0.0.2', '1', 'raw', 'sysctl-write', '/proc/sys/net/ipv4/ip_forward', 'open', '/dev/zero', 'r'), ['ECONNREFUSED', 'ok', 'ok', 'ok'], 'detached: nothing denied');
    assert.throws(() => cli('deny', 'port', '70000'), /bad port '70000'/);
    assert.throws(() => cli('deny', 'dev', '1-5'), /bad device '1-5'/);
  } finally {
    detachGuard(dir);
    removeCgroup(cg);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

// ---- 5. XDP firewall (LPM trie) -----------------------------------------------------

interface FirewallModule { detachFirewall(dir: string): void }

test('xdp firewall CLI: a blocked /32 or prefix drops the peer\'s pings (counted per prefix), unblock lets them through', async (t) => {
  if (skipUnless(t, needRoot())) return;
  if (skipUnless(t, spawnSync('ping', ['-V']).status === 0 ? null : 'ping (iputils-ping) not installed')) return;
  const { detachFirewall } = await load<FirewallModule>('xdp-firewall/main.mjs');
  const main = fileURLToPath(example('xdp-firewall/main.mjs'));
  const dir = `/sys/fs/bpf/lk${process.pid}fw`;
  const pair = vethPair();
  const cli = (...args: string[]): string => sh([process.execPath, main, ...args, '--pin', dir]);
  const pingOk = async (): Promise<boolean> => (await inNs(pair.nsA, ['ping', '-c', '1', '-W', '1', pair.addrB])).status === 0;
  try {
    assert.match(cli('attach', pair.ifB, '--netns', pair.nsB), /^firewall on /);
    assert.equal(await pingOk(), true, 'nothing blocked yet');
    cli('block', pair.addrA);
    assert.equal(await pingOk(), false, `${pair.addrA}/32 blocked: the echo request is dropped at ${pair.ifB}`);
    assert.match(cli('list'), new RegExp(`'${pair.addrA.replace(/\./g, '\\.')}/32': 1n`));
    cli('unblock', pair.addrA);
    assert.equal(await pingOk(), true, 'unblocked');
    cli('block', `${pair.addrA.replace(/\.1$/, '.0')}/24`);
    assert.equal(await pingOk(), false, 'the /24 holding the peer matches by longest prefix');
    assert.throws(() => cli('unblock', '10.9.9.9'), /10\.9\.9\.9\/32 is not blocked/);
    cli('detach');
    assert.equal(await pingOk(), true, 'detached: XDP program gone with its pinned link');
  } finally {
    detachFirewall(dir);
    pair.close();
  }
});
