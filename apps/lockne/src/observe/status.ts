// `lockne status`: what is deployed (profiles, marks, tables, tunnels) and
// which apps are routed now (from the kernel's socket map and the cgroups).
import { openMaps } from '../kernel/maps.js';
import { cgroupPids } from '../deploy/cgroups.js';
import { tunnelState, type TunnelState } from '../deploy/routing.js';
import type { LockneState } from '../deploy/state.js';
import { commOf } from '../apps/procs.js';
import { takeSnapshot } from './snapshot.js';

export interface ProfileStatus {
  name: string;
  via: string;
  tunnel: TunnelState;
  mode: 'include' | 'exclude';
  mark: string;
  table: number;
  dns: string[];
  killSwitch: boolean;
  adHoc: boolean;
  cgroup: string;
  /** Processes in the profile's cgroup (lockne run / attach). */
  processes: { pid: number; comm: string }[];
}

export interface StatusReport {
  up: boolean;
  pinDir: string;
  scope?: string;
  profiles: ProfileStatus[];
  exeRules: { path: string; profile: string }[];
  /** Apps with routed sockets now (any way they were matched). */
  apps: { pid: number; comm: string; profile: string; sockets: number; txBytes: bigint; rxBytes: bigint }[];
  sockets: number;
}

export function statusReport(state: LockneState | undefined, pinDir: string): StatusReport {
  if (!state) return { up: false, pinDir, profiles: [], exeRules: [], apps: [], sockets: 0 };
  const maps = openMaps(state.pinDir);
  try {
    const snap = takeSnapshot(state, maps);
    return {
      up: true, pinDir: state.pinDir, scope: state.scope,
      profiles: state.profiles.map((p) => ({
        name: p.name, via: p.via, tunnel: tunnelState(p.via), mode: p.mode, mark: `0x${p.mark.toString(16)}`, table: p.table,
        dns: [p.dns4, p.dns6].filter((d): d is string => !!d), killSwitch: p.killSwitch, adHoc: p.adHoc, cgroup: p.cgroup,
        processes: cgroupPids(p.cgroup).map((pid) => ({ pid, comm: commOf(pid) })),
      })),
      exeRules: state.exeRules.map((r) => ({ path: r.path, profile: r.profile })),
      apps: snap.apps.filter((a) => a.connections > 0).map((a) => ({ pid: a.pid, comm: a.comm, profile: a.profile, sockets: a.connections, txBytes: a.txBytes, rxBytes: a.rxBytes })),
      sockets: snap.apps.reduce((s, a) => s + a.connections, 0),
    };
  } finally {
    maps.close();
  }
}

export function printStatus(r: StatusReport, out: NodeJS.WritableStream): void {
  if (!r.up) { out.write(`lockne: not up (${r.pinDir})\n`); return; }
  out.write(`lockne: up (pins ${r.pinDir}, cgroup ${r.scope ?? '?'})\n`);
  for (const p of r.profiles) {
    out.write(`  ${p.name}: ${p.mode} via ${p.via} [${p.tunnel}] mark ${p.mark} table ${p.table}${p.dns.length ? ` dns ${p.dns.join(' ')}` : ''}${p.killSwitch ? ' kill-switch' : ''}${p.adHoc ? ' (ad hoc)' : ''}\n`);
    for (const q of p.processes) out.write(`    ${q.pid} ${q.comm}\n`);
  }
  for (const e of r.exeRules) out.write(`  rule ${e.path} → ${e.profile}\n`);
  out.write(`  ${r.sockets} routed sockets\n`);
  for (const a of r.apps) out.write(`    ${a.pid} ${a.comm} (${a.profile}): ${a.sockets} sockets, ↑${a.txBytes} B ↓${a.rxBytes} B\n`);
}
