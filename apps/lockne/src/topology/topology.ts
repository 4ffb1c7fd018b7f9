// A self-contained world for Lockne's tests and demo: a client namespace where
// Lockne runs, a server namespace at the end of every path, the direct path (a
// veth) and WireGuard tunnels (wireguard-go over TUN) between them. The server
// tells what source address it saw, so a test can tell "came through tunnel A /
// tunnel B / direct".
//
// Addressing plan (prefix P, e.g. lkt<pid> for tests, lkd for the demo):
//
//   namespace Pc (client)                         namespace Ps (server)
//   ---------------------                         ---------------------
//   Pvc 10.77.0.2/24  fd4c:77::2/64  <-- veth --> Pvs 10.77.0.1/24  fd4c:77::1/64
//     default via 10.77.0.1 / fd4c:77::1            (the direct path)
//   Pw<k> 10.78.<k>.2/32  fd4c:78:<k>::2/128 <-wg-> Pp<k> 10.78.<k>.1/24  fd4c:78:<k>::1/64
//     wireguard-go, peer endpoint 10.77.0.1:(51820+k)  wireguard-go, listens on 51820+k
//     AllowedIPs 0.0.0.0/0, ::/0                        AllowedIPs 10.78.<k>.2/32, fd4c:78:<k>::2/128
//
// - k = 1..n (tunnel index). Interface names: Pvc Pvs Pw<k> Pp<k> (<= 15 chars).
// - The client's main table routes nothing through a tunnel (Table = off): the
//   client tunnel addresses are /32 and /128. Lockne adds its own fwmark rules
//   and tables (`ip rule add fwmark M lookup T` + `ip route add default dev Pw<k>
//   table T`); source address selection then picks 10.78.<k>.2.
// - The server answers on all its addresses (10.77.0.1, 10.78.<k>.1, fd4c:77::1,
//   fd4c:78:<k>::1): whoami on tcp/7777 and udp/7777, DNS on udp/53 (A -> 10.77.0.1,
//   AAAA -> fd4c:77::1 for any name). The source it sees tells the path:
//   10.77.0.2 / fd4c:77::2 = direct, 10.78.<k>.2 / fd4c:78:<k>::2 = tunnel k.
// - Client rp_filter is off (replies from 10.77.0.1 arrive on a tunnel), IPv6
//   addresses survive link down (setTunnelUp), DAD is off (no 1 s wait).
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import { DNS_PORT, planTopology, pathsBySource, serverAddresses, WHOAMI_PORT, type Addresses, type PathAddresses, type TopologyPlan, type TunnelPlan } from './addressing.js';
import { inNetnsArgv, run, runAsync, tryRun, tryRunAsync, type RunOptions, type RunResult } from './exec.js';
import { createNamespaces, deleteNetns, ipBatch, waitLinksReady } from './netns.js';
import { parseProbeOutput, probeArgv, type ProbeRequest, type ProbeResult } from './probe.js';
import { ProcessSet } from './processes.js';
import { readRecords, type ConnectionRecord, type DnsQueryRecord } from './records.js';
import { startServices } from './services.js';
import { createStateDir, writeState, type TopologyState } from './state.js';
import { checkHandshake, removeSocket, startTunnel, type RunningTunnel } from './wireguard.js';

export interface TopologyOptions {
  /** Prefix of every name (starts with 'lk'): 'lkt<pid>' in tests, 'lkd' for the demo. */
  prefix: string;
  /** How many tunnels, or their names (default 2: 'tunnel1', 'tunnel2'). */
  tunnels?: number | readonly string[];
  /** IPv6 addresses on every path (default true). */
  ipv6?: boolean;
  /** What the DNS server answers (default the server's direct addresses). */
  dnsAnswer?: { v4: string; v6?: string };
}

