// `lockne top`: pure helpers (formatting, sparkline, rates, sorting, state)
// and whole frames from a fake snapshot source — the plain --once frame on a
// non-TTY stream and the live ink view on fake TTY streams driven by keys.
// Pure: no root, no kernel.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PassThrough, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  applyError,
  applySnapshot,
  buildView,
  computeRates,
  cycleProfile,
  cycleSort,
  destinations,
  formatBytes,
  formatCount,
  formatRate,
  HISTORY_LENGTH,
  initialState,
  nextSortKey,
  plainFrame,
  runTop,
  SORT_KEYS,
  sortRows,
  sparkline,
  type AppRow,
  type ProfileRow,
  type RatedApp,
  type SortKey,
  type TopSnapshot,
} from '../src/tui/index.js';

function app(over: Partial<AppRow> & { pid: number }): AppRow {
  return {
    comm: `app${over.pid}`,
    profile: 'home',
    txBytes: 0n,
    rxBytes: 0n,
    txPackets: 0n,
    rxPackets: 0n,
    connections: 0,
    topDestinations: [],
    ...over,
  };
}

function profile(over: Partial<ProfileRow> & { name: string }): ProfileRow {
  return { iface: 'wg0', mode: 'include', tunnelUp: true, txBytes: 0n, rxBytes: 0n, apps: 0, connections: 0, ...over };
}

function snap(takenAtMs: number, apps: AppRow[], profiles: ProfileRow[] = []): TopSnapshot {
  return { takenAtMs, apps, profiles };
}

