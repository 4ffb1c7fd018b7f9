// Orders of the app table; `s` cycles through them.

import type { AppRow } from './model.js';
import { totalRate, type Rate } from './rates.js';

/** An app with its rate (undefined until two snapshots have been seen). */
export interface RatedApp {
  app: AppRow;
  rate: Rate | undefined;
}

/** Sort columns in the order the `s` key cycles through them. */
export const SORT_KEYS = ['rate', 'up', 'down', 'total', 'conns', 'pid', 'process'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** How the header names each order. */
export const SORT_LABELS: Record<SortKey, string> = {
  rate: 'rate ↑+↓',
  up: 'rate ↑',
  down: 'rate ↓',
  total: 'total bytes',
  conns: 'connections',
  pid: 'pid',
  process: 'process',
};

/**
 * The sort column after `key` (wrapping around).
 *
 * @example
 * nextSortKey('rate') // "up"
 */
export function nextSortKey(key: SortKey): SortKey {
  return SORT_KEYS[(SORT_KEYS.indexOf(key) + 1) % SORT_KEYS.length]!;
}

/**
 * A sorted copy: rates, totals and connections largest first; pid and process
 * name ascending. Ties fall back to total bytes (largest first), then pid, so
 * rows do not jump around between refreshes.
 *
 * @example
 * sortRows(rows, 'rate')[0] // the app moving the most bytes per second
 */
export function sortRows(rows: readonly RatedApp[], key: SortKey): RatedApp[] {
  const primary = COMPARE[key];
  return [...rows].sort((a, b) => primary(a, b) || byTotalBytes(a, b) || a.app.pid - b.app.pid);
}

type Compare = (a: RatedApp, b: RatedApp) => number;

const desc = (x: number, y: number): number => (x === y ? 0 : x < y ? 1 : -1);
const totalBytes = (r: RatedApp): bigint => r.app.txBytes + r.app.rxBytes;
const byTotalBytes: Compare = (a, b) => {
  const x = totalBytes(a);
  const y = totalBytes(b);
  return x === y ? 0 : x < y ? 1 : -1;
};

const COMPARE: Record<SortKey, Compare> = {
  rate: (a, b) => desc(totalRate(a.rate), totalRate(b.rate)),
  up: (a, b) => desc(a.rate?.txBps ?? 0, b.rate?.txBps ?? 0),
  down: (a, b) => desc(a.rate?.rxBps ?? 0, b.rate?.rxBps ?? 0),
  total: byTotalBytes,
  conns: (a, b) => desc(a.app.connections, b.app.connections),
  pid: (a, b) => a.app.pid - b.app.pid,
  process: (a, b) => (a.app.comm < b.app.comm ? -1 : a.app.comm > b.app.comm ? 1 : 0),
};
