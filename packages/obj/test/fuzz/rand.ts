// Seeded choices for the fuzzer. A case is fully determined by (seed, case
// index): the index is mixed into the seed, so any case can be regenerated
// alone (to write a reproducer for a hang, or to replay one case).
import { rng } from '../support/random.js';

/** Mix a run seed and a case index into one 32-bit seed (murmur3 finaliser). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class Rand {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = rng(seed);
  }

  static forCase(seed: number, index: number): Rand {
    return new Rand(caseSeed(seed, index));
  }

  float(): number {
    return this.#next();
  }

  /** An integer in lo..hi (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.#next() * (hi - lo + 1));
  }

  /** An integer in 0..n-1 (n >= 1). */
  below(n: number): number {
    return Math.floor(this.#next() * n);
  }

  chance(p: number): boolean {
    return this.#next() < p;
  }

  u32(): number {
    return (Math.floor(this.#next() * 0x10000) * 0x10000 + Math.floor(this.#next() * 0x10000)) >>> 0;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError('fuzz: pick from an empty list');
    return xs[this.below(xs.length)]!;
  }

  /** One item, chosen with probability proportional to its weight. */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of items) total += w;
    let x = this.#next() * total;
    for (const [v, w] of items) {
      if ((x -= w) < 0) return v;
    }
    return items[items.length - 1]![0];
  }
}