const ANSI = /\u001B\[[0-9;?]*[A-Za-z]/g;
const plain = (s: string): string => s.replace(ANSI, '');

describe('formatBytes / formatRate / formatCount', () => {
  test('byte counts in binary units, with the edge cases', () => {
    const cases: [bigint | number, string][] = [
      [0n, '0 B'],
      [0, '0 B'],
      [1n, '1 B'],
      [1023n, '1023 B'],
      [1024n, '1.0 KiB'],
      [1536n, '1.5 KiB'],
      [10239n, '10.0 KiB'],
      [102_359n, '100 KiB'], // 99.96 KiB rounds to 100: no "100.0"
      [1_047_552n, '1023 KiB'],
      [1_048_575n, '1.0 MiB'], // 1023.999 KiB would round to "1024 KiB"
      [1_048_576n, '1.0 MiB'],
      [5n * 1024n ** 3n, '5.0 GiB'],
      [2n ** 64n - 1n, '16.0 EiB'], // u64 max
      [1024n ** 7n, '1024 EiB'], // beyond the last unit: stays in EiB
      [2n ** 53n + 1n, '8.0 PiB'],
      [-2048n, '-2.0 KiB'],
      [0.4, '0 B'],
      [1023.6, '1.0 KiB'],
      [Number.NaN, '?'],
      [Number.POSITIVE_INFINITY, '?'],
    ];
    for (const [v, want] of cases) assert.equal(formatBytes(v), want, `formatBytes(${v})`);
  });

  test('rates: unknown is a dash, otherwise bytes per second', () => {
    assert.equal(formatRate(undefined), '–');
    assert.equal(formatRate(0), '0 B/s');
    assert.equal(formatRate(2048), '2.0 KiB/s');
    assert.equal(formatRate(12.7), '13 B/s');
  });

  test('packet counts', () => {
    assert.equal(formatCount(0n), '0');
    assert.equal(formatCount(999n), '999');
    assert.equal(formatCount(12_345n), '12.3k');
    assert.equal(formatCount(999_999n), '1.0M');
    assert.equal(formatCount(4_500_000_000n), '4.5G');
  });
});

describe('sparkline', () => {
  test('scales to the largest value shown', () => {
    assert.equal(sparkline([0, 1, 2, 4]), '▁▃▅█');
    assert.equal(sparkline([0, 7, 14, 21, 28, 35, 42, 49]), '▁▂▃▄▅▆▇█');
    assert.equal(sparkline([5, 5, 5]), '███');
  });

  test('all zero is a flat bottom line; nothing is empty', () => {
    assert.equal(sparkline([0, 0, 0]), '▁▁▁');
    assert.equal(sparkline([]), '');
    assert.equal(sparkline([1, 2], 0), '');
  });

  test('a trickle next to a burst stays visible; junk counts as zero', () => {
    assert.equal(sparkline([1, 1_000_000]), '▂█');
    assert.equal(sparkline([-5, Number.NaN, 4]), '▁▁█');
  });

  test('keeps the newest `width` values and rescales to them', () => {
    assert.equal(sparkline([100, 0, 1, 2], 3), '▁▅█');
    assert.equal(sparkline([1, 2], 10), '▅█');
  });
});

describe('computeRates', () => {
  test('bytes per second between two snapshots, per pid and per profile', () => {
    const prev = snap(1000, [app({ pid: 7, txBytes: 1000n, rxBytes: 0n })], [profile({ name: 'home', txBytes: 1000n })]);
    const cur = snap(3000, [app({ pid: 7, txBytes: 5096n, rxBytes: 8192n })], [profile({ name: 'home', txBytes: 9192n })]);
    const r = computeRates(prev, cur);
    assert.ok(r);
    assert.equal(r.intervalMs, 2000);
    assert.deepEqual(r.apps.get(7), { txBps: 2048, rxBps: 4096, reset: false });
    assert.deepEqual(r.profiles.get('home'), { txBps: 4096, rxBps: 0, reset: false });
  });

  test('no rate without an earlier snapshot', () => {
    const s = snap(1000, [app({ pid: 1, txBytes: 10n })]);
    assert.equal(computeRates(undefined, s), undefined);
    assert.equal(computeRates(s, s), undefined, 'same time');
    assert.equal(computeRates(snap(2000, []), s), undefined, 'clock went back');
  });

  test('a counter that goes down is a reset, never a negative rate', () => {
    const prev = snap(0, [app({ pid: 9, comm: 'curl', txBytes: 1_000_000n, rxBytes: 500n })], [profile({ name: 'p', rxBytes: 10_000n })]);
    const cur = snap(1000, [app({ pid: 9, comm: 'curl', txBytes: 300n, rxBytes: 700n })], [profile({ name: 'p', rxBytes: 50n })]);
    const r = computeRates(prev, cur)!;
    // tx restarted from zero: its whole new value counts; rx kept growing but the row is flagged.
    assert.deepEqual(r.apps.get(9), { txBps: 300, rxBps: 200, reset: true });
    assert.deepEqual(r.profiles.get('p'), { txBps: 0, rxBps: 50, reset: true });
  });

  test('a new pid counts from zero; a reused pid (other comm) is a reset; gone pids drop out', () => {
    const prev = snap(0, [app({ pid: 1, comm: 'old', txBytes: 9000n }), app({ pid: 2, txBytes: 5n })]);
    const cur = snap(500, [app({ pid: 1, comm: 'new', txBytes: 9500n }), app({ pid: 3, rxBytes: 100n })]);
    const r = computeRates(prev, cur)!;
    assert.deepEqual(r.apps.get(1), { txBps: 19000, rxBps: 0, reset: true });
    assert.deepEqual(r.apps.get(3), { txBps: 0, rxBps: 200, reset: true });
    assert.equal(r.apps.has(2), false);
  });
});

describe('sortRows', () => {
  const rows: RatedApp[] = [
    { app: app({ pid: 30, comm: 'b', connections: 1, txBytes: 10n }), rate: { txBps: 10, rxBps: 500, reset: false } },
    { app: app({ pid: 10, comm: 'c', connections: 9, txBytes: 99n }), rate: { txBps: 300, rxBps: 0, reset: false } },
    { app: app({ pid: 20, comm: 'a', connections: 4, txBytes: 50n }), rate: undefined },
  ];
  const pids = (key: (typeof SORT_KEYS)[number]): number[] => sortRows(rows, key).map((r) => r.app.pid);

  test('each sort column', () => {
    assert.deepEqual(pids('rate'), [30, 10, 20]);
    assert.deepEqual(pids('up'), [10, 30, 20]);
    assert.deepEqual(pids('down'), [30, 10, 20]); // 10 and 20 tie at 0: more bytes first
    assert.deepEqual(pids('total'), [10, 20, 30]);
    assert.deepEqual(pids('conns'), [10, 20, 30]);
    assert.deepEqual(pids('pid'), [10, 20, 30]);
    assert.deepEqual(pids('process'), [20, 30, 10]);
    assert.deepEqual(rows.map((r) => r.app.pid), [30, 10, 20], 'input untouched');
  });

  test('ties fall back to bytes, then pid', () => {
    const tied: RatedApp[] = [5, 3, 4].map((pid) => ({ app: app({ pid }), rate: undefined }));
    assert.deepEqual(sortRows(tied, 'rate').map((r) => r.app.pid), [3, 4, 5]);
  });

  test('s cycles through every column and wraps', () => {
    let k: SortKey = SORT_KEYS[0];
    const seen: SortKey[] = [k];
    for (let i = 1; i < SORT_KEYS.length; i++) seen.push((k = nextSortKey(k)));
    assert.deepEqual(seen, [...SORT_KEYS]);
    assert.equal(nextSortKey(k), SORT_KEYS[0]);
  });
});

describe('state', () => {
  test('sparkline history: one sample per refresh after the first, at most 60', () => {
    let s = initialState();
    for (let i = 0; i <= HISTORY_LENGTH + 5; i++) {
      s = applySnapshot(s, snap(i * 1000, [], [profile({ name: 'home', rxBytes: BigInt(i * i) })]));
    }
    const h = s.history.get('home')!;
    assert.equal(h.length, HISTORY_LENGTH);
    assert.equal(h.at(-1), 2 * (HISTORY_LENGTH + 5) - 1); // i² - (i-1)² bytes in one second
    // A profile that vanishes loses its history.
    s = applySnapshot(s, snap(1e6, [], [profile({ name: 'other' })]));
    assert.deepEqual([...s.history.keys()], ['other']);
    assert.deepEqual(s.history.get('other'), [0]);
  });

  test('an error keeps the last data and is cleared by the next good snapshot', () => {
    let s = applySnapshot(initialState(), snap(1000, [app({ pid: 1 })]));
    s = applyError(s, new Error('bpf_map_lookup_elem: ENOENT'), 2000);
    assert.equal(s.error?.message, 'bpf_map_lookup_elem: ENOENT');
    assert.equal(s.snapshot?.apps[0]?.pid, 1);
    s = applySnapshot(s, snap(3000, []));
    assert.equal(s.error, undefined);
  });

  test('p cycles all → each profile → all', () => {
    let s = applySnapshot(initialState(), snap(0, [app({ pid: 1, profile: 'stray' })], [profile({ name: 'a' }), profile({ name: 'b' })]));
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) seen.push((s = cycleProfile(s)).profileFilter);
    assert.deepEqual(seen, ['a', 'b', 'stray', undefined]);
    assert.equal(cycleSort(s).sort, 'up');
  });
});

