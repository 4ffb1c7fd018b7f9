// Request latency and throughput over the same wireguard-go tunnel, the app
// routed three ways: by Lockne (`lockne run`), by SO_MARK set by hand (the
// same mark, rules and table; no Lockne program runs for it), and through a
// userspace SOCKS proxy (microsocks bound to the tunnel, the app under
// proxychains4). The same client binary (lkb_net) in all three, in command
// mode, one process per variant per epoch; a driver (this module)
// interleaves them finely — a block of a few exchanges per variant in turn,
// the order rotating — so load drifting on the shared machine hits all three
// alike (process-per-run rounds on these VMs swung ±50 % between rounds), and
// restarts them every epoch, so one process's or connection's placement
// (next to wireguard-go's threads or not) does not bias a whole run.
import { spawn } from 'node:child_process';
import { median, quantile, round } from '../lib/stats.mjs';
import { killChild, tunnelBytes } from './world.mjs';

export const VARIANTS = ['lockne', 'somark', 'socks'];
/** Lockne vs SO_MARK: equal within 3 %. */
export const GOAL_EQUAL = 0.03;
/** Lockne's added latency (over SO_MARK) at most a tenth of the SOCKS proxy's. */
export const GOAL_LATENCY_FACTOR = 10;

/** A running `lkb_net cmds` client: one command line in, one JSON line out. */
class Driver {
  constructor(variant, argv) {
    this.variant = variant;
    this.child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.buffer = '';
    this.waiting = null;
    this.stderr = '';
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (d) => {
      this.buffer += d;
      this.#deliver();
    });
    this.child.stderr.on('data', (d) => { this.stderr = (this.stderr + d).slice(-2000); });
    this.child.on('exit', (code, sig) => {
      this.exited = `exited ${code ?? sig}`;
      this.waiting?.reject(new Error(`bench lockne: ${variant} client ${this.exited}: ${this.stderr.trim()}`));
      this.waiting = null;
    });
    this.child.stdin.on('error', () => {}); // reported through 'exit'
  }

  #deliver() {
    const nl = this.buffer.indexOf('\n');
    if (nl < 0 || !this.waiting) return;
    const line = this.buffer.slice(0, nl);
    this.buffer = this.buffer.slice(nl + 1);
    const w = this.waiting;
    this.waiting = null;
    try {
      const j = JSON.parse(line);
      if (j.error) throw new Error(`bench lockne: ${this.variant} client: ${j.error} (command '${w.line}')`);
      w.resolve(j);
    } catch (e) {
      w.reject(e instanceof SyntaxError ? new Error(`bench lockne: ${this.variant} client printed '${line.slice(0, 200)}' for '${w.line}'`) : e);
    }
  }

  /** Send one command; resolves with its JSON answer. */
  cmd(line) {
    if (this.exited) return Promise.reject(new Error(`bench lockne: ${this.variant} client ${this.exited}: ${this.stderr.trim()}`));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject, line };
      this.child.stdin.write(`${line}\n`);
      this.#deliver();
    });
  }

  /** End its stdin (it exits); SIGTERM/SIGKILL if it lingers. */
  async close() {
    this.child.stdin.end();
    const t = setTimeout(() => killChild(this.child), 3000);
    await new Promise((r) => (this.exited ? r() : this.child.once('exit', r)));
    clearTimeout(t);
  }
}

/** Run a command and check that its payload crossed the tunnel (else the variant was not routed as claimed). */
async function checked(w, d, line, min) {
  const before = tunnelBytes(w);
  const j = await d.cmd(line);
  const after = tunnelBytes(w);
  const moved = { rx: after.rx - before.rx, tx: after.tx - before.tx };
  for (const [dir, bytes] of Object.entries(min(j))) {
    if (moved[dir] < bytes) throw new Error(`bench lockne: ${d.variant} '${line}': ${bytes} bytes of payload but only ${moved[dir]} ${dir} bytes on the tunnel: not routed through it`);
  }
  return { ...j, tunnelBytes: moved };
}

const rotate = (i) => VARIANTS.map((_, k) => VARIANTS[(k + i) % VARIANTS.length]);
const spread = (xs) => ({ median: median(xs), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75) });
const roundAll = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v, 4)]));

/** Per variant: what the blocks gave, and which epoch each block ran in. */
function accumulator() {
  return { epochs: [], ...Object.fromEntries(VARIANTS.map((v) => [v, { blocks: [], samples: [], byEpoch: [] }])) };
}

/**
 * `blocks` blocks of `per` exchanges per variant (one warm-up block first,
 * dropped), interleaved, the order rotating; appended to `acc`.
 */
