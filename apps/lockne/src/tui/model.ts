// The data `lockne top` shows: one snapshot of the pinned BPF maps, taken by
// the caller's SnapshotSource about once a second. Counters are cumulative
// (bytes/packets since the socket's owner started); rates are derived here by
// comparing consecutive snapshots (see rates.ts).

/** One process whose sockets Lockne routes, with its cumulative counters. */
export interface AppRow {
  pid: number;
  /** Process name (task comm, at most 15 characters). */
  comm: string;
  /** Name of the profile (tunnel) its sockets are marked for. */
  profile: string;
  txBytes: bigint;
  rxBytes: bigint;
  txPackets: bigint;
  rxPackets: bigint;
  /** Sockets currently open. */
  connections: number;
  /** Busiest destinations, busiest first (the view shows the first three). */
  topDestinations: { addr: string; port: number; sockets: number }[];
}

/** One profile (a tunnel plus a selection of apps) with its cumulative counters. */
export interface ProfileRow {
  name: string;
  /** Tunnel interface, e.g. "wg0". */
  iface: string;
  /** include: listed apps use the tunnel; exclude: listed apps bypass it. */
  mode: 'include' | 'exclude';
  tunnelUp: boolean;
  txBytes: bigint;
  rxBytes: bigint;
  apps: number;
  connections: number;
}

/** Everything one refresh shows. `takenAtMs` is when the maps were read (ms, e.g. Date.now()). */
export interface TopSnapshot {
  takenAtMs: number;
  profiles: ProfileRow[];
  apps: AppRow[];
}

/**
 * Produces the current snapshot. May throw: `lockne top` then shows the error
 * on one line, keeps the last good data, and tries again at the next refresh.
 *
 * @example
 * const source: SnapshotSource = () => ({ takenAtMs: Date.now(), profiles: [], apps: [] });
 */
export type SnapshotSource = () => TopSnapshot;
