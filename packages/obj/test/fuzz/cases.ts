// One fuzz case from (seed, index): a target, a corpus input, and a stack of
// mutations (format-aware most of the time, format-blind otherwise). The same
// corpus, seed and index always give the same bytes.
import { Rand } from './rand.js';
import type { Corpus, Input } from './corpus.js';
import type { CaseInput, TargetName } from './targets.js';
import { genericMutation, type Donor, type Mutation } from './generic.js';
import { btfBoundaries, btfLayout, type BtfLayout } from './btf-layout.js';
import { btfInPlace, btfReshape } from './btf-mutate.js';
import { elfBoundaries, elfLayout } from './elf-layout.js';
import { elfMutation } from './elf-mutate.js';
import { extBoundaries, extInPlace, extLayout } from './btf-ext-mutate.js';

export interface FuzzCase extends CaseInput {
  index: number;
  target: TargetName;
  /** The corpus input it started from. */
  input: string;
  /** The mutations applied, in order. */
  ops: string[];
}

export type Weights = Partial<Record<TargetName, number>>;

/** Default share of cases per target (targets without inputs are left out). */
export const DEFAULT_WEIGHTS: Weights = { 'btf': 30, 'btf-vmlinux': 1.2, 'btf-split': 10, 'elf': 20, 'object': 30, 'btf-ext': 10 };

/** Layouts of unmutated inputs, computed once per input (vmlinux takes tens of ms). */
const layoutCache = new Map<Uint8Array, BtfLayout | undefined>();

function cachedBtfLayout(bytes: Uint8Array, firstId: number): BtfLayout | undefined {
  if (!layoutCache.has(bytes)) layoutCache.set(bytes, btfLayout(bytes, firstId));
  return layoutCache.get(bytes);
}

function inputsOf(c: Corpus, t: TargetName): readonly Input[] {
  switch (t) {
    case 'btf': return c.btf;
    case 'btf-vmlinux': return c.vmlinux ? [c.vmlinux] : [];
    case 'btf-split': return c.split;
    case 'elf': return c.elf;
    case 'object': return c.objects;
    case 'btf-ext': return c.ext;
    case 'selftest': return c.btf;
  }
}

/** Targets that have inputs, with their weights. */
export function activeTargets(c: Corpus, weights: Weights): [TargetName, number][] {
  return (Object.entries(weights) as [TargetName, number][]).filter(([t, w]) => w > 0 && inputsOf(c, t).length > 0);
}

function boundariesOf(format: 'btf' | 'elf' | 'ext', bytes: Uint8Array, firstId: number): number[] {
  if (format === 'btf') {
    const l = cachedBtfLayout(bytes, firstId);
    return l ? btfBoundaries(l) : [];
  }
  if (format === 'ext') {
    const l = extLayout(bytes);
    return l ? extBoundaries(l) : [];
  }
  const l = elfLayout(bytes);
  return l ? elfBoundaries(bytes, l) : [];
}

function mutationCount(r: Rand): number {
  return r.weighted([[1, 50], [2, 25], [r.int(3, 4), 15], [r.int(5, 8), 10]]);
}

export function makeCase(c: Corpus, targets: readonly [TargetName, number][], seed: number, index: number): FuzzCase {
  const r = Rand.forCase(seed, index);
  const target = r.weighted(targets);
  const pool = inputsOf(c, target);
  const src = r.pick(pool);
  const format = target === 'elf' || target === 'object' ? 'elf' : target === 'btf-ext' ? 'ext' : 'btf';
  const isBtf = format === 'btf';
  const base = target === 'btf-split' ? (src as Input & { base: Uint8Array }).base : undefined;
  const firstId = base ? cachedBtfLayout(base, 1)!.types.length + 1 : 1;
  const small = pool.filter((x) => x.bytes.byteLength < 1 << 20);
  const donor = (): Donor => {
    const d = r.pick(small.length ? small : pool);
    return { name: d.name, bytes: d.bytes, boundaries: boundariesOf(format, d.bytes, firstId) };
  };
  let bytes: Uint8Array = src.bytes.slice();
  const ops: string[] = [];
  const n = mutationCount(r);
  for (let k = 0; k < n; k++) {
    let m: Mutation | undefined;
    if (isBtf) {
      // Large blobs keep the unmutated input's layout: recomputing it per step costs more than the case.
      const l = bytes.byteLength > 1 << 20 && bytes.byteLength === src.bytes.byteLength ? cachedBtfLayout(src.bytes, firstId) : btfLayout(bytes, firstId);
      if (l && r.chance(0.7)) m = r.chance(0.8) ? btfInPlace(bytes, l, r) : btfReshape(bytes, l, r);
      m ??= genericMutation(bytes, r, { le: l?.le ?? true, boundaries: l ? btfBoundaries(l) : [], donor });
    } else if (format === 'ext') {
      const l = extLayout(bytes);
      if (l && r.chance(0.7)) m = extInPlace(bytes, l, r);
      m ??= genericMutation(bytes, r, { le: l?.le ?? true, boundaries: l ? extBoundaries(l) : [], donor });
    } else {
      const l = elfLayout(bytes);
      if (l && r.chance(0.7)) m = elfMutation(bytes, l, r);
      m ??= genericMutation(bytes, r, { le: l?.le ?? true, boundaries: l ? elfBoundaries(bytes, l) : [], donor });
    }
    bytes = m.bytes;
    ops.push(m.op);
  }
  const out: FuzzCase = { index, target, input: src.name, ops, bytes };
  if (base) out.base = base;
  if (target === 'btf-vmlinux') {
    // A window of 3000 types, or (one case in ten) all of them.
    const start = r.int(0, Math.max(0, (c.vmlinux ? cachedBtfLayout(c.vmlinux.bytes, 1)?.types.length ?? 0 : 0) - 3000));
    if (!r.chance(0.1)) out.window = [start, start + 3000];
  }
  return out;
}
