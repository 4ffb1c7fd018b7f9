// Ring buffer records that may reach a `ret` neither submitted nor discarded
// (LK3004), found on the IR before instruction selection: a forward "may be
// outstanding" dataflow. bpf_ringbuf_reserve makes its result outstanding; a
// copy aliases it; submit/discard of it releases it; and the edge of a null
// check on which it is null releases it too (nothing was reserved there). The
// verifier enforces the same rule ("Unreleased reference"); this says where.
import type { SourcePos } from '../diagnostics.js';
import { successors, type Block, type IrFunction, type Terminator } from './ir.js';
import { forwardFixpoint } from './dataflow.js';

/** Records outstanding (by the reserve's dst id) and which vregs alias them. */
interface State { readonly out: Set<number>; readonly alias: Map<number, number> }

export interface RecordLeak { readonly at: SourcePos; readonly reservedAt: SourcePos }

function clone(s: State): State {
  return { out: new Set(s.out), alias: new Map(s.alias) };
}

function merge(into: State, from: State): boolean {
  let changed = false;
  for (const r of from.out) if (!into.out.has(r)) { into.out.add(r); changed = true; }
  for (const [v, r] of from.alias) if (!into.alias.has(v)) { into.alias.set(v, r); changed = true; }
  return changed;
}

/** The state on the edge to `target` of a null check (`rec == 0` / `rec != 0`). */
function edge(s: State, t: Terminator, target: Block): State {
  if (t.op !== 'cbr' || t.ty.kind !== 'ptr') return s;
  const rec = t.a.kind === 'reg' && t.b.kind === 'const' && t.b.value === 0n ? s.alias.get(t.a.reg.id) : undefined;
  if (rec === undefined) return s;
  const nullEdge = (t.cond === 'eq' && target === t.t) || (t.cond === 'ne' && target === t.f);
  if (!nullEdge || t.t === t.f) return s;
  const n = clone(s);
  n.out.delete(rec);
  return n;
}

/**
 * Where a reserved record can leak. `reserve`, `release` name the helper ids of
 * bpf_ringbuf_reserve and submit/discard.
 */
export function findRecordLeaks(fn: IrFunction, reserve: number, release: ReadonlySet<number>): RecordLeak[] {
  const reservedAt = new Map<number, SourcePos>();
  const leaks = new Map<string, RecordLeak>();
  // Stopped early (a pathological CFG), what was found stands: the verifier has the last word.
  forwardFixpoint<State>({
    entry: fn.entry,
    init: { out: new Set(), alias: new Map() },
    clone,
    merge,
    flow: (b, s0) => {
      const s = clone(s0);
      for (const i of b.insts) {
        if ('dst' in i && i.dst) s.alias.delete(i.dst.id);
        if (i.op === 'mapCall' && i.helper === reserve && i.dst) {
          s.out.add(i.dst.id);
          s.alias.set(i.dst.id, i.dst.id);
          reservedAt.set(i.dst.id, i.pos);
        } else if (i.op === 'copy' && i.src.kind === 'reg' && s.alias.has(i.src.reg.id)) {
          s.alias.set(i.dst.id, s.alias.get(i.src.reg.id)!);
        } else if (i.op === 'call' && release.has(i.helper) && i.args[0]?.kind === 'reg') {
          const rec = s.alias.get(i.args[0].reg.id);
          if (rec !== undefined) s.out.delete(rec);
        }
      }
      const t = b.term;
      if (!t) return [];
      if (t.op === 'ret') {
        for (const r of s.out) leaks.set(`${t.pos.line}:${t.pos.column}:${r}`, { at: t.pos, reservedAt: reservedAt.get(r)! });
        return [];
      }
      return successors(b).map((next) => [next, edge(s, t, next)] as const);
    },
  });
  return [...leaks.values()];
}
