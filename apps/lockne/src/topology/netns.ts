// The two namespaces and the veth between them (the direct path).
import fs from 'node:fs';
import type { TopologyPlan } from './addressing.js';
import { inNetnsArgv, netnsPath, pollUntil, run, runAsync, tryRun } from './exec.js';

/** True when a named namespace exists (its /run/netns file is there). */
export function netnsExists(name: string): boolean {
  return fs.existsSync(netnsPath(name));
}

/** Names of every namespace made by `ip netns add`. */
export function listNetns(): string[] {
  try {
    return fs.readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** Creates a named namespace; throws when it already exists. */
export function addNetns(name: string): void {
  if (netnsExists(name)) throw new Error(`network namespace '${name}' already exists (a crashed run? see sweepStale)`);
  run(['ip', 'netns', 'add', name]);
}

/** Deletes a named namespace if it exists; throws only when `ip` fails on an existing one. */
export function deleteNetns(name: string): void {
  if (!netnsExists(name)) return;
  const r = tryRun(['ip', 'netns', 'del', name]);
  if (r.status !== 0 && netnsExists(name)) throw new Error(`ip netns del ${name}: ${r.stderr.trim()}`);
}

/** Runs `ip -batch -` with `lines` inside `netns`; the error names the failing line. */
export function ipBatch(netns: string, lines: readonly string[]): void {
  run(inNetnsArgv(netns, ['ip', '-batch', '-']), { input: lines.join('\n') + '\n' });
}

/** Sets namespace sysctls (`key=value` strings) inside `netns`. */
export function sysctls(netns: string, settings: readonly string[]): void {
  run(inNetnsArgv(netns, ['sysctl', '-q', '-w', ...settings]));
}

/**
 * Sysctls both namespaces get before any interface exists, so every interface
 * inherits them through `default`:
 * - IPv6 on (a namespace may inherit disable_ipv6 from the host), no DAD wait;
 * - IPv6 addresses survive link down (setTunnelUp(k, false) then true);
 * - rp_filter off: replies from the server's direct address arrive on a tunnel.
 */
export function namespaceSysctls(ipv6: boolean): string[] {
  const out = ['net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0'];
  if (ipv6) {
    for (const scope of ['all', 'default']) {
      out.push(
        `net.ipv6.conf.${scope}.disable_ipv6=0`,
        `net.ipv6.conf.${scope}.accept_dad=0`,
        `net.ipv6.conf.${scope}.keep_addr_on_down=1`,
      );
    }
  }
  return out;
}

/** ifindexes of the veth ends (each namespace has its own index space). */
export const VETH_CLIENT_INDEX = 10;
export const VETH_SERVER_INDEX = 11;

/**
 * Creates both namespaces and the veth: client 10.77.0.2 / fd4c:77::2 with
 * default routes via the server's 10.77.0.1 / fd4c:77::1. The server also
 * forwards nothing: it is the end of every path.
 */
export function createNamespaces(plan: TopologyPlan, ipv6: boolean): void {
  const { clientNetns: c, serverNetns: s } = plan;
  addNetns(c);
  addNetns(s);
  sysctls(c, namespaceSysctls(ipv6));
  sysctls(s, namespaceSysctls(ipv6));
  // Distinct ifindexes: a veth whose peer has its own ifindex (both would be 2
  // in fresh namespaces) looks like a non-stacked device to the link watcher,
  // which then delays activating it by up to a second.
  run(['ip', 'link', 'add', plan.vethClient, 'netns', c, 'index', String(VETH_CLIENT_INDEX), 'type', 'veth',
    'peer', 'name', plan.vethServer, 'netns', s, 'index', String(VETH_SERVER_INDEX)]);
  const d = plan.direct;
  ipBatch(c, [
    'link set lo up',
    `addr add ${d.client.v4}/24 dev ${plan.vethClient}`,
    ...(ipv6 ? [`addr add ${d.client.v6}/64 dev ${plan.vethClient} nodad`] : []),
    `link set ${plan.vethClient} up`,
    `route add default via ${d.server.v4} dev ${plan.vethClient}`,
    ...(ipv6 ? [`route add default via ${d.server.v6} dev ${plan.vethClient}`] : []),
  ]);
  ipBatch(s, [
    'link set lo up',
    `addr add ${d.server.v4}/24 dev ${plan.vethServer}`,
    ...(ipv6 ? [`addr add ${d.server.v6}/64 dev ${plan.vethServer} nodad`] : []),
    `link set ${plan.vethServer} up`,
  ]);
}

/** How long the kernel's link watcher may take to activate a new link (it batches events up to 1 s). */
const LINK_READY_TIMEOUT_MS = 3000;

/**
 * Waits until every interface in `ifnames` is activated: its qdisc is no
 * longer `noop` and, with `ipv6`, it has its link-local address (IPv6 is
 * ready on it). Before that the kernel drops what the link sends and ignores
 * neighbour solicitations: the first IPv6 packet stalls for a second.
 */
export async function waitLinksReady(netns: string, ifnames: readonly string[], ipv6: boolean): Promise<void> {
  await pollUntil(`links ${ifnames.join(', ')} in netns ${netns} to be activated`, LINK_READY_TIMEOUT_MS, async () => {
    const links = await runAsync(inNetnsArgv(netns, ['ip', '-o', 'link', 'show']));
    const lls = ipv6 ? await runAsync(inNetnsArgv(netns, ['ip', '-o', '-6', 'addr', 'show', 'scope', 'link'])) : '';
    const pending = ifnames.filter((n) => {
      const line = links.split('\n').find((l) => new RegExp(`^\\d+: ${n}[@:]`).test(l));
      if (!line || / qdisc noop /.test(line)) return true;
      return ipv6 && !lls.split('\n').some((l) => new RegExp(`^\\d+: ${n} `).test(l));
    });
    return pending.length === 0 ? true : undefined;
  }, 20);
}