async function collectLatency(drivers, acc, epoch, { test, blocks, per, size }) {
  for (let b = 0; b <= blocks; b++) {
    for (const v of rotate(b)) {
      const j = await drivers[v].cmd(`${test} ${per} ${size}`);
      if (b === 0) continue;
      acc[v].samples.push(...j.ns);
      acc[v].blocks.push(median(j.ns));
      (acc[v].byEpoch[epoch] ??= []).push(...j.ns);
    }
    if (b > 0) acc.epochs.push(epoch);
  }
}

/** Bulk blocks of `ms` per variant on a connection each keeps open, interleaved; each checked to have crossed the tunnel. */
async function collectThroughput(w, drivers, acc, epoch, { test, blocks, ms }) {
  const min = test === 'up' ? (j) => ({ tx: j.bytes }) : (j) => ({ rx: j.bytes });
  for (let b = 0; b <= blocks; b++) {
    for (const v of rotate(b)) {
      const j = await checked(w, drivers[v], `b${test} ${ms}`, min);
      if (b === 0) continue;
      acc[v].blocks.push(j.bitsPerSecond);
      (acc[v].byEpoch[epoch] ??= []).push(j.bitsPerSecond);
      acc[v].samples.push({ bytes: j.bytes, ns: j.ns, tunnel: j.tunnelBytes });
    }
    if (b > 0) acc.epochs.push(epoch);
  }
}

/** Lockne / SO_MARK within each epoch (ratio of its medians): how far a whole epoch strays. */
function perEpoch(acc, epochs) {
  return Array.from({ length: epochs }, (_, e) => round(median(acc.lockne.byEpoch[e]) / median(acc.somark.byEpoch[e]), 4));
}

/**
 * Latency: the median of every sample per variant; Lockne / SO_MARK within
 * ±3 %; Lockne's added latency over SO_MARK at most a tenth of SOCKS'.
 */
function summariseLatency(acc, { test, label, blocks, per, size, epochs }) {
  const med = Object.fromEntries(VARIANTS.map((v) => [v, median(acc[v].samples)]));
  const p90 = Object.fromEntries(VARIANTS.map((v) => [v, quantile(acc[v].samples, 0.9)]));
  const b = Object.fromEntries(VARIANTS.map((v) => [v, acc[v].blocks]));
  const paired = (f) => roundAll(spread(b.lockne.map((_, i) => f(i))));
  const ratio = med.lockne / med.somark;
  const lockneAdded = med.lockne - med.somark;
  const socksAdded = med.socks - med.somark;
  return {
    test, kind: 'latency', label, unit: 'ns (median of all exchanges)', epochs, blocksPerEpoch: blocks, perBlock: per, size,
    medians: med, p90, samplesPerVariant: acc.lockne.samples.length, blockMedians: b, blockEpochs: acc.epochs,
    lockneVsSomark: {
      ratioOfMedians: round(ratio, 4), goal: `within ±${GOAL_EQUAL * 100} %`, met: Math.abs(ratio - 1) <= GOAL_EQUAL,
      pairedPerBlock: paired((i) => b.lockne[i] / b.somark[i]),
      perEpoch: perEpoch(acc, epochs),
    },
    socksVsSomark: { ratioOfMedians: round(med.socks / med.somark, 4), pairedPerBlock: paired((i) => b.socks[i] / b.somark[i]) },
    addedLatency: {
      lockneNs: round(lockneAdded, 1), socksNs: round(socksAdded, 1),
      pairedPerBlock: { lockneNs: paired((i) => b.lockne[i] - b.somark[i]), socksNs: paired((i) => b.socks[i] - b.somark[i]) },
      // Lockne adding nothing measurable (≤ 0) makes the factor unbounded: null, met if SOCKS adds anything.
      factor: lockneAdded > 0 ? round(socksAdded / lockneAdded, 1) : null,
      goal: `Lockne adds ≥ ${GOAL_LATENCY_FACTOR}× less than SOCKS`,
      met: socksAdded > 0 && lockneAdded * GOAL_LATENCY_FACTOR <= socksAdded,
    },
  };
}

