// Runs a fuzz campaign on worker threads. A watchdog terminates a worker
// whose case has run longer than `killMs` (a synchronous hang cannot be
// interrupted any other way), records that case as a hang -- regenerating
// its bytes here from (seed, index) -- and starts a new worker after it.
import { Worker } from 'node:worker_threads';
import type { Corpus } from './corpus.js';
import { DEFAULT_WEIGHTS, activeTargets, makeCase, type Weights } from './cases.js';
import { STATS, Slot, sharedSize, type TargetStats, type WorkerData, type WorkerFailure } from './shared.js';
import type { TargetName } from './targets.js';

export type Failure = WorkerFailure;

export interface FuzzOptions {
  corpus: Corpus;
  seed: number;
  cases: number;
  /** Worker threads (default 2). */
  workers?: number;
  weights?: Weights;
  /** A case taking longer than this fails as slow (default 1000 ms). */
  hangMs?: number;
  /** A case (parse and read-back) still running after this is a hang: its worker is terminated (default 5 * hangMs). */
  killMs?: number;
  /** Failures kept with their bytes (default 50); all are counted. */
  keepFailures?: number;
  /** Called about twice a second with the number of cases done. */
  onProgress?: (done: number, total: number) => void;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  workers: number;
  elapsedMs: number;
  perTarget: Partial<Record<TargetName, TargetStats>>;
  failureCount: number;
  failures: Failure[];
  /** A few cases whose typed error pointed outside the input (object parser). */
  notes: Failure[];
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const targets = activeTargets(o.corpus, o.weights ?? DEFAULT_WEIGHTS);
  if (targets.length === 0) throw new Error('fuzz: no target has inputs');
  const nWorkers = Math.max(1, Math.min(o.workers ?? 2, o.cases));
  const hangMs = o.hangMs ?? 1000;
  const killMs = o.killMs ?? 5 * hangMs;
  const keep = o.keepFailures ?? 50;
  const shared = new SharedArrayBuffer(sharedSize(nWorkers, targets.length));
  const slots = Array.from({ length: nWorkers }, (_, w) => new Slot(shared, w, targets.length));
  const failures: Failure[] = [];
  const notes: Failure[] = [];
  let failureCount = 0;
  const record = (f: Failure): void => {
    if (f.kind === 'offsetOutside') {
      notes.push(f);
      return;
    }
    failureCount++;
    if (failures.length < keep) failures.push(f);
  };
  const started = performance.now();

  await new Promise<void>((resolve, reject) => {
    let running = 0;
    const live = new Map<number, Worker>();
    const start = (w: number, from: number): void => {
      if (from >= o.cases) return;
      const data: WorkerData = { corpus: o.corpus, targets, seed: o.seed, cases: o.cases, from, step: nWorkers, worker: w, hangMs, killMs, shared };
      const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: data });
      running++;
      live.set(w, worker);
      worker.on('message', (f: Failure) => record(f));
      worker.on('error', (e) => {
        clearInterval(timer);
        for (const x of live.values()) void x.terminate();
        reject(e);
      });
      worker.on('exit', () => {
        if (live.get(w) === worker) live.delete(w);
        if (--running === 0) {
          clearInterval(timer);
          resolve();
        }
      });
    };
    const timer = setInterval(() => {
      const now = performance.timeOrigin + performance.now();
      for (const [w, worker] of live) {
        const slot = slots[w]!;
        const since = slot.since;
        if (since === 0 || now - since < killMs * 1.5) continue;
        const index = slot.current;
        live.delete(w);
        void worker.terminate();
        const c = makeCase(o.corpus, targets, o.seed, index);
        slot.hung(targets.findIndex(([t]) => t === c.target), now - since);
        record({
          index, target: c.target, input: c.input, ops: c.ops, kind: 'hang', ms: now - since, bytes: c.bytes,
          error: `still running after ${Math.round(now - since)} ms: worker terminated`, stack: '',
          ...(c.base ? { base: c.base } : {}), ...(c.window ? { window: c.window } : {}),
        });
        start(w, index + nWorkers);
      }
      o.onProgress?.(done(), o.cases);
    }, 100);
    for (let w = 0; w < nWorkers; w++) start(w, w);
  });

  function done(): number {
    let n = 0;
    for (const s of slots) for (let t = 0; t < targets.length; t++) n += s.stats(t).cases;
    return n;
  }
  const perTarget: Partial<Record<TargetName, TargetStats>> = {};
  targets.forEach(([name], t) => {
    const sum = Object.fromEntries(STATS.map((k) => [k, 0])) as TargetStats;
    for (const s of slots) {
      const x = s.stats(t);
      for (const k of STATS) sum[k] = k === 'maxMs' ? Math.max(sum[k], x[k]) : sum[k] + x[k];
    }
    perTarget[name] = sum;
  });
  failures.sort((a, b) => a.index - b.index);
  return { seed: o.seed, cases: done(), workers: nWorkers, elapsedMs: performance.now() - started, perTarget, failureCount, failures, notes };
}
