// Turns the state into the text of one frame: every cell already formatted,
// columns chosen to fit the width. Pure, so the layout is testable without a
// terminal; frame.tsx only places these strings.

import type { AppRow, ProfileRow } from './model.js';
import { formatBytes, formatCount, formatRate } from './format.js';
import { sparkline } from './sparkline.js';
import { sortRows, SORT_LABELS } from './sort.js';
import { HISTORY_LENGTH, type TopState } from './state.js';

export interface Column {
  title: string;
  width: number;
  align: 'left' | 'right';
}

export interface ProfileLine {
  cells: string[];
  tunnelUp: boolean;
  /** The profile the app table is filtered to. */
  selected: boolean;
}

export interface TopView {
  /** "lockne top · 12:00:01 · every 1 s" */
  title: string;
  /** "sort: rate ↑+↓ · profile: all · 3 of 3 apps" */
  status: string;
  /** One line when the last read failed. */
  error: string | undefined;
  profileColumns: Column[];
  profiles: ProfileLine[];
  appColumns: Column[];
  apps: string[][];
  /** Shown instead of rows when there are none. */
  emptyMessage: string | undefined;
  /** Rows left out for lack of height. */
  hiddenApps: number;
  /** Key help; undefined in --once frames. */
  help: string | undefined;
}

export interface ViewOptions {
  /** Terminal width in columns. */
  width: number;
  /** Terminal height; undefined shows every app (the --once frame). */
  height?: number;
  /** Refresh interval shown in the title. */
  intervalMs?: number;
  /** Whether to show the key help line (live mode). */
  interactive?: boolean;
}

/** The tunnel column's text for a profile whose tunnel is down. */
export const TUNNEL_DOWN = 'DOWN';
export const TUNNEL_UP = 'up';

const GAP = 1;

interface ColumnSpec<T> extends Column {
  /** Columns with a higher number are left out first when the width is short; 0 = always. */
  dropOrder: number;
  cell: (row: T) => string;
}

type RatedProfile = { p: ProfileRow; state: TopState };
type RatedAppRow = { a: AppRow; state: TopState };

const PROFILE_COLUMNS: ColumnSpec<RatedProfile>[] = [
  { title: 'PROFILE', width: 12, align: 'left', dropOrder: 0, cell: ({ p }) => p.name },
  { title: 'IFACE', width: 10, align: 'left', dropOrder: 4, cell: ({ p }) => p.iface },
  { title: 'MODE', width: 7, align: 'left', dropOrder: 5, cell: ({ p }) => p.mode },
  { title: 'TUNNEL', width: 6, align: 'left', dropOrder: 0, cell: ({ p }) => (p.tunnelUp ? TUNNEL_UP : TUNNEL_DOWN) },
  { title: '↑/s', width: 10, align: 'right', dropOrder: 0, cell: ({ p, state }) => formatRate(state.rates?.profiles.get(p.name)?.txBps) },
  { title: '↓/s', width: 10, align: 'right', dropOrder: 0, cell: ({ p, state }) => formatRate(state.rates?.profiles.get(p.name)?.rxBps) },
  { title: '↑TOTAL', width: 8, align: 'right', dropOrder: 3, cell: ({ p }) => formatBytes(p.txBytes) },
  { title: '↓TOTAL', width: 8, align: 'right', dropOrder: 3, cell: ({ p }) => formatBytes(p.rxBytes) },
  { title: 'APPS', width: 4, align: 'right', dropOrder: 2, cell: ({ p }) => String(p.apps) },
  { title: 'CONNS', width: 5, align: 'right', dropOrder: 2, cell: ({ p }) => String(p.connections) },
];

const APP_COLUMNS: ColumnSpec<RatedAppRow>[] = [
  { title: 'PROCESS', width: 15, align: 'left', dropOrder: 0, cell: ({ a }) => a.comm },
  { title: 'PID', width: 7, align: 'right', dropOrder: 0, cell: ({ a }) => String(a.pid) },
  { title: 'PROFILE', width: 10, align: 'left', dropOrder: 0, cell: ({ a }) => a.profile },
  { title: '↑/s', width: 10, align: 'right', dropOrder: 0, cell: ({ a, state }) => formatRate(state.rates?.apps.get(a.pid)?.txBps) },
  { title: '↓/s', width: 10, align: 'right', dropOrder: 0, cell: ({ a, state }) => formatRate(state.rates?.apps.get(a.pid)?.rxBps) },
  { title: '↑TOTAL', width: 8, align: 'right', dropOrder: 3, cell: ({ a }) => formatBytes(a.txBytes) },
  { title: '↓TOTAL', width: 8, align: 'right', dropOrder: 3, cell: ({ a }) => formatBytes(a.rxBytes) },
  { title: 'PKTS ↑/↓', width: 11, align: 'right', dropOrder: 5, cell: ({ a }) => `${formatCount(a.txPackets)}/${formatCount(a.rxPackets)}` },
  { title: 'CONNS', width: 5, align: 'right', dropOrder: 4, cell: ({ a }) => String(a.connections) },
];

/** The flexible last columns: at most this wide, left out below their minimum. */
const SPARK = { title: 'RECENT RATE', min: 10, max: HISTORY_LENGTH, dropOrder: 1 };
const DESTS = { title: 'TOP DESTINATIONS', min: 20, max: 80, dropOrder: 2 };

/**
 * The frame for `state` at the given terminal size.
 *
 * @example
 * const view = buildView(state, { width: 120, height: 40, interactive: true });
 * view.apps[0]?.[0] // the busiest app's process name
 */
