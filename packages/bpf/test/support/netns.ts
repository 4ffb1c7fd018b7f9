// Test support: throw-away network namespaces joined by a veth pair, commands
// run inside them, and UDP traffic between them, all confined to namespaces
// the test made (nothing touches the host's interfaces or addresses).
//
// Every namespace is named lk<pid>n<k><side>, every interface lk<pid%100000>v<k><side>,
// so concurrent test processes never collide and a crashed run's leftovers
// can be recognised (sweepStaleNetns removes those whose process is gone).
//
// Typical use:
//
//   const pair = createVethPair();              // two namespaces, veth between, 10.199.0.1 <-> .2,
//                                               // static ARP entries (no ARP traffic), IPv6 off
//   try {
//     const rx = UdpEndpoint.open(pair.b, pair.addrB, 9000);
//     const tx = UdpEndpoint.open(pair.a, pair.addrA, 0);
//     try {
//       tx.send(pair.addrB, 9000, 'hi');
//       await rx.receive(1, 1000);                // resolves with the datagrams that arrived
//     } finally { rx.close(); tx.close(); }
//     pair.a.exec(['ip', 'addr']);              // any command, inside the namespace (nsenter --net=...)
//   } finally {
//     pair.close();                             // deletes both namespaces (and the veth with them)
//   }
//
// Enter a namespace with nsenter --net=/run/netns/NAME, not `ip netns exec`
// (which remounts /sys privately and hides bpffs and the cgroup mount).
import fs from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { native } from '../../src/sys/native.js';
import { inNetns } from '../../src/net/netns.js';
import { withNetlink } from '../../src/netlink/socket.js';
import { getInterface } from '../../src/netlink/link.js';
import { listQdiscs } from '../../src/netlink/tc.js';
import { OperState, TC_H_ROOT } from '../../src/netlink/consts.js';

const RUN_DIR = '/run/netns';
let counter = 0;

export interface ExecResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Do not throw on a non-zero exit status. */
  allowFail?: boolean;
  input?: string;
  timeoutMs?: number;
}

/** A network namespace created by a test. */
export class TestNetns {
  readonly name: string;
  readonly path: string;
  #deleted = false;

  private constructor(name: string) {
    this.name = name;
    this.path = `${RUN_DIR}/${name}`;
  }

  /** `ip netns add lk<pid>n<k><tag>`, with lo up and IPv6 off (quiet links: no ND/MLD noise). */
  static create(tag = ''): TestNetns {
    const name = `lk${process.pid}n${counter++}${tag}`;
    run(['ip', 'netns', 'add', name]);
    const ns = new TestNetns(name);
    try {
      ns.exec(['sh', '-c', 'ip link set lo up && sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1']);
    } catch (e) {
      ns.delete();
      throw e;
    }
    return ns;
  }

  /** Run a command inside the namespace (nsenter --net=PATH); throws on failure unless allowFail. */
  exec(argv: readonly string[], opts: ExecOptions = {}): ExecResult {
    return run(['nsenter', `--net=${this.path}`, ...argv], opts);
  }

  /** Like exec, without blocking the event loop. */
  execAsync(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return runAsync(['nsenter', `--net=${this.path}`, ...argv], opts);
  }

  /** ifindex of an interface inside this namespace. */
  ifindex(ifname: string): number {
    const idx = inNetns(this.name, () => native.ifNameToIndex(ifname));
    if (idx < 0) throw new Error(`no interface '${ifname}' in netns ${this.name} (errno ${-idx})`);
    return idx;
  }

