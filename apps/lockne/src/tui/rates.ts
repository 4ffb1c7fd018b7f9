// Bytes per second from two consecutive snapshots of cumulative counters.

import type { AppRow, ProfileRow, TopSnapshot } from './model.js';

/** Upload (tx) and download (rx) rate in bytes per second. */
export interface Rate {
  txBps: number;
  rxBps: number;
  /**
   * True when the counters started again from zero in between: the key was
   * absent from the previous snapshot, a counter went down (the process or
   * the daemon's maps restarted), or the pid now names another process.
   */
  reset: boolean;
}

/** Rates for every app (by pid) and profile (by name) in the newer snapshot. */
export interface RateTable {
  /** Time between the two snapshots. */
  intervalMs: number;
  apps: Map<number, Rate>;
  profiles: Map<string, Rate>;
}

/**
 * Rates between `prev` and `cur`, keyed by pid and profile name, or undefined
 * when there is nothing to compare (no previous snapshot, or its time is not
 * before `cur`'s).
 *
 * A counter that went down is a reset, never a negative rate: it counted from
 * zero since the restart, which happened within the interval, so the rate is
 * its new value over the interval (Prometheus' rule). A key missing from
 * `prev` counts from zero the same way: it was created in between.
 *
 * @example
 * // app(...) stands for a full AppRow with these fields
 * const r = computeRates(
 *   { takenAtMs: 1000, profiles: [], apps: [app({ pid: 7, txBytes: 0n })] },
 *   { takenAtMs: 2000, profiles: [], apps: [app({ pid: 7, txBytes: 2048n })] });
 * r?.apps.get(7)?.txBps // 2048
 */
export function computeRates(prev: TopSnapshot | undefined, cur: TopSnapshot): RateTable | undefined {
  if (!prev) return undefined;
  const intervalMs = cur.takenAtMs - prev.takenAtMs;
  if (!(intervalMs > 0)) return undefined;

  const oldApps = new Map<number, AppRow>();
  for (const a of prev.apps) oldApps.set(a.pid, a);
  const apps = new Map<number, Rate>();
  for (const a of cur.apps) {
    const old = oldApps.get(a.pid);
    // Same pid, different name: the pid was reused by a new process.
    const before = old && old.comm === a.comm ? old : undefined;
    apps.set(a.pid, rateOf(before, a, intervalMs));
  }

  const oldProfiles = new Map<string, ProfileRow>();
  for (const p of prev.profiles) oldProfiles.set(p.name, p);
  const profiles = new Map<string, Rate>();
  for (const p of cur.profiles) profiles.set(p.name, rateOf(oldProfiles.get(p.name), p, intervalMs));

  return { intervalMs, apps, profiles };
}

interface Counters {
  txBytes: bigint;
  rxBytes: bigint;
}

function rateOf(before: Counters | undefined, now: Counters, intervalMs: number): Rate {
  const tx = delta(before?.txBytes, now.txBytes);
  const rx = delta(before?.rxBytes, now.rxBytes);
  return {
    txBps: (Number(tx.bytes) * 1000) / intervalMs,
    rxBps: (Number(rx.bytes) * 1000) / intervalMs,
    reset: tx.reset || rx.reset,
  };
}

function delta(before: bigint | undefined, now: bigint): { bytes: bigint; reset: boolean } {
  if (before === undefined || now < before) return { bytes: now < 0n ? 0n : now, reset: true };
  return { bytes: now - before, reset: false };
}

/** Upload plus download. */
export function totalRate(rate: Rate | undefined): number {
  return rate ? rate.txBps + rate.rxBps : 0;
}
