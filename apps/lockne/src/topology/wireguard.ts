// WireGuard tunnels between the namespaces with wireguard-go (userspace, over
// TUN; kernel WireGuard does not exist here) configured by `wg`.
//
// Each wireguard-go keeps its control socket at /var/run/wireguard/<ifname>.sock
// whatever namespace it runs in, so interface names must be unique per run.
import fs from 'node:fs';
import path from 'node:path';
import type { TunnelPlan, TopologyPlan } from './addressing.js';
import { inNetnsArgv, pollUntil, run, tryRun } from './exec.js';
import { ipBatch } from './netns.js';
import type { ProcessSet, Tracked } from './processes.js';

/** Where wireguard-go puts its UAPI sockets (all namespaces share it). */
export const WG_SOCKET_DIR = '/var/run/wireguard';
/** How long a wireguard-go gets to create its interface and socket. */
const START_TIMEOUT_MS = 5000;

/** The control socket of interface `ifname`. */
export function wgSocketPath(ifname: string): string {
  return path.join(WG_SOCKET_DIR, `${ifname}.sock`);
}

/** A fresh key pair from `wg genkey` / `wg pubkey`. */
export function generateKeyPair(): { privateKey: string; publicKey: string } {
  const privateKey = run(['wg', 'genkey']).trim();
  const publicKey = run(['wg', 'pubkey'], { input: privateKey + '\n' }).trim();
  return { privateKey, publicKey };
}

/** One running tunnel: both wireguard-go processes. */
export interface RunningTunnel {
  plan: TunnelPlan;
  client: Tracked;
  server: Tracked;
  clientPublicKey: string;
  serverPublicKey: string;
}

/**
 * Starts wireguard-go for `ifname` in `netns` (foreground, a child we own) and
 * waits until its interface and control socket exist.
 */
export async function startWireguardGo(procs: ProcessSet, netns: string, ifname: string): Promise<Tracked> {
  const sock = wgSocketPath(ifname);
  if (fs.existsSync(sock)) throw new Error(`wireguard socket ${sock} already exists (another run uses '${ifname}', or a crashed one left it: see sweepStale)`);
  const t = procs.spawn(inNetnsArgv(netns, ['wireguard-go', ifname]), `wireguard-go ${ifname}`, { env: { ...process.env, WG_PROCESS_FOREGROUND: '1' } }, true);
  await pollUntil(`wireguard-go to create ${sock}`, START_TIMEOUT_MS, () => {
    if (t.child.exitCode !== null || t.child.signalCode !== null || t.child.pid === undefined) {
      throw new Error(`wireguard-go ${ifname} in netns ${netns} exited (${t.child.exitCode ?? t.child.signalCode ?? 'not started'}): ${t.output.toString().trim() || 'no output'}`);
    }
    return fs.existsSync(sock) ? true : undefined;
  });
  return t;
}

/**
 * Brings up tunnel `t`: a wireguard-go in each namespace, keys, the server peer
 * listening on the veth, addresses, links up. Adds no routes through the tunnel
 * in the client (Table = off): the client address is a /32 and /128.
 */
export async function startTunnel(procs: ProcessSet, plan: TopologyPlan, t: TunnelPlan, keyDir: string, ipv6: boolean): Promise<RunningTunnel> {
  const [client, server] = await Promise.all([
    startWireguardGo(procs, plan.clientNetns, t.clientIf),
    startWireguardGo(procs, plan.serverNetns, t.serverIf),
  ]);
  const ck = generateKeyPair();
  const sk = generateKeyPair();
  const clientKeyFile = path.join(keyDir, `${t.clientIf}.key`);
  const serverKeyFile = path.join(keyDir, `${t.serverIf}.key`);
  fs.writeFileSync(clientKeyFile, ck.privateKey + '\n', { mode: 0o600 });
  fs.writeFileSync(serverKeyFile, sk.privateKey + '\n', { mode: 0o600 });
  const a = t.addresses;
  run(inNetnsArgv(plan.serverNetns, [
    'wg', 'set', t.serverIf, 'private-key', serverKeyFile, 'listen-port', String(t.serverPort),
    'peer', ck.publicKey, 'allowed-ips', ipv6 ? `${a.client.v4}/32,${a.client.v6}/128` : `${a.client.v4}/32`,
  ]));
  run(inNetnsArgv(plan.clientNetns, [
    'wg', 'set', t.clientIf, 'private-key', clientKeyFile,
    'peer', sk.publicKey, 'endpoint', `${plan.direct.server.v4}:${t.serverPort}`, 'allowed-ips', ipv6 ? '0.0.0.0/0,::/0' : '0.0.0.0/0',
  ]));
  ipBatch(plan.serverNetns, [
    `addr add ${a.server.v4}/24 dev ${t.serverIf}`,
    ...(ipv6 ? [`addr add ${a.server.v6}/64 dev ${t.serverIf} nodad`] : []),
    `link set ${t.serverIf} up`,
  ]);
  ipBatch(plan.clientNetns, [
    `addr add ${a.client.v4}/32 dev ${t.clientIf}`,
    ...(ipv6 ? [`addr add ${a.client.v6}/128 dev ${t.clientIf} nodad`] : []),
    `link set ${t.clientIf} up`,
  ]);
  return { plan: t, client, server, clientPublicKey: ck.publicKey, serverPublicKey: sk.publicKey };
}

/**
 * Proves the tunnel carries traffic: `ping -I <clientIf>` to the server's
 * tunnel address (the first packet also triggers the handshake). Retries a few
 * times; throws with ping's output and `wg show` when it never answers.
 */
export async function checkHandshake(plan: TopologyPlan, t: TunnelPlan): Promise<void> {
  const argv = inNetnsArgv(plan.clientNetns, ['ping', '-n', '-q', '-c', '1', '-W', '1', '-I', t.clientIf, t.addresses.server.v4]);
  let last = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const r = tryRun(argv);
    if (r.status === 0) return;
    last = (r.stdout + r.stderr).trim();
  }
  const show = tryRun(inNetnsArgv(plan.clientNetns, ['wg', 'show', t.clientIf]));
  throw new Error(`tunnel '${t.name}' (${t.clientIf} -> ${t.serverIf}) carries no traffic: ${last}\nwg show ${t.clientIf}:\n${show.stdout}${show.stderr}`);
}

/** Latest handshake time of the client side of a tunnel (0: none yet). */
export function latestHandshake(plan: TopologyPlan, t: TunnelPlan): number {
  const out = run(inNetnsArgv(plan.clientNetns, ['wg', 'show', t.clientIf, 'latest-handshakes'])).trim();
  const secs = Number(out.split(/\s+/)[1] ?? 0);
  return Number.isFinite(secs) ? secs : 0;
}

/** Removes a wireguard socket left behind (wireguard-go removes its own on SIGTERM). */
export function removeSocket(ifname: string): void {
  fs.rmSync(wgSocketPath(ifname), { force: true });
}
