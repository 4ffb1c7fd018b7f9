// Memory the main thread and the fuzz workers share: per worker, the case it
// is running and since when, and per target the tallies.
import type { Corpus } from './corpus.js';
import type { CheckResult, TargetName } from './targets.js';
import { PropertyViolation } from './targets.js';

export interface WorkerData {
  corpus: Corpus;
  targets: [TargetName, number][];
  seed: number;
  cases: number;
  from: number;
  step: number;
  worker: number;
  hangMs: number;
  killMs: number;
  shared: SharedArrayBuffer;
}

/** offsetOutside is a note (a typed error pointing outside the input), not a failure. */
export type FailureKind = 'exception' | 'property' | 'slow' | 'hang' | 'offsetOutside';

export interface WorkerFailure {
  index: number;
  target: TargetName;
  input: string;
  ops: string[];
  kind: FailureKind;
  error: string;
  stack: string;
  ms: number;
  bytes: Uint8Array;
  base?: Uint8Array;
  window?: readonly [number, number];
}

export function failureKind(e: unknown): FailureKind {
  return e === undefined ? 'slow' : e instanceof PropertyViolation ? 'property' : 'exception';
}

/**
 * Per target: cases, ok, rejected, failed, round trips equal, unrepresentable,
 * typed errors whose offset lies outside the input (noted, not failed), total ms, max ms.
 */
export const STATS = ['cases', 'ok', 'rejected', 'failed', 'roundTripEqual', 'roundTripUnrepresentable', 'offsetOutside', 'totalMs', 'maxMs'] as const;
export type TargetStats = Record<(typeof STATS)[number], number>;

const F = STATS.length;
const HEAD = 2; // current case index, start time (ms since the epoch; 0 = idle)

export function sharedSize(workers: number, targets: number): number {
  return 8 * workers * (HEAD + targets * F);
}

/** One worker's region. */
export class Slot {
  readonly #a: Float64Array;

  constructor(shared: SharedArrayBuffer, worker: number, targets: number) {
    const n = HEAD + targets * F;
    this.#a = new Float64Array(shared, 8 * worker * n, n);
  }

  begin(index: number): void {
    this.#a[0] = index;
    this.#a[1] = performance.timeOrigin + performance.now();
  }

  end(target: number, r: CheckResult | undefined, failed: boolean, ms: number): void {
    const a = this.#a;
    const o = HEAD + target * F;
    a[o]! += 1;
    if (failed) a[o + 3]! += 1;
    else if (r?.outcome === 'ok') a[o + 1]! += 1;
    else a[o + 2]! += 1;
    if (r?.roundTrip === 'equal') a[o + 4]! += 1;
    if (r?.roundTrip === 'unrepresentable') a[o + 5]! += 1;
    if (r?.offsetOutside) a[o + 6]! += 1;
    a[o + 7]! += ms;
    if (ms > a[o + 8]!) a[o + 8] = ms;
    a[1] = 0;
  }

  /** A case that never returned: count it as run and failed. */
  hung(target: number, ms: number): void {
    const o = HEAD + target * F;
    this.#a[o]! += 1;
    this.#a[o + 3]! += 1;
    this.#a[o + 7]! += ms;
    if (ms > this.#a[o + 8]!) this.#a[o + 8] = ms;
    this.#a[1] = 0;
  }

  get current(): number {
    return this.#a[0]!;
  }

  /** When the running case started (ms since the epoch), 0 when idle. */
  get since(): number {
    return this.#a[1]!;
  }

  stats(target: number): TargetStats {
    const o = HEAD + target * F;
    return Object.fromEntries(STATS.map((k, i) => [k, this.#a[o + i]!])) as TargetStats;
  }
}