describe('view', () => {
  test('destinations: three busiest, IPv6 bracketed, whole entries when narrow', () => {
    const a = app({
      pid: 1,
      topDestinations: [
        { addr: '1.1.1.1', port: 443, sockets: 2 },
        { addr: '2001:db8::1', port: 53, sockets: 1 },
        { addr: '10.0.0.1', port: 80, sockets: 1 },
        { addr: '10.0.0.2', port: 80, sockets: 1 },
      ],
    });
    assert.equal(destinations(a), '1.1.1.1:443×2, [2001:db8::1]:53, 10.0.0.1:80');
    assert.equal(destinations(a, 20), '1.1.1.1:443×2 +2');
  });

  test('an 80-column frame drops columns instead of overflowing', () => {
    const s = applySnapshot(
      initialState(),
      snap(0, [app({ pid: 4242, comm: 'firefox', topDestinations: [{ addr: '10.9.0.1', port: 443, sockets: 1 }] })], [profile({ name: 'home' })]),
    );
    const text = plainFrame(s, 80);
    for (const line of text.split('\n')) assert.ok(line.length <= 80, `too wide: ${JSON.stringify(line)}`);
    assert.match(text, /firefox +4242 home/);
    assert.match(text, /10\.9\.0\.1:443/);
    assert.doesNotMatch(text, /PKTS/);
  });

  test('rows beyond the terminal height become "… N more"', () => {
    const apps = Array.from({ length: 50 }, (_, i) => app({ pid: i + 1 }));
    const s = applySnapshot(initialState(), snap(0, apps, [profile({ name: 'home' })]));
    const v = buildView(s, { width: 120, height: 20, interactive: true });
    assert.ok(v.apps.length > 0 && v.apps.length < 50);
    assert.equal(v.apps.length + v.hiddenApps, 50);
  });
});