  /** `ip netns del`. Idempotent; tolerates a namespace already gone. */
  delete(): void {
    if (this.#deleted) return;
    this.#deleted = true;
    if (fs.existsSync(this.path)) run(['ip', 'netns', 'del', this.name]);
  }
}

export interface VethPairOptions {
  /** First three octets of the /24 used inside the pair; default '10.199.0'. */
  subnet?: string;
  /**
   * Permanent neighbour (ARP) entries for the peer on both ends, default true:
   * no ARP on the wire, so a test's packets are the only ones, and traffic
   * flows at once again after a test dropped some (no ARP retry back-off).
   */
  staticNeighbors?: boolean;
}

/** Two namespaces, a veth between them, an IPv4 address on each end. */
export interface VethPair {
  a: TestNetns;
  b: TestNetns;
  /** Interface names: ifA lives in a, ifB in b. */
  ifA: string;
  ifB: string;
  ifindexA: number;
  ifindexB: number;
  addrA: string;
  addrB: string;
  macA: string;
  macB: string;
  /** Delete both namespaces (and so the veth). Idempotent. */
  close(): void;
}

/** Create a VethPair; everything is removed again if a step fails. */
export function createVethPair(opts: VethPairOptions = {}): VethPair {
  const subnet = opts.subnet ?? '10.199.0';
  const a = TestNetns.create('a');
  let b: TestNetns | undefined;
  try {
    b = TestNetns.create('b');
    const k = counter++;
    const ifA = `lk${process.pid % 100000}v${k}a`;
    const ifB = `lk${process.pid % 100000}v${k}b`;
    const addrA = `${subnet}.1`;
    const addrB = `${subnet}.2`;
    // Locally administered MACs, known in advance for the static neighbour entries.
    const macA = '02:6c:6b:00:00:01';
    const macB = '02:6c:6b:00:00:02';
    const neigh = opts.staticNeighbors ?? true;
    // Created inside a, with the peer placed straight into b: the host never sees either end.
    a.exec(['sh', '-c', [
      `ip link add ${ifA} address ${macA} type veth peer name ${ifB} address ${macB} netns ${b.name}`,
      `ip addr add ${addrA}/24 dev ${ifA}`,
      `ip link set ${ifA} up`,
      ...(neigh ? [`ip neigh replace ${addrB} lladdr ${macB} dev ${ifA} nud permanent`] : []),
    ].join(' && ')]);
    b.exec(['sh', '-c', [
      `ip addr add ${addrB}/24 dev ${ifB}`,
      `ip link set ${ifB} up`,
      ...(neigh ? [`ip neigh replace ${addrA} lladdr ${macA} dev ${ifB} nud permanent`] : []),
    ].join(' && ')]);
    const nsB = b;
    waitUntilActive(a, ifA);
    waitUntilActive(nsB, ifB);
    return {
      a, b: nsB, ifA, ifB, addrA, addrB, macA, macB,
      ifindexA: a.ifindex(ifA),
      ifindexB: nsB.ifindex(ifB),
      close() {
        let first: unknown;
        for (const ns of [a, nsB]) {
          try { ns.delete(); } catch (e) { first ??= e; }
        }
        if (first) throw first;
      },
    };
  } catch (e) {
    b?.delete();
    a.delete();
    throw e;
  }
}

/**
 * Wait until the kernel has activated the interface's qdisc. Until then
 * (linkwatch runs later, delayed up to a second when many links change) the
 * device still has the noop qdisc, which silently drops every packet sent.
 */
export function waitUntilActive(ns: TestNetns, ifname: string, timeoutMs = 5000): void {
  const deadline = Date.now() + timeoutMs;
  withNetlink({ netns: ns.name }, (nl) => {
    for (;;) {
      const dev = getInterface(nl, ifname);
      const root = listQdiscs(nl, dev.index).find((q) => q.parent === TC_H_ROOT);
      if (dev.operstate === OperState.UP && root && root.kind !== 'noop') return;
      if (Date.now() > deadline) {
        throw new Error(`${ifname} in ${ns.name} not active after ${timeoutMs} ms (operstate ${dev.operstate}, root qdisc ${root?.kind ?? 'none'})`);
      }
      Atomics.wait(SLEEPER, 0, 0, 10);
    }
  });
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/** Run `fn` with a fresh VethPair, deleting it afterwards even when `fn` fails. */
export async function withVethPair<T>(fn: (pair: VethPair) => Promise<T> | T, opts: VethPairOptions = {}): Promise<T> {
  const pair = createVethPair(opts);
  try {
    return await fn(pair);
  } finally {
    pair.close();
  }
}

/**
 * Delete lk<pid>n... namespaces left behind by test processes that no longer
 * run (a crash skips finally blocks). Namespaces of live processes are kept.
 */
export function sweepStaleNetns(): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(RUN_DIR);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^lk(\d+)n\d+/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || fs.existsSync(`/proc/${pid}`)) continue;
    run(['ip', 'netns', 'del', name], { allowFail: true });
    removed.push(name);
  }
  return removed;
}

// ---- UDP traffic between namespaces ------------------------------------------

