// One reading of Lockne's maps, grouped per app (tgid) and per profile: what
// `lockne top` draws and `lockne status` summarises. Live sockets carry their
// own counters (read through the pinned socket iterator); closed sockets were
// folded into `apps` by sock_release, so an app's total = closed + live.
import { DIRECT_PROFILE } from '../kernel/layout.js';
import type { LockneMaps, SockInfoValue } from '../kernel/maps.js';
import { liveSockets } from './live-sockets.js';
import { addressText, portOf } from '../deploy/addresses.js';
import type { LockneState } from '../deploy/state.js';
import { commOf } from '../apps/procs.js';
import { tunnelState } from '../deploy/routing.js';
import type { AppRow, ProfileRow, TopSnapshot } from '../tui/model.js';

/** Name of a kernel profile value: the profile's name, or `direct` for excluded apps. */
export function profileName(state: LockneState, value: number): string {
  if (value === DIRECT_PROFILE) {
    const ex = state.profiles.find((p) => p.mode === 'exclude');
    return ex ? `direct (excluded from ${ex.name})` : 'direct';
  }
  return state.profiles.find((p) => p.index === value)?.name ?? `#${value}`;
}

interface AppAcc {
  row: AppRow;
  dests: Map<string, { addr: string; port: number; sockets: number }>;
}

export function takeSnapshot(state: LockneState, maps: Pick<LockneMaps, 'apps'>): TopSnapshot {
  const apps = new Map<number, AppAcc>();
  const acc = (pid: number, profile: number): AppAcc => {
    let a = apps.get(pid);
    if (!a) {
      a = {
        row: { pid, comm: commOf(pid), profile: profileName(state, profile), txBytes: 0n, rxBytes: 0n, txPackets: 0n, rxPackets: 0n, connections: 0, topDestinations: [] },
        dests: new Map(),
      };
      apps.set(pid, a);
    }
    return a;
  };
  const add = (a: AppAcc, v: Pick<SockInfoValue, 'txBytes' | 'rxBytes' | 'txPackets' | 'rxPackets'>): void => {
    a.row.txBytes += v.txBytes; a.row.rxBytes += v.rxBytes; a.row.txPackets += v.txPackets; a.row.rxPackets += v.rxPackets;
  };
  for (const [pid, closed] of maps.apps.entries()) add(acc(pid, closed.profile), closed);
  for (const s of liveSockets(state.pinDir)) {
    const a = acc(s.tgid, s.profile);
    add(a, s);
    a.row.connections++;
    if (s.dport !== 0) {
      const addr = addressText(s.family, s.dst);
      const key = `${addr}|${portOf(s.dport)}`;
      const d = a.dests.get(key) ?? { addr, port: portOf(s.dport), sockets: 0 };
      d.sockets++;
      a.dests.set(key, d);
    }
  }
  const rows = [...apps.values()].map((a) => {
    a.row.topDestinations = [...a.dests.values()].sort((x, y) => y.sockets - x.sockets).slice(0, 3);
    return a.row;
  });
  const profiles: ProfileRow[] = state.profiles.map((p) => {
    const mine = rows.filter((r) => r.profile === p.name);
    return {
      name: p.name, iface: p.via, mode: p.mode, tunnelUp: tunnelState(p.via) === 'up',
      txBytes: mine.reduce((s, r) => s + r.txBytes, 0n), rxBytes: mine.reduce((s, r) => s + r.rxBytes, 0n),
      apps: mine.length, connections: mine.reduce((s, r) => s + r.connections, 0),
    };
  });
  return { takenAtMs: Date.now(), profiles, apps: rows };
}