/** A source whose counters grow by 2048 B/s up and 4096 B/s down on a fake clock, 1 s per call. */
function fakeSource(opts: { failFrom?: number } = {}): { source: () => TopSnapshot; calls: () => number } {
  let n = 0;
  return {
    calls: () => n,
    source: () => {
      n++;
      if (opts.failFrom !== undefined && n >= opts.failFrom) throw new Error(`pinned map /sys/fs/bpf/lockne/app_stats: ENOENT (call ${n})`);
      const t = BigInt(n);
      return snap(
        1_700_000_000_000 + n * 1000,
        [
          app({
            pid: 4242,
            comm: 'firefox',
            profile: 'home',
            txBytes: 2048n * t,
            rxBytes: 4096n * t,
            txPackets: 3n * t,
            rxPackets: 5n * t,
            connections: 2,
            topDestinations: [{ addr: '10.200.0.2', port: 443, sockets: 2 }],
          }),
          app({ pid: 77, comm: 'steam', profile: 'games', connections: 1 }),
        ],
        [
          profile({ name: 'home', iface: 'lkwg0', tunnelUp: true, txBytes: 2048n * t, rxBytes: 4096n * t, apps: 1, connections: 2 }),
          profile({ name: 'games', iface: 'lkwg1', mode: 'exclude', tunnelUp: false, apps: 1, connections: 1 }),
        ],
      );
    },
  };
}