export function buildView(state: TopState, opts: ViewOptions): TopView {
  const snap = state.snapshot;
  const width = Math.max(20, opts.width);

  const prof = fitColumns(PROFILE_COLUMNS, SPARK, width);
  const profiles: ProfileLine[] = (snap?.profiles ?? []).map((p) => {
    const cells = prof.fixed.map((c) => c.cell({ p, state }));
    if (prof.flexWidth > 0) cells.push(sparkline(state.history.get(p.name) ?? [], prof.flexWidth));
    return { cells, tunnelUp: p.tunnelUp, selected: p.name === state.profileFilter };
  });

  const app = fitColumns(APP_COLUMNS, DESTS, width);
  const all = snap?.apps ?? [];
  const filtered = state.profileFilter === undefined ? all : all.filter((a) => a.profile === state.profileFilter);
  const sorted = sortRows(
    filtered.map((a) => ({ app: a, rate: state.rates?.apps.get(a.pid) })),
    state.sort,
  );

  // Lines other than app rows: title, status, [error], blank, profile header +
  // rows, blank, app header, [more], [help]; one spare so the cursor line fits.
  let room = Number.POSITIVE_INFINITY;
  if (opts.height !== undefined) {
    const fixedLines = 2 + (state.error ? 1 : 0) + 1 + 1 + profiles.length + 1 + 1 + 1 + (opts.interactive ? 1 : 0) + 1;
    room = Math.max(1, opts.height - fixedLines);
  }
  const shown = sorted.length > room ? sorted.slice(0, room) : sorted;
  const apps = shown.map(({ app: a }) => {
    const cells = app.fixed.map((c) => c.cell({ a, state }));
    if (app.flexWidth > 0) cells.push(destinations(a, app.flexWidth));
    return cells;
  });

  return {
    title: title(state, opts.intervalMs),
    status: status(state, filtered.length, all.length),
    error: state.error ? errorLine(state) : undefined,
    profileColumns: prof.columns,
    profiles,
    appColumns: app.columns,
    apps,
    emptyMessage: emptyMessage(state, all.length),
    hiddenApps: sorted.length - shown.length,
    help: opts.interactive ? 'q quit · s sort · p profile filter' : undefined,
  };
}

interface Flex {
  title: string;
  min: number;
  max: number;
  dropOrder: number;
}

/** Leaves out columns by dropOrder until the row fits; the flex column gets what remains. */
function fitColumns<T>(specs: ColumnSpec<T>[], flex: Flex, width: number): { fixed: ColumnSpec<T>[]; columns: Column[]; flexWidth: number } {
  let fixed = specs;
  let withFlex = true;
  const used = (): number => fixed.reduce((n, c) => n + c.width + GAP, 0);
  const orders = [...new Set([...specs.map((c) => c.dropOrder), flex.dropOrder])].filter((o) => o > 0).sort((a, b) => b - a);
  // Every column, the flexible last one included, is followed by a GAP.
  for (const order of orders) {
    if (used() + (withFlex ? flex.min + GAP : 0) <= width) break;
    fixed = fixed.filter((c) => c.dropOrder !== order);
    if (flex.dropOrder === order) withFlex = false;
  }
  const flexWidth = withFlex ? Math.max(0, Math.min(flex.max, width - used() - GAP)) : 0;
  const columns: Column[] = fixed.map(({ title, width: w, align }) => ({ title, width: w, align }));
  if (flexWidth > 0) columns.push({ title: flex.title, width: flexWidth, align: 'left' });
  return { fixed, columns, flexWidth };
}

/**
 * The three busiest destinations, "addr:port×sockets" (IPv6 in brackets). With
 * a width, only whole entries that fit are listed and "+N" counts the rest; a
 * first entry that does not fit at all is shown truncated by the frame.
 *
 * @example
 * destinations(app)      // "1.1.1.1:443×2, [2001:db8::1]:53"
 * destinations(app, 20)  // "1.1.1.1:443×2 +1"
 */
export function destinations(a: AppRow, width = Number.POSITIVE_INFINITY): string {
  const entries = a.topDestinations.slice(0, 3).map((d) => {
    const host = d.addr.includes(':') ? `[${d.addr}]` : d.addr;
    return `${host}:${d.port}${d.sockets > 1 ? `×${d.sockets}` : ''}`;
  });
  const full = entries.join(', ');
  if (full.length <= width || entries.length <= 1) return full;
  for (let n = entries.length - 1; n >= 1; n--) {
    const text = `${entries.slice(0, n).join(', ')} +${entries.length - n}`;
    if (text.length <= width) return text;
  }
  return entries[0]!;
}

function title(state: TopState, intervalMs: number | undefined): string {
  const parts = ['lockne top'];
  if (state.snapshot) parts.push(clock(state.snapshot.takenAtMs));
  if (intervalMs !== undefined && intervalMs > 0) parts.push(`every ${interval(intervalMs)}`);
  return parts.join(' · ');
}

function status(state: TopState, shown: number, total: number): string {
  const profile = state.profileFilter ?? 'all';
  const rates = state.rates ? '' : ' · rates after the next sample';
  return `sort: ${SORT_LABELS[state.sort]} · profile: ${profile} · ${shown} of ${total} apps${rates}`;
}

function errorLine(state: TopState): string {
  const e = state.error!;
  const since = state.snapshot ? ` (showing the sample from ${clock(state.snapshot.takenAtMs)})` : '';
  return `error at ${clock(e.atMs)}: ${e.message}${since}`;
}

function emptyMessage(state: TopState, total: number): string | undefined {
  if (!state.snapshot) return state.error ? undefined : 'waiting for the first sample';
  if (total === 0) return 'no routed apps';
  if (state.profileFilter !== undefined && !state.snapshot.apps.some((a) => a.profile === state.profileFilter)) {
    return `no apps in profile ${state.profileFilter}`;
  }
  return undefined;
}

function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function interval(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}
