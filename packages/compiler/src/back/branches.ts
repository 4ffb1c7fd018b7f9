// Branch clean-up on allocated machine IR (final layout order), after blocks
// have lost instructions to DCE and self-move removal:
//  - jumps to empty or `goto`-only blocks go straight to where those lead;
//  - `goto L` where L is reached by falling through anyway is dropped;
//  - `if c goto N; goto F` with N the fall-through becomes `if !c goto F`;
//  - blocks nothing reaches any more are emptied (the verifier rejects dead code).
// Only control transfers change; no instruction that computes or checks a value moves.
import type { JmpCondName } from '@lockne/obj';
import type { MFunction, MInst } from './mir.js';

const INVERSE: Partial<Record<JmpCondName, JmpCondName>> = {
  JEQ: 'JNE', JNE: 'JEQ', JGT: 'JLE', JLE: 'JGT', JGE: 'JLT', JLT: 'JGE',
  JSGT: 'JSLE', JSLE: 'JSGT', JSGE: 'JSLT', JSLT: 'JSGE',
};

/** Rewrite jumps in place; returns the number of instructions removed. */
export function cleanupBranches(fn: MFunction): number {
  const blocks = fn.blocks;
  const index = new Map(blocks.map((b, k) => [b.id, k]));
  const before = blocks.reduce((n, b) => n + b.insts.length, 0);
  /** Index of the block whose first instruction really runs when control reaches block index k (blocks.length = off the end). */
  const resolve = (k: number): number => {
    const seen = new Set<number>();
    while (k < blocks.length && !seen.has(k)) {
      seen.add(k);
      const insts = blocks[k]!.insts;
      if (insts.length === 0) k++;
      else if (insts.length === 1 && insts[0]!.k === 'ja') k = index.get(insts[0]!.target)!;
      else break;
    }
    return k;
  };
  /** Index of the goto-only block control falls into from block k (past empty ones), if it is one. */
  const stubAfter = (k: number): number | undefined => {
    let j = k + 1;
    while (j < blocks.length && blocks[j]!.insts.length === 0) j++;
    const insts = blocks[j]?.insts;
    return insts?.length === 1 && insts[0]!.k === 'ja' ? j : undefined;
  };
  const idOf = (k: number, fallback: number): number => blocks[k]?.id ?? fallback;
  const thread = (): void => {
    for (const b of blocks) {
      b.insts = b.insts.map((i): MInst => {
        if (i.k !== 'ja' && i.k !== 'jcc') return i;
        const t = idOf(resolve(index.get(i.target)!), i.target);
        return t === i.target ? i : { ...i, target: t };
      });
    }
  };
  // One rewrite at a time, each after a full threading pass: then no jump targets an empty or goto-only block.
  for (let changed = true; changed; ) {
    changed = false;
    thread();
    for (let k = 0; k < blocks.length && !changed; k++) {
      const b = blocks[k]!;
      const next = resolve(k + 1);
      const last = b.insts[b.insts.length - 1];
      const prev = b.insts[b.insts.length - 2];
      const lands = (target: number): boolean => resolve(index.get(target)!) === next;
      const stub = stubAfter(k);
      if (last?.k === 'ja' && lands(last.target)) {
        b.insts.pop();
        changed = true;
      } else if (last?.k === 'ja' && prev?.k === 'jcc' && lands(prev.target) && INVERSE[prev.op]) {
        b.insts.splice(b.insts.length - 2, 2, { ...prev, op: INVERSE[prev.op]!, target: last.target });
        changed = true;
      } else if (last?.k === 'jcc' && INVERSE[last.op] && stub !== undefined && resolve(index.get(last.target)!) === resolve(stub + 1)) {
        // `if c goto N` falling into a lone `goto F` just before N: `if !c goto F`, and the stub
        // (only reached by falling through: every jump was threaded past it) goes.
        const ja = blocks[stub]!.insts[0]!;
        if (ja.k !== 'ja') throw new Error('internal: stub is not a goto');
        b.insts[b.insts.length - 1] = { ...last, op: INVERSE[last.op]!, target: ja.target };
        blocks[stub]!.insts = [];
        changed = true;
      } else if (last?.k === 'jcc' && lands(last.target)) {
        b.insts.pop(); // both edges go to the same place
        changed = true;
      }
    }
  }
  dropUnreachable(fn, index);
  return before - blocks.reduce((n, b) => n + b.insts.length, 0);
}

function dropUnreachable(fn: MFunction, index: Map<number, number>): void {
  const blocks = fn.blocks;
  const seen = new Set<number>();
  const work = [0];
  while (work.length) {
    const k = work.pop()!;
    if (k >= blocks.length || seen.has(k)) continue;
    seen.add(k);
    const insts = blocks[k]!.insts;
    for (const i of insts) if (i.k === 'ja' || i.k === 'jcc') work.push(index.get(i.target)!);
    const last = insts[insts.length - 1];
    if (!last || (last.k !== 'ja' && last.k !== 'exit')) work.push(k + 1);
  }
  blocks.forEach((b, k) => { if (!seen.has(k)) b.insts = []; });
}