class FakeStdout extends Writable {
  text = '';
  constructor(readonly tty: boolean, readonly columns?: number, readonly rows?: number) {
    super();
  }
  get isTTY(): boolean {
    return this.tty;
  }
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** A terminal stdin: ink needs isTTY, setRawMode, ref/unref; keys are written into it. */
class FakeTtyStdin extends PassThrough {
  readonly isTTY = true;
  isRaw = false;
  setRawMode(on: boolean): this {
    this.isRaw = on;
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

const asOut = (s: Writable): NodeJS.WriteStream => s as unknown as NodeJS.WriteStream;
const asIn = (s: PassThrough): NodeJS.ReadStream => s as unknown as NodeJS.ReadStream;

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('runTop --once (plain frame)', () => {
  test('non-TTY stdout: one plain frame with a rate from two samples and the tunnel-down marker', async () => {
    const src = fakeSource();
    const out = new FakeStdout(false);
    const stdin = new PassThrough();
    // once is not set: without a TTY runTop must behave like --once anyway.
    const res = await runTop({ source: src.source, intervalMs: 5, stdout: asOut(out), stdin: asIn(stdin) });
    assert.deepEqual(res, { ok: true, interactive: false });
    assert.equal(src.calls(), 2, 'two samples for the rates');
    assert.doesNotMatch(out.text, /\u001B/, 'no escape codes in a plain frame');
    const lines = out.text.split('\n');
    const firefox = lines.find((l) => l.startsWith('firefox'));
    assert.ok(firefox, out.text);
    assert.match(firefox, /^firefox +4242 home +2\.0 KiB\/s +4\.0 KiB\/s +4\.0 KiB +8\.0 KiB +6\/10 +2 10\.200\.0\.2:443×2$/);
    assert.match(lines.find((l) => l.startsWith('games')) ?? '', /^games +lkwg1 +exclude DOWN .* ▁$/, 'all-zero sparkline');
    assert.match(lines.find((l) => l.startsWith('home')) ?? '', /^home +lkwg0 +include up +2\.0 KiB\/s +4\.0 KiB\/s .* █$/, "one sample: it is the maximum");
    assert.ok(lines.indexOf(firefox) < lines.findIndex((l) => l.startsWith('steam')), 'busiest first');
    assert.equal(stdin.listenerCount('readable'), 0, 'stdin untouched');
    assert.equal(out.text.endsWith('\n'), true);
  });

  test('once with a TTY stdout still prints one plain frame at the terminal width', async () => {
    const src = fakeSource();
    const out = new FakeStdout(true, 100, 30);
    const res = await runTop({ source: src.source, intervalMs: 0, once: true, stdout: asOut(out), stdin: asIn(new FakeTtyStdin()) });
    assert.equal(res.interactive, false);
    assert.equal(src.calls(), 1, 'interval 0: one sample');
    assert.match(out.text, /^firefox +4242 home +– +–/m, 'no rate from one sample');
    for (const line of out.text.split('\n')) assert.ok(line.length <= 100, line);
  });

  test('a failing read: the error line, the last good data, ok=false', async () => {
    const src = fakeSource({ failFrom: 2 });
    const out = new FakeStdout(false);
    const res = await runTop({ source: src.source, intervalMs: 5, once: true, stdout: asOut(out), stdin: asIn(new PassThrough()) });
    assert.equal(res.ok, false);
    assert.match(res.error ?? '', /app_stats: ENOENT \(call 2\)/);
    assert.match(out.text, /^error at \d\d:\d\d:\d\d: pinned map \/sys\/fs\/bpf\/lockne\/app_stats: ENOENT \(call 2\) \(showing the sample from /m);
    assert.match(out.text, /^firefox +4242/m);
  });

  test('a source that fails from the start still prints a frame', async () => {
    const out = new FakeStdout(false);
    const res = await runTop({
      source: () => {
        throw new Error('bpffs not mounted at /sys/fs/bpf');
      },
      intervalMs: 0,
      stdout: asOut(out),
      stdin: asIn(new PassThrough()),
    });
    assert.equal(res.ok, false);
    assert.match(out.text, /error at .*: bpffs not mounted at \/sys\/fs\/bpf\n/);
  });
});

describe('runTop live (ink on fake TTY streams)', () => {
  test('refreshes from the source, s and p change the view, q quits', async () => {
    const src = fakeSource();
    const out = new FakeStdout(true, 140, 40);
    const stdin = new FakeTtyStdin();
    const run = runTop({ source: src.source, intervalMs: 50, stdout: asOut(out), stdin: asIn(stdin) });
    await until(() => src.calls() >= 3, 'three samples');
    assert.equal(stdin.isRaw, true, 'raw mode for single keys');
    stdin.write('s');
    await sleep(30);
    stdin.write('p');
    await sleep(30);
    stdin.write('q');
    const res = await run;
    assert.deepEqual(res, { ok: true, interactive: true });
    assert.equal(stdin.isRaw, false, 'raw mode restored');
    const calls = src.calls();
    await sleep(120);
    assert.equal(src.calls(), calls, 'no sampling after quit');

    // The last frame ink wrote (in CI ink writes only that one).
    const text = plain(out.text);
    const last = text.slice(text.lastIndexOf('lockne top'));
    assert.match(last, /sort: rate ↑ · profile: home · 1 of 2 apps/);
    assert.match(last, /firefox +4242 home +2\.0 KiB\/s +4\.0 KiB\/s/);
    assert.doesNotMatch(last, /steam/, 'filtered to profile home');
    assert.match(last, /games +lkwg1 +exclude DOWN/);
    assert.match(last, /home +lkwg0 +include up .* [▁-█]{2,}/, 'sparkline with at least two samples');
    assert.match(last, /q quit · s sort · p profile filter/);
  });

  test('Ctrl-C quits too; a read error shows and keeps the last data', async () => {
    const src = fakeSource({ failFrom: 3 });
    const out = new FakeStdout(true, 140, 40);
    const stdin = new FakeTtyStdin();
    const run = runTop({ source: src.source, intervalMs: 50, stdout: asOut(out), stdin: asIn(stdin) });
    await until(() => src.calls() >= 3, 'the failing sample');
    stdin.write('\u0003');
    const res = await run;
    assert.equal(res.interactive, true);
    assert.equal(res.ok, false);
    const text = plain(out.text);
    const last = text.slice(text.lastIndexOf('lockne top'));
    assert.match(last, /error at .*: pinned map \/sys\/fs\/bpf\/lockne\/app_stats: ENOENT \(call \d+\) \(showing the sample from /);
    assert.match(last, /firefox +4242 home +2\.0 KiB\/s/, 'data from the last good sample');
  });

  test('an abort signal stops the live view', async () => {
    const src = fakeSource();
    const out = new FakeStdout(true, 120, 30);
    const ac = new AbortController();
    const run = runTop({ source: src.source, intervalMs: 50, stdout: asOut(out), stdin: asIn(new FakeTtyStdin()), signal: ac.signal });
    await until(() => src.calls() >= 2, 'two samples');
    ac.abort();
    const res = await run;
    assert.equal(res.ok, true);
    assert.match(plain(out.text), /firefox/);
  });

  test('a bad interval is refused with its value', async () => {
    await assert.rejects(runTop({ source: fakeSource().source, intervalMs: -1, stdout: asOut(new FakeStdout(false)) }), /intervalMs must be a finite number ≥ 0, got -1/);
  });
});
