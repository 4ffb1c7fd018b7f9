// Spin locks in map values: `v.value.lock.lock()` / `.unlock()` become
// bpf_spin_lock(&v->lock) / bpf_spin_unlock(&v->lock). Where a lock may live
// (one top-level `spinLock` field of a hash/array/storage map value) is checked
// at the declaration; what may happen while it is held, on the IR
// (ir/spin-locks.ts). All of it is LK3005, the verifier's rules said earlier.
//
// @example
// export const Acct = struct('acct', { lock: spinLock, packets: u64, bytes: u64 });
// const a = accts.lookup(k);
// if (a !== null) { a.value.lock.lock(); a.value.packets += 1n; a.value.bytes += n; a.value.lock.unlock(); }
import ts from 'typescript';
import { helperId } from '@lockne/obj';
import { konst, reg, type MapRef } from '../ir/ir.js';
import { INT, layoutSize, memoryKind, ptr, type Layout } from '../ir/types.js';
import type { Lowerer, Val } from './lower.js';
import { memOf } from './memory.js';
import { isKernelDecl } from './kernel.js';

export const SPIN_LOCK = helperId('bpf_spin_lock')!;
export const SPIN_UNLOCK = helperId('bpf_spin_unlock')!;

/** The BTF name the kernel looks for (btf_find_field: name and size 4). */
const LOCK_NAME = 'bpf_spin_lock';

/** Program kinds whose prog types the kernel refuses maps with a lock (check_map_prog_compatibility). */
const NO_LOCK_KINDS: ReadonlySet<string> = new Set(['socketFilter', 'kprobe', 'tracepoint', 'rawTracepoint', 'perfEvent']);

/** Map classes whose values may hold a lock (map_check_btf: hash, array, cgroup/sk/inode/task storage). */
const LOCK_MAPS: ReadonlySet<string> = new Set(['HashMap', 'ArrayMap', 'SkStorage', 'TaskStorage', 'CgroupStorage', 'CgrpStorage']);

/** True for the `lock`/`unlock` methods of @lockne/kernel's SpinLock. */
export function isSpinLockMethod(sym: ts.Symbol | undefined): boolean {
  const d = sym?.declarations?.[0];
  return !!d && isKernelDecl(d) && ts.isMethodSignature(d) && ts.isInterfaceDeclaration(d.parent) && d.parent.name.text === 'SpinLock';
}

const isLock = (l: Layout): boolean => l.kind === 'struct' && l.name === LOCK_NAME && l.size === 4;

/** `lock.lock()` / `lock.unlock()`: the helper with the lock's address in the map value. */
export function spinLockCall(L: Lowerer, method: string, node: ts.CallExpression): Val {
  const callee = node.expression as ts.PropertyAccessExpression;
  const what = `${callee.expression.getText()}.${method}()`;
  if (node.arguments.length !== 0) return L.fail('LK1001', `${what} takes no arguments`, node);
  if (NO_LOCK_KINDS.has(L.programKind)) {
    return L.fail('LK6001', `${what}: the kernel does not let ${L.programKind} programs use spin locks (use a tc, xdp or cgroup program)`, node);
  }
  const m = memOf(L, callee.expression);
  if (!m || !isLock(m.layout)) return L.fail('LK3010', `'${callee.expression.getText()}' is not a spinLock field`, callee.expression);
  if (m.index?.length) return L.fail('LK3003', `'${callee.expression.getText()}' is indexed by a variable: a lock must be at a constant offset`, callee.expression);
  if (memoryKind(m.base.ty) !== 'map_value') {
    return L.fail('LK3005', `${what}: a spin lock works only inside a map value (this one is ${memoryKind(m.base.ty) ?? 'not in memory'}); look the value up first`, node);
  }
  const pos = L.pos(node);
  const p = L.b.vreg(ptr('map_value'));
  L.b.emit({ op: 'ptradd', dst: p, base: m.base, off: konst(BigInt(m.off), INT.u64), pos });
  L.b.emit({ op: 'call', dst: null, helper: method === 'lock' ? SPIN_LOCK : SPIN_UNLOCK, args: [reg(p)], pos });
  return { kind: 'val', op: konst(0n, INT.i32), ty: INT.i32 };
}

/** Byte offsets of every spin lock inside `l`, with the path to it. */
function locksIn(l: Layout, off = 0, path = ''): Array<{ off: number; path: string }> {
  if (isLock(l)) return [{ off, path }];
  if (l.kind === 'struct') return l.fields.flatMap((f) => locksIn(f.ty, off + f.off, path ? `${path}.${f.name}` : f.name));
  if (l.kind === 'array') {
    const one = locksIn(l.elem, off, `${path}[]`);
    return Array.from({ length: l.length }, (_, i) => one.map((x) => ({ ...x, off: x.off + i * layoutSize(l.elem) }))).flat();
  }
  return [];
}

/**
 * Why `map` cannot hold the spin lock(s) in its value, or undefined (no lock, or a
 * legal one). Keys never may: the kernel only looks for locks in values.
 */
export function spinLockMapProblem(map: MapRef): string | undefined {
  const inKey = locksIn(map.key);
  if (inKey.length) return `map '${map.name}': a spin lock in the key is never taken; put it in the value`;
  const locks = locksIn(map.value);
  if (!locks.length) return undefined;
  if (locks.length > 1) return `map '${map.name}': the value holds ${locks.length} spin locks; the kernel allows one per value`;
  const top = map.value.kind === 'struct' && map.value.fields.some((f) => isLock(f.ty));
  if (!top) return `map '${map.name}': the spin lock '${locks[0]!.path}' must be a top-level field of the value struct`;
  if (!LOCK_MAPS.has(map.className ?? '')) {
    return `map '${map.name}': ${map.className ?? map.kind} values cannot hold a spin lock (use HashMap, ArrayMap, SkStorage or TaskStorage)`;
  }
  return undefined;
}