const AF_INET = 2;
const SOCK_DGRAM = 2;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;

/** struct sockaddr_in for "a.b.c.d":port. */
export function sockaddrIn(addr: string, port: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint16(0, AF_INET, true);
  v.setUint16(2, port, false);
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: ${addr}`);
  b.set(parts, 4);
  return b;
}

/**
 * A UDP socket created inside a namespace (it stays there; the test process
 * does not). Uses the native addon directly, so no helper process is needed.
 */
export class UdpEndpoint {
  #fd: number;
  readonly port: number;

  private constructor(fd: number, port: number) {
    this.#fd = fd;
    this.port = port;
  }

  /** Bind to addr:port inside `ns` (port 0: the kernel picks). */
  static open(ns: TestNetns | string, addr: string, port: number): UdpEndpoint {
    const name = typeof ns === 'string' ? ns : ns.name;
    const fd = inNetns(name, () => native.socket(AF_INET, SOCK_DGRAM, 0));
    if (fd < 0) throw new Error(`socket(AF_INET, SOCK_DGRAM) in ${name}: errno ${-fd}`);
    const r = native.bind(fd, sockaddrIn(addr, port));
    if (r < 0) {
      native.close(fd);
      throw new Error(`bind ${addr}:${port} in ${name}: errno ${-r}`);
    }
    return new UdpEndpoint(fd, port);
  }

  /** Send one datagram; returns bytes sent or -errno. */
  send(addr: string, port: number, payload: string | Uint8Array): number {
    const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    return native.sendto(this.#fd, data, 0, sockaddrIn(addr, port));
  }

  /**
   * Wait until `count` datagrams have arrived or `timeoutMs` passed; resolves
   * with the payloads received (possibly fewer than `count`).
   */
  async receive(count: number, timeoutMs: number): Promise<string[]> {
    const got: string[] = [];
    const buf = new Uint8Array(2048);
    const deadline = Date.now() + timeoutMs;
    while (got.length < count) {
      const n = native.recv(this.#fd, buf, MSG_DONTWAIT);
      if (n >= 0) {
        got.push(new TextDecoder().decode(buf.subarray(0, n)));
        continue;
      }
      if (n !== -EAGAIN) throw new Error(`recv: errno ${-n}`);
      if (Date.now() >= deadline) break;
      await sleep(5);
    }
    return got;
  }

  close(): void {
    if (this.#fd < 0) return;
    native.close(this.#fd);
    this.#fd = -1;
  }
}

/**
 * Send `count` datagrams from a to b across the pair and report how many
 * arrived within `timeoutMs` (use a short timeout when expecting none).
 */
export async function udpAcross(pair: VethPair, count: number, timeoutMs: number, port = 47000 + (process.pid % 1000)): Promise<number> {
  const rx = UdpEndpoint.open(pair.b, pair.addrB, port);
  const tx = UdpEndpoint.open(pair.a, pair.addrA, 0);
  try {
    for (let i = 0; i < count; i++) {
      const r = tx.send(pair.addrB, port, `lk ${i}`);
      if (r < 0) throw new Error(`sendto ${pair.addrB}:${port}: errno ${-r}`);
    }
    return (await rx.receive(count, timeoutMs)).length;
  } finally {
    rx.close();
    tx.close();
  }
}

// ---- running commands ------------------------------------------------------------

function failure(argv: readonly string[], r: ExecResult): Error {
  return new Error(`command failed (exit ${r.status}): ${argv.join(' ')}\n${r.stderr.trim()}`);
}

/** Run a command on the host (e.g. `ip netns add`); throws on failure unless allowFail. */
export function run(argv: readonly string[], opts: ExecOptions = {}): ExecResult {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('run: empty command');
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 10_000 });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  const out: ExecResult = { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  if (out.status !== 0 && !opts.allowFail) throw failure(argv, out);
  return out;
}

/** Asynchronous run (the event loop keeps going, e.g. to serve a socket meanwhile). */
export function runAsync(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('runAsync: empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 10_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (e) => reject(new Error(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code) => {
      const r: ExecResult = { status: code ?? -1, stdout, stderr };
      if (r.status !== 0 && !opts.allowFail) reject(failure(argv, r));
      else resolve(r);
    });
    child.stdin.end(opts.input ?? '');
  });
}