/** A command runner bound to one namespace. */
export interface NetnsHandle {
  /** e.g. 'lkt4242c'. */
  name: string;
  /** /run/netns/<name>: for nsenter --net=, setns(2) or bpf netns links. */
  path: string;
  /** Runs argv inside the namespace; stdout, or throws CommandError. */
  exec(argv: readonly string[], opts?: RunOptions): string;
  /** Async exec. */
  execAsync(argv: readonly string[], opts?: RunOptions): Promise<string>;
  /** Runs argv inside the namespace and reports status and output; never throws for a non-zero exit. */
  tryExec(argv: readonly string[], opts?: RunOptions): RunResult;
  tryExecAsync(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

/** One tunnel of a running topology. */
export interface TunnelInfo extends TunnelPlan {
  /** Shorthand for addresses.client: 10.78.<k>.2, fd4c:78:<k>::2. */
  client: Addresses;
  /** Shorthand for addresses.server: 10.78.<k>.1, fd4c:78:<k>::1 (whoami, DNS). */
  server: Addresses;
  clientPublicKey: string;
  serverPublicKey: string;
  /** False once removeTunnel(k) ran. */
  present: boolean;
}

function netnsHandle(name: string): NetnsHandle {
  return {
    name,
    path: `/run/netns/${name}`,
    exec: (argv, opts) => run(inNetnsArgv(name, argv), opts),
    execAsync: (argv, opts) => runAsync(inNetnsArgv(name, argv), opts),
    tryExec: (argv, opts) => tryRun(inNetnsArgv(name, argv), opts),
    tryExecAsync: (argv, opts) => tryRunAsync(inNetnsArgv(name, argv), opts),
  };
}

/**
 * Builds the topology: namespaces, veth, tunnels (handshake checked with a
 * ping through each), the server's services. On any failure it removes
 * whatever it made before rethrowing.
 *
 * @example
 *   const topo = await createTopology({ prefix: `lkt${process.pid}` });
 *   try {
 *     const r = await topo.probe({ kind: 'tcp', address: topo.direct.server.v4 });
 *     r.seen?.via; // 'direct'
 *   } finally {
 *     await topo.close();
 *   }
 */
export async function createTopology(opts: TopologyOptions): Promise<Topology> {
  const plan = planTopology(opts.prefix, opts.tunnels ?? 2);
  const topo = new Topology(plan, opts.ipv6 ?? true);
  try {
    await topo.build(opts);
    return topo;
  } catch (e) {
    await topo.close().catch((ce: Error) => {
      (e as Error).message += `\n(cleanup after the failure also failed: ${ce.message})`;
    });
    throw e;
  }
}

/** A running topology; see createTopology and the addressing plan above. */
export class Topology {
  readonly prefix: string;
  readonly ipv6: boolean;
  readonly plan: TopologyPlan;
  readonly client: NetnsHandle;
  readonly server: NetnsHandle;
  /** The veth: client 10.77.0.2 / fd4c:77::2, server 10.77.0.1 / fd4c:77::1. */
  readonly direct: PathAddresses;
  readonly tunnels: TunnelInfo[] = [];
  readonly ports = { whoami: WHOAMI_PORT, dns: DNS_PORT };
  /** Temp directory (keys, server config and log, state); removed by close(). */
  stateDir = '';
  private readonly procs: ProcessSet;
  private readonly running = new Map<number, RunningTunnel>();
  private state: TopologyState;
  private closed = false;
  private closing: Promise<void> | null = null;

  /** Use createTopology. */
  constructor(plan: TopologyPlan, ipv6: boolean) {
    this.plan = plan;
    this.prefix = plan.prefix;
    this.ipv6 = ipv6;
    this.client = netnsHandle(plan.clientNetns);
    this.server = netnsHandle(plan.serverNetns);
    this.direct = plan.direct;
    this.state = {
      owner: process.pid,
      prefix: plan.prefix,
      netns: [plan.clientNetns, plan.serverNetns],
      wgInterfaces: plan.tunnels.flatMap((t) => [t.clientIf, t.serverIf]),
      pids: [],
    };
    this.procs = new ProcessSet((pids) => {
      this.state.pids = pids;
      if (this.stateDir && fs.existsSync(this.stateDir)) writeState(this.stateDir, this.state);
    });
  }

  /** @internal Builds everything; createTopology cleans up when it throws. */
  async build(opts: TopologyOptions): Promise<void> {
    // The state file comes first: whatever exists after this, sweepStale can find.
    this.stateDir = createStateDir(this.prefix, this.state);
    createNamespaces(this.plan, this.ipv6);
    for (const t of this.plan.tunnels) {
      const r = await startTunnel(this.procs, this.plan, t, this.stateDir, this.ipv6);
      this.running.set(t.index, r);
      this.tunnels.push({ ...t, client: t.addresses.client, server: t.addresses.server, clientPublicKey: r.clientPublicKey, serverPublicKey: r.serverPublicKey, present: true });
    }
    // The first packets on a link are dropped until the kernel activates it.
    await Promise.all([
      waitLinksReady(this.plan.clientNetns, [this.plan.vethClient, ...this.plan.tunnels.map((t) => t.clientIf)], this.ipv6),
      waitLinksReady(this.plan.serverNetns, [this.plan.vethServer, ...this.plan.tunnels.map((t) => t.serverIf)], this.ipv6),
    ]);
    await Promise.all(this.plan.tunnels.map((t) => checkHandshake(this.plan, t)));
    await startServices(this.procs, this.plan.serverNetns, this.stateDir, {
      log: this.logFile,
      addresses: serverAddresses(this.plan, this.ipv6),
      whoamiPort: WHOAMI_PORT,
      dnsPort: DNS_PORT,
      paths: pathsBySource(this.plan),
      dnsAnswer: { v4: opts.dnsAnswer?.v4 ?? this.direct.server.v4, v6: this.ipv6 ? (opts.dnsAnswer?.v6 ?? this.direct.server.v6) : null },
    });
  }

  /** The server's JSON-lines log of connections and DNS queries. */
  get logFile(): string {
    return `${this.stateDir}/server.log`;
  }

  /** Every address the services listen on (direct and tunnel; v4, then v6). */
  get serverAddresses(): string[] {
    return serverAddresses(this.plan, this.ipv6);
  }

  /** Addresses of the DNS server: the same as every other service. */
  get dnsServers(): { direct: Addresses; tunnels: Addresses[] } {
    return { direct: this.direct.server, tunnels: this.tunnels.map((t) => t.addresses.server) };
  }

  /** Tunnel by index (1-based) or name; throws naming the unknown one. */
  tunnel(which: number | string): TunnelInfo {
    const t = this.tunnels.find((x) => x.index === which || x.name === which);
    if (!t) throw new Error(`topology ${this.prefix} has no tunnel '${which}' (tunnels: ${this.tunnels.map((x) => `${x.index}=${x.name}`).join(', ') || 'none'})`);
    return t;
  }

  /**
   * Spawns argv inside the client namespace, tracked: close() kills it (by PID)
   * if it still runs. `opts` go to child_process.spawn (stdio defaults to inherit).
   */
  spawnInClient(argv: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    this.assertOpen();
    const t = this.procs.spawn(inNetnsArgv(this.plan.clientNetns, argv), argv.join(' '), opts);
    return t.child;
  }

  /**
   * Runs the probe (probe-main.js) inside the client namespace: reaches the
   * server's whoami or DNS service, optionally with SO_MARK; never throws for
   * an unreachable server (ok: false, error says why).
   */
  async probe(req: ProbeRequest): Promise<ProbeResult> {
    this.assertOpen();
    const r = await this.client.tryExecAsync(probeArgv(req), { timeoutMs: (req.timeoutMs ?? 2000) + 10_000 });
    return parseProbeOutput(req, r.stdout, r.stderr, r.status);
  }

  /**
   * Sets the client side of tunnel k down or up (`ip link set`), e.g. for
   * kill-switch tests. Down drops the routes through it (also in Lockne's
   * tables); up does not restore them. Addresses stay.
   */
  setTunnelUp(which: number | string, up: boolean): void {
    this.assertOpen();
    const t = this.tunnel(which);
    if (!t.present) throw new Error(`tunnel '${t.name}' was removed`);
    ipBatch(this.plan.clientNetns, [`link set ${t.clientIf} ${up ? 'up' : 'down'}`]);
  }

  /** Stops both wireguard-go processes of tunnel k: its interfaces disappear. */
  async removeTunnel(which: number | string): Promise<void> {
    this.assertOpen();
    const t = this.tunnel(which);
    const r = this.running.get(t.index);
    if (!r) return;
    this.running.delete(t.index);
    t.present = false;
    await Promise.all([this.procs.kill(r.client), this.procs.kill(r.server)]);
    removeSocket(t.clientIf);
    removeSocket(t.serverIf);
  }

  /** PIDs of the processes the topology started that still run (wireguard-go, services, spawnInClient). */
  processIds(): number[] {
    return this.procs.pids();
  }

  /** PIDs of tunnel k's two wireguard-go processes (client, server); empty once removed. */
  tunnelProcessIds(which: number | string): number[] {
    const r = this.running.get(this.tunnel(which).index);
    return r ? [r.client.child.pid!, r.server.child.pid!] : [];
  }

  /** DNS queries the server answered, oldest first. */
  dnsQueries(): DnsQueryRecord[] {
    return readRecords(this.logFile).filter((r): r is DnsQueryRecord => r.type === 'dns');
  }

  /** Connections (TCP) and datagrams (UDP) the whoami services answered, oldest first. */
  connections(): ConnectionRecord[] {
    return readRecords(this.logFile).filter((r): r is ConnectionRecord => r.type === 'connection');
  }

  /** Forgets every record so far (the server appends to the same log). */
  clearRecords(): void {
    if (fs.existsSync(this.logFile)) fs.truncateSync(this.logFile, 0);
  }

  /**
   * Kills every process the topology started (by PID), deletes both
   * namespaces, removes the wireguard sockets and the temp directory.
   * Idempotent; concurrent calls share one cleanup.
   */
  close(): Promise<void> {
    this.closing ??= this.cleanup();
    return this.closing;
  }

  private async cleanup(): Promise<void> {
    this.closed = true;
    const errors: string[] = [];
    const attempt = (what: string, fn: () => void): void => {
      try {
        fn();
      } catch (e) {
        errors.push(`${what}: ${(e as Error).message}`);
      }
    };
    try {
      await this.procs.killAll();
    } catch (e) {
      errors.push(`killing processes: ${(e as Error).message}`);
    }
    this.running.clear();
    for (const n of [this.plan.clientNetns, this.plan.serverNetns]) attempt(`deleting netns ${n}`, () => deleteNetns(n));
    for (const ifname of this.state.wgInterfaces) attempt(`removing socket of ${ifname}`, () => removeSocket(ifname));
    if (this.stateDir) attempt(`removing ${this.stateDir}`, () => fs.rmSync(this.stateDir, { recursive: true, force: true }));
    if (errors.length) throw new Error(`topology ${this.prefix}: cleanup incomplete:\n  ${errors.join('\n  ')}`);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`topology ${this.prefix} is closed`);
  }
}
