// Forward "may" dataflow over a function's blocks, the shape every IR check
// here shares (record leaks, spin locks, stale packet views): a block's entry
// state is the union of what its predecessors hand it, iterated with a
// worklist until nothing grows.
import type { Block } from './ir.js';

export interface ForwardProblem<S> {
  readonly entry: Block;
  /** The state on entry to `entry`. */
  readonly init: S;
  /**
   * What block `b` hands each successor, from `s` at its start (`s` is the
   * solver's: copy before changing it). Nothing for a block that ends the path.
   */
  flow(b: Block, s: S): Iterable<readonly [Block, S]>;
  clone(s: S): S;
  /** Fold `from` into `into`; true when `into` grew. */
  merge(into: S, from: S): boolean;
}

/** Steps after which a CFG counts as pathological: the checks leave it to the verifier. */
export const MAX_DATAFLOW_STEPS = 100_000;

/**
 * Entry states of the blocks reached, and whether the fixpoint was reached
 * (false: stopped after MAX_DATAFLOW_STEPS blocks, states partial).
 */
export function forwardFixpoint<S>(p: ForwardProblem<S>): { states: Map<Block, S>; complete: boolean } {
  const states = new Map<Block, S>([[p.entry, p.init]]);
  const work: Block[] = [p.entry];
  for (let steps = 0; work.length; steps++) {
    if (steps > MAX_DATAFLOW_STEPS) return { states, complete: false };
    const b = work.pop()!;
    for (const [next, s] of p.flow(b, states.get(b)!)) {
      const have = states.get(next);
      if (!have) { states.set(next, p.clone(s)); work.push(next); } else if (p.merge(have, s)) work.push(next);
    }
  }
  return { states, complete: true };
}

/** merge() for states that are maps: keys `into` lacks are added (the first value seen for a key stays). */
export function mergeMapKeys<K, V>(into: Map<K, V>, from: ReadonlyMap<K, V>): boolean {
  let changed = false;
  for (const [k, v] of from) if (!into.has(k)) { into.set(k, v); changed = true; }
  return changed;
}
