// Jump threading on the IR: a block that ends in `br J`, where J only copies
// values and then tests one whose value this block already knows (a constant,
// null, or a pointer that cannot be null), branches straight to the outcome.
// This folds ctx.header()'s `res = p | 0; if (res == 0)` and ternary/bool joins
// into one compare-and-branch (and gives the verifier fewer states to walk).
import type { Block, Inst, IrFunction } from './ir.js';
import { evalCond } from '../back/isel.js';

type Fact = { kind: 'const'; value: bigint } | { kind: 'nonnull' };

const NEVER_NULL = new Set(['ctx', 'stack', 'map_value', 'packet', 'packet_end', 'ref', 'sock']);

function step(facts: Map<number, Fact>, i: Inst): void {
  if (i.op === 'copy') {
    const s = i.src;
    if (s.kind === 'const') facts.set(i.dst.id, { kind: 'const', value: s.value });
    else if (facts.has(s.reg.id)) facts.set(i.dst.id, facts.get(s.reg.id)!);
    else if (s.reg.ty.kind === 'ptr' && NEVER_NULL.has(s.reg.ty.ptr)) facts.set(i.dst.id, { kind: 'nonnull' });
    else facts.delete(i.dst.id);
    return;
  }
  if ('dst' in i && i.dst) facts.delete(i.dst.id);
}

/** The successor `b`'s jump to `j` would take, given what `b` knows; undefined when unknown. */
function decide(b: Block, j: Block): Block | undefined {
  const t = j.term;
  if (!t || t.op !== 'cbr' || j === b || j.insts.length > 4 || !j.insts.every((i) => i.op === 'copy')) return undefined;
  const facts = new Map<number, Fact>();
  for (const i of b.insts) step(facts, i);
  for (const i of j.insts) step(facts, i);
  const val = (o: typeof t.a): Fact | undefined => (o.kind === 'const' ? { kind: 'const', value: o.value } : facts.get(o.reg.id));
  const a = val(t.a);
  const c = val(t.b);
  if (!a || !c) return undefined;
  if (a.kind === 'const' && c.kind === 'const') return evalCond(t.cond, a.value, c.value, t.ty.kind === 'int' && t.ty.signed) ? t.t : t.f;
  // A pointer known non-null against the constant 0.
  const nn = a.kind === 'nonnull' ? c : c.kind === 'nonnull' ? a : undefined;
  if (nn?.kind === 'const' && nn.value === 0n && (t.cond === 'eq' || t.cond === 'ne')) return t.cond === 'ne' ? t.t : t.f;
  return undefined;
}

/** Follow empty blocks that only jump on (`continue`, joins after a return). */
function forward(b: Block): Block {
  const seen = new Set<Block>();
  while (b.insts.length === 0 && b.term?.op === 'br' && !seen.has(b)) {
    seen.add(b);
    b = b.term.target;
  }
  return b;
}

/** Thread jumps in place; blocks left without predecessors are dropped by layout. */
export function threadJumps(fn: IrFunction): void {
  for (let changed = true, rounds = 0; changed && rounds < 8; rounds++) {
    changed = false;
    for (const b of fn.blocks) {
      const t0 = b.term;
      if (t0?.op === 'br' && forward(t0.target) !== t0.target) { b.term = { ...t0, target: forward(t0.target) }; changed = true; }
      if (t0?.op === 'cbr' && (forward(t0.t) !== t0.t || forward(t0.f) !== t0.f)) { b.term = { ...t0, t: forward(t0.t), f: forward(t0.f) }; changed = true; }
      const t = b.term;
      if (!t || t.op !== 'br') continue;
      const target = decide(b, t.target);
      if (!target) continue;
      b.insts.push(...t.target.insts);
      b.term = { op: 'br', target, pos: t.pos };
      changed = true;
    }
  }
}
