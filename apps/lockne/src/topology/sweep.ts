// Cleaning up after a topology whose owner died without close(): its
// processes (found by namespace and by command line), namespaces, wireguard
// sockets and temp directory.
import fs from 'node:fs';
import path from 'node:path';
import { prefixOfName } from './addressing.js';
import { netnsPath } from './exec.js';
import { deleteNetns, listNetns } from './netns.js';
import { cmdlineOf, killOrphan, pidAlive } from './processes.js';
import { SERVER_SCRIPT } from './services.js';
import { listStates, STATE_DIR_PREFIX } from './state.js';
import { WG_SOCKET_DIR } from './wireguard.js';

/** What sweepStale removed. */
export interface SweepReport {
  namespaces: string[];
  processes: number[];
  sockets: string[];
  dirs: string[];
}

/** How old a temp directory without a state file must be to count as abandoned. */
const ORPHAN_DIR_AGE_MS = 60_000;

/**
 * Removes leftovers of crashed runs whose prefix matches `prefixPattern` and
 * whose owner is gone: the owner is the pid in the state file, else the
 * pattern's first capture group (e.g. /^lkt(\d+)$/ for test prefixes lkt<pid>).
 * Never touches a topology whose owner is alive, nor names the pattern does
 * not match. Kills only processes inside a stale namespace or running
 * wireguard-go / the services script for a stale topology.
 *
 * @example await sweepStale(/^lkt(\d+)$/)   // before tests create lkt<pid>
 */
export async function sweepStale(prefixPattern: RegExp): Promise<SweepReport> {
  const matches = (prefix: string | null): prefix is string => prefix !== null && new RegExp(prefixPattern.source, prefixPattern.flags.replace('g', '')).test(prefix);
  const pidOfPrefix = (prefix: string): number | null => {
    const m = new RegExp(prefixPattern.source, prefixPattern.flags.replace('g', '')).exec(prefix);
    return m?.[1] !== undefined && /^\d+$/.test(m[1]) ? Number(m[1]) : null;
  };
  const report: SweepReport = { namespaces: [], processes: [], sockets: [], dirs: [] };

  // Names owned by live topologies are never stale, whatever the pattern says.
  const live = new Set<string>();
  const staleDirs: string[] = [];
  const stalePids: number[] = [];
  for (const { dir, state } of listStates()) {
    if (state) {
      if (!matches(state.prefix)) continue;
      if (state.owner === process.pid || pidAlive(state.owner)) {
        for (const n of [...state.netns, ...state.wgInterfaces]) live.add(n);
        continue;
      }
      staleDirs.push(dir);
      stalePids.push(...state.pids);
    } else {
      const prefix = path.basename(dir).slice(STATE_DIR_PREFIX.length).replace(/-[^-]*$/, '');
      const age = Date.now() - (fs.statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? 0);
      if (matches(prefix) && age > ORPHAN_DIR_AGE_MS) staleDirs.push(dir);
    }
  }
  const stale = (name: string, kind: 'netns' | 'iface'): boolean => {
    if (live.has(name)) return false;
    const prefix = prefixOfName(name, kind);
    if (!matches(prefix)) return false;
    const owner = pidOfPrefix(prefix);
    return owner === null || (owner !== process.pid && !pidAlive(owner));
  };

  const staleNetns = listNetns().filter((n) => stale(n, 'netns'));
  const victims = new Set<number>();
  // Every process inside a stale namespace was started there by its topology.
  const inodes = new Set(staleNetns.map((n) => fs.statSync(netnsPath(n), { throwIfNoEntry: false })?.ino).filter((i) => i !== undefined).map((i) => `net:[${i}]`));
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let ns = '';
    try {
      ns = fs.readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      continue;
    }
    const argv = cmdlineOf(pid);
    const wgIf = argv[0] && path.basename(argv[0]) === 'wireguard-go' ? argv[1] : undefined;
    const ours = inodes.has(ns) || (wgIf !== undefined && stale(wgIf, 'iface')) || (argv[1] === SERVER_SCRIPT && staleDirs.some((d) => argv[2]?.startsWith(d + '/')));
    if (ours) victims.add(pid);
  }
  // Recorded pids count only if they still run what we started (pids get reused).
  for (const pid of stalePids) {
    const argv = cmdlineOf(pid);
    if (argv.length && (path.basename(argv[0]!) === 'wireguard-go' || argv[1] === SERVER_SCRIPT)) victims.add(pid);
  }
  await Promise.all([...victims].map((pid) => killOrphan(pid)));
  report.processes = [...victims];

  for (const n of staleNetns) {
    deleteNetns(n);
    report.namespaces.push(n);
  }
  let socks: string[] = [];
  try {
    socks = fs.readdirSync(WG_SOCKET_DIR).filter((f) => f.endsWith('.sock'));
  } catch {
    // no wireguard-go ever ran
  }
  for (const f of socks) {
    if (!stale(f.slice(0, -'.sock'.length), 'iface')) continue;
    fs.rmSync(path.join(WG_SOCKET_DIR, f), { force: true });
    report.sockets.push(f);
  }
  for (const d of staleDirs) {
    fs.rmSync(d, { recursive: true, force: true });
    report.dirs.push(d);
  }
  return report;
}
