// Reuse of ctx->data / ctx->data_end loads: every ctx.header() reads both from
// ctx; when an earlier load of the same field still holds on every path (no
// helper call in between, which may move packet data and makes the verifier
// drop packet pointers, and its register not reassigned), the later load becomes
// a copy that the allocator coalesces away. The bounds checks themselves stay
// where they are, on the registers that are then dereferenced.
import type { Block, Inst, IrFunction } from './ir.js';
import { successors } from './ir.js';

/** ctx offset → id of the vreg holding that ctx pointer field. */
type Avail = Map<number, number>;

const CALLS = new Set<Inst['op']>(['call', 'mapCall', 'lookup', 'update', 'delete', 'ringbufOutput']);

function transfer(avail: Avail, i: Inst): void {
  if (CALLS.has(i.op)) { avail.clear(); }
  if ('dst' in i && i.dst) for (const [off, v] of avail) if (v === i.dst.id) avail.delete(off);
  if (i.op === 'ctxptr') avail.set(i.off, i.dst.id);
}

function meet(a: Avail | undefined, b: Avail): Avail {
  if (!a) return new Map(b);
  return new Map([...a].filter(([off, v]) => b.get(off) === v));
}

/** Rewrite redundant ctxptr loads into copies, in place; returns how many. */
export function reuseCtxPointers(fn: IrFunction): number {
  // Only reachable blocks count as predecessors (threading leaves orphans that layout drops).
  const reach = new Set<Block>();
  const work = [fn.entry];
  while (work.length) { const b = work.pop()!; if (!reach.has(b)) { reach.add(b); work.push(...successors(b)); } }
  const preds = new Map<Block, Block[]>();
  for (const b of reach) for (const s of successors(b)) preds.set(s, [...(preds.get(s) ?? []), b]);
  const out = new Map<Block, Avail>();
  const inOf = (b: Block): Avail => {
    if (b === fn.entry) return new Map();
    let acc: Avail | undefined;
    for (const p of preds.get(b) ?? []) {
      const o = out.get(p);
      if (o) acc = meet(acc, o); // unvisited predecessors (back edges, first round) are optimistic
    }
    return acc ?? new Map();
  };
  for (let changed = true, rounds = 0; changed; rounds++) {
    if (rounds > 100) throw new Error(`internal: ctx pointer reuse did not converge in ${fn.name}`);
    changed = false;
    for (const b of reach) {
      const avail = inOf(b);
      for (const i of b.insts) transfer(avail, i);
      const old = out.get(b);
      if (!old || old.size !== avail.size || [...avail].some(([k, v]) => old.get(k) !== v)) { out.set(b, avail); changed = true; }
    }
  }
  let n = 0;
  for (const b of reach) {
    const avail = inOf(b);
    b.insts.forEach((i, k) => {
      const have = i.op === 'ctxptr' ? avail.get(i.off) : undefined;
      if (i.op === 'ctxptr' && have !== undefined && have !== i.dst.id) {
        const src = fn.vregs.find((v) => v.id === have);
        if (src) { b.insts[k] = { op: 'copy', dst: i.dst, src: { kind: 'reg', reg: src }, pos: i.pos }; n++; }
      }
      transfer(avail, i);
    });
  }
  return n;
}
