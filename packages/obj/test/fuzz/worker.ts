// A fuzz worker thread: runs cases index, index+step, ... and tallies them in
// shared memory, so the main thread keeps the counts and knows which case is
// running even if it has to terminate this thread because a case hangs.
import { parentPort, workerData } from 'node:worker_threads';
import { makeCase } from './cases.js';
import { check, type CheckResult } from './targets.js';
import { failureKind, Slot, type WorkerData, type WorkerFailure } from './shared.js';

const d = workerData as WorkerData;
const slot = new Slot(d.shared, d.worker, d.targets.length);
const targetIndex = new Map(d.targets.map(([t], i) => [t, i]));

/** offsetOutside cases reported with their bytes (the rest are only counted). */
let notes = 0;

for (let i = d.from; i < d.cases; i += d.step) {
  slot.begin(i);
  const c = makeCase(d.corpus, d.targets, d.seed, i);
  const t = targetIndex.get(c.target)!;
  const t0 = performance.now();
  let error: unknown;
  let result: CheckResult | undefined;
  try {
    result = check(c.target, c);
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  // The hang limit applies to the parser; reading back every type of vmlinux may take longer, up to killMs.
  const slow = (result?.parseMs ?? ms) > d.hangMs || ms > d.killMs;
  slot.end(t, result, error !== undefined || slow, ms);
  const note = error === undefined && result?.offsetOutside === true && notes++ < 5;
  if (error !== undefined || slow || note) {
    const why = note ? `typed error with an offset outside the ${c.bytes.byteLength}-byte input: ${result?.rejection}`
      : error === undefined ? `parse took ${(result?.parseMs ?? ms).toFixed(0)} ms, the case ${ms.toFixed(0)} ms (limits ${d.hangMs} and ${d.killMs} ms)`
        : describe(error);
    const f: WorkerFailure = {
      index: i, target: c.target, input: c.input, ops: c.ops, ms, bytes: c.bytes,
      kind: note ? 'offsetOutside' : failureKind(error),
      error: why,
      stack: error instanceof Error ? error.stack ?? '' : '',
      ...(c.base ? { base: c.base } : {}),
      ...(c.window ? { window: c.window } : {}),
    };
    parentPort!.postMessage(f);
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : `non-Error thrown: ${String(e)}`;
}
