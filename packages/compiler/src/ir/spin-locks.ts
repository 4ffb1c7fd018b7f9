// What may happen while a spin lock is held (LK3005), checked on the IR before
// instruction selection with a forward "may be held" dataflow — the verifier's
// rules (kernel Documentation/bpf, check_helper_call / process_spin_lock):
// between bpf_spin_lock and bpf_spin_unlock no other helper call (map
// lookups/updates, ring buffer, tail calls, bpf_loop), no second lock, no
// return; an unlock needs the lock held on every path, and the same lock.
import type { SourcePos } from '../diagnostics.js';
import { helperName } from '@lockne/obj';
import { successors, type Block, type Inst, type IrFunction } from './ir.js';
import { forwardFixpoint, mergeMapKeys } from './dataflow.js';

/** One problem: where, and what to write instead. */
export interface SpinLockMisuse { readonly at: SourcePos; readonly message: string }

/** The lock possibly held on entry to a block: `null` for none, else the position of the lock() and its pointer's origin. */
interface Held { readonly at: SourcePos; readonly key: string }
type State = Map<string, Held | null>;

const where = (p: SourcePos): string => `line ${p.line}:${p.column}`;
const stateKey = (h: Held | null): string => (h ? `${h.at.line}:${h.at.column}:${h.key}` : 'none');

/** The helper an instruction calls, by name (undefined when it calls none). */
function calledHelper(i: Inst): string | undefined {
  switch (i.op) {
    case 'call': case 'mapCall': return helperName(i.helper) ?? `helper #${i.helper}`;
    case 'lookup': return 'bpf_map_lookup_elem';
    case 'update': return 'bpf_map_update_elem';
    case 'delete': return 'bpf_map_delete_elem';
    case 'ringbufOutput': return 'bpf_ringbuf_output';
    case 'tailCall': return 'bpf_tail_call';
    default: return undefined;
  }
}

/**
 * Every LK3005 problem of `fn`. `lock`/`unlock` are the helper ids of
 * bpf_spin_lock/bpf_spin_unlock. A lock is identified by the map-value pointer it
 * was derived from (its `ptradd` base) and offset, so unlocking another value's lock is caught.
 */
export function findSpinLockMisuse(fn: IrFunction, lock: number, unlock: number): SpinLockMisuse[] {
  // Which value + offset each lock pointer names, through copies and constant `ptradd`s
  // (an inlined function's struct parameter is such a pointer). Unknown: no comparison.
  const def = new Map<number, { base: number; off: bigint } | 'root' | 'many'>();
  for (const b of fn.blocks) {
    for (const i of b.insts) {
      if (!('dst' in i) || !i.dst) continue;
      const d = i.op === 'ptradd' && i.off.kind === 'const' ? { base: i.base.id, off: i.off.value }
        : i.op === 'copy' && i.src.kind === 'reg' ? { base: i.src.reg.id, off: 0n } : 'root';
      // A register defined twice (a `let`) has no single origin.
      def.set(i.dst.id, def.has(i.dst.id) ? 'many' : d);
    }
  }
  const keyOf = (i: Extract<Inst, { op: 'call' }>): string => {
    const a = i.args[0];
    if (a?.kind !== 'reg') return '?';
    let id = a.reg.id;
    let off = 0n;
    for (let n = 0; n < 16; n++) {
      const d = def.get(id);
      if (d === 'many') return '?';
      if (d === undefined || d === 'root') break;
      id = d.base;
      off += d.off;
    }
    return `${id}+${off}`;
  };
  const out = new Map<string, SpinLockMisuse>();
  let reporting = false;
  const report = (at: SourcePos, message: string): void => { if (reporting) out.set(`${at.line}:${at.column}:${message}`, { at, message }); };
  /** The state at the end of `b` from `s` at its start (empty: the path stops); problems go to `report`. */
  const step = (b: Block, s0: State): State => {
    let s: State = new Map(s0);
    for (const i of b.insts) {
      const held = [...s.values()].filter((h): h is Held => h !== null);
      if (i.op === 'call' && i.helper === lock) {
        for (const h of held) report(i.pos, `a second spin lock is taken while the one locked at ${where(h.at)} is held: unlock it first (the kernel allows one at a time)`);
        // The verifier stops there: so do we on this path (no cascade of unlock errors).
        if (held.length) return new Map();
        const h: Held = { at: i.pos, key: keyOf(i) };
        s = new Map([[stateKey(h), h]]);
        continue;
      }
      if (i.op === 'call' && i.helper === unlock) {
        if (s.has('none')) report(i.pos, held.length ? 'unlock() of a lock that is not held on every path to here: lock and unlock on the same paths' : 'unlock() without a lock() before it');
        const k = keyOf(i);
        for (const h of held) if (h.key !== k && h.key !== '?' && k !== '?') report(i.pos, `unlock() of another lock than the one locked at ${where(h.at)}`);
        s = new Map([['none', null]]);
        continue;
      }
      const helper = calledHelper(i);
      if (helper && held.length) {
        report(i.pos, `${helper} is called while the spin lock taken at ${where(held[0]!.at)} is held: unlock() first (no helper calls, map lookups or updates under a lock)`);
      }
    }
    const t = b.term;
    if (t?.op === 'ret') {
      const held = [...s.values()].filter((h): h is Held => h !== null);
      if (held.length) report(t.pos, `the spin lock taken at ${where(held[0]!.at)} is still held here: unlock() on every path before returning`);
    }
    return s;
  };
  // The fixpoint first, then one reporting pass over the final states (no reports from partial ones).
  const { states: inState, complete } = forwardFixpoint<State>({
    entry: fn.entry,
    init: new Map([['none', null]]),
    flow: (b, s) => { const end = step(b, s); return successors(b).map((next) => [next, end] as const); },
    clone: (s) => new Map(s),
    merge: mergeMapKeys,
  });
  if (!complete) return []; // a pathological CFG: leave it to the verifier
  reporting = true;
  for (const b of fn.blocks) { const s = inState.get(b); if (s?.size) step(b, s); }
  return [...out.values()];
}