/** Throughput: the median of the blocks' rates per variant; Lockne / SO_MARK within ±3 %. */
function summariseThroughput(acc, { test, label, blocks, ms, epochs }) {
  const values = Object.fromEntries(VARIANTS.map((v) => [v, acc[v].blocks]));
  const med = Object.fromEntries(VARIANTS.map((v) => [v, median(values[v])]));
  const overall = Object.fromEntries(VARIANTS.map((v) => {
    const s = acc[v].samples;
    return [v, round(s.reduce((a, x) => a + x.bytes, 0) * 8e9 / s.reduce((a, x) => a + x.ns, 0), 0)];
  }));
  const paired = (a) => roundAll(spread(values[a].map((x, i) => x / values.somark[i])));
  const ratio = med.lockne / med.somark;
  return {
    test, kind: 'throughput', label, unit: 'bit/s (median of blocks)', epochs, blocksPerEpoch: blocks, ms, medians: med, overallBitsPerSecond: overall,
    values, blockEpochs: acc.epochs, tunnelBytes: Object.fromEntries(VARIANTS.map((v) => [v, acc[v].samples.map((x) => x.tunnel)])),
    lockneVsSomark: {
      ratioOfMedians: round(ratio, 4), goal: `within ±${GOAL_EQUAL * 100} %`, met: Math.abs(ratio - 1) <= GOAL_EQUAL,
      pairedPerBlock: paired('lockne'), overallRatio: round(overall.lockne / overall.somark, 4),
      perEpoch: perEpoch(acc, epochs),
    },
    socksVsSomark: { ratioOfMedians: round(med.socks / med.somark, 4), pairedPerBlock: paired('socks'), overallRatio: round(overall.socks / overall.somark, 4) },
  };
}

/**
 * `c.epochs` epochs; in each, the three clients are started afresh (new
 * processes, new connections: whatever placement one draws is not kept for
 * the whole run), checked to send through the tunnel, then rr, crr (latency)
 * and up, down (throughput) run interleaved. Figures pool all epochs.
 */
export async function compareRouting(w, c, log) {
  const tests = [
    { test: 'rr', kind: 'latency', label: `request/response on an open connection, ${c.size} B each way`, blocks: c.rrBlocks, per: c.rrPer, size: c.size },
    { test: 'crr', kind: 'latency', label: `connect + request/response + close, ${c.size} B`, blocks: c.crrBlocks, per: c.crrPer, size: c.size },
    { test: 'up', kind: 'throughput', label: `bulk upload on an open connection, ${c.tputMs} ms blocks`, blocks: c.tputBlocks, ms: c.tputMs },
    { test: 'down', kind: 'throughput', label: `bulk download on an open connection, ${c.tputMs} ms blocks`, blocks: c.tputBlocks, ms: c.tputMs },
  ].map((t) => ({ ...t, epochs: c.epochs }));
  const acc = Object.fromEntries(tests.map((t) => [t.test, accumulator()]));
  const checks = [];
  for (let e = 0; e < c.epochs; e++) {
    const drivers = {};
    try {
      for (const v of VARIANTS) {
        drivers[v] = new Driver(v, w.variants[v](['cmds', w.server, w.port]));
        w.cleanup.add(`${v} client`, () => drivers[v].close());
      }
      const check = {};
      for (const v of VARIANTS) {
        check[v] = {
          rr: (await checked(w, drivers[v], `rr 200 ${c.size}`, () => ({ tx: 200 * c.size }))).tunnelBytes,
          crr: (await checked(w, drivers[v], `crr 20 ${c.size}`, () => ({ tx: 20 * c.size }))).tunnelBytes,
        };
      }
      checks.push(check);
      for (const t of tests) {
        if (t.kind === 'latency') await collectLatency(drivers, acc[t.test], e, t);
        else await collectThroughput(w, drivers, acc[t.test], e, t);
      }
    } finally {
      await Promise.all(Object.values(drivers).map((d) => d.close()));
    }
    log(`epoch ${e + 1}/${c.epochs} done (every variant's traffic crossed the tunnel)`);
  }
  const out = tests.map((t) => (t.kind === 'latency' ? summariseLatency(acc[t.test], t) : summariseThroughput(acc[t.test], t)));
  for (const t of out) {
    log(`${t.test.padEnd(4)} ${VARIANTS.map((v) => fmt(t.kind, t.medians[v])).join(' / ')} (lockne / SO_MARK / SOCKS); lockne / SO_MARK ${t.lockneVsSomark.ratioOfMedians}× (epochs ${t.lockneVsSomark.perEpoch.join(', ')})${t.addedLatency ? `; added: lockne ${t.addedLatency.lockneNs} ns, SOCKS ${t.addedLatency.socksNs} ns` : ''}`);
  }
  return { tunnelChecks: checks, tests: out };
}

function fmt(kind, x) {
  return kind === 'latency' ? `${(x / 1000).toFixed(1)} µs` : `${(x / 1e6).toFixed(0)} Mbit/s`;
}
