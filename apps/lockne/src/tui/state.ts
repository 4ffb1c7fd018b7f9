// What `lockne top` remembers between refreshes, as pure transitions:
// a new snapshot, a failed read, and the s / p keys.

import type { TopSnapshot } from './model.js';
import { computeRates, totalRate, type RateTable } from './rates.js';
import { nextSortKey, type SortKey } from './sort.js';

/** How many rate samples each profile's sparkline keeps (about a minute at 1 s). */
export const HISTORY_LENGTH = 60;

export interface TopState {
  /** The newest snapshot read successfully. */
  snapshot: TopSnapshot | undefined;
  /** Rates between the two newest snapshots; undefined until there are two. */
  rates: RateTable | undefined;
  /** Per profile name, its recent total rates (oldest first, at most HISTORY_LENGTH). */
  history: ReadonlyMap<string, readonly number[]>;
  /** The last read failed with this; cleared by the next good snapshot. */
  error: { message: string; atMs: number } | undefined;
  sort: SortKey;
  /** Show only apps of this profile; undefined shows all. */
  profileFilter: string | undefined;
}

/**
 * The state before the first refresh.
 *
 * @example
 * let s = initialState();
 * s = applySnapshot(s, source());
 */
export function initialState(): TopState {
  return { snapshot: undefined, rates: undefined, history: new Map(), error: undefined, sort: 'rate', profileFilter: undefined };
}

/** Takes in a new snapshot: rates against the previous one, one more sparkline sample per profile. */
export function applySnapshot(state: TopState, snapshot: TopSnapshot, historyLength = HISTORY_LENGTH): TopState {
  const rates = computeRates(state.snapshot, snapshot);
  const history = new Map<string, readonly number[]>();
  // Profiles that disappeared lose their history; new ones start empty.
  for (const p of snapshot.profiles) {
    const old = state.history.get(p.name) ?? [];
    const rate = rates?.profiles.get(p.name);
    history.set(p.name, rate ? [...old, totalRate(rate)].slice(-historyLength) : old);
  }
  return { ...state, snapshot, rates, history, error: undefined };
}

/** Records a failed read; the last good data stays on screen. */
export function applyError(state: TopState, err: unknown, atMs: number): TopState {
  return { ...state, error: { message: errorMessage(err), atMs } };
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** `s`: the next sort column. */
export function cycleSort(state: TopState): TopState {
  return { ...state, sort: nextSortKey(state.sort) };
}

/**
 * Profile names the `p` key cycles through: the snapshot's profiles in order,
 * then any profile named only by an app.
 */
export function profileNames(snapshot: TopSnapshot | undefined): string[] {
  if (!snapshot) return [];
  const names: string[] = [];
  const seen = new Set<string>();
  const add = (n: string): void => {
    if (!seen.has(n)) {
      seen.add(n);
      names.push(n);
    }
  };
  for (const p of snapshot.profiles) add(p.name);
  for (const a of snapshot.apps) add(a.profile);
  return names;
}

/** `p`: all → first profile → … → last profile → all. */
export function cycleProfile(state: TopState): TopState {
  const names = profileNames(state.snapshot);
  const at = state.profileFilter === undefined ? -1 : names.indexOf(state.profileFilter);
  // A filter whose profile vanished restarts the cycle at the first profile.
  const next = at + 1 < names.length ? names[at + 1] : undefined;
  return { ...state, profileFilter: next };
}
