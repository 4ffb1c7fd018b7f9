// Task local storage (TaskStorage, BPF_MAP_TYPE_TASK_STORAGE): a value per task
// (thread), freed with it.
//   perTask.get(flags?)        → bpf_task_storage_get(&map, bpf_get_current_task_btf(), NULL, flags)
//   perTask.get(task, flags?)  → the same on `task`, a KernelRef<'task_struct'> (e.g. real_parent)
//   perTask.delete(task?)      → bpf_task_storage_delete(&map, task or the current one)
// The helpers take a task_struct BTF pointer (ARG_PTR_TO_BTF_ID_OR_NULL), so the
// current task comes from bpf_get_current_task_btf, not bpf_get_current_task's u64.
// Kernel 5.11 for tracing/LSM programs; 6.x gives every program kind both helpers.
//
// @example
// export const execs = new TaskStorage<u32>({ value: u32 });
// tpBtf('sched_process_exec', (ctx) => { const v = execs.get(StorageFlag.CREATE); if (v !== null) v.value += 1; return 0; });
import ts from 'typescript';
import { helperId } from '@lockne/obj';
import { konst, reg, type MapRef, type Operand } from '../ir/ir.js';
import { INT, btfPtr, ptr } from '../ir/types.js';
import type { Lowerer, Val } from './lower.js';
import { lowerExpr } from './expressions.js';
import { checkGplHelper } from './gpl.js';
import { widthOf } from './kernel.js';

const GET = helperId('bpf_task_storage_get')!;
const DELETE = helperId('bpf_task_storage_delete')!;
const CURRENT_TASK_BTF = helperId('bpf_get_current_task_btf')!;

/** True when `e` is typed as a kernel pointer (a KernelRef), i.e. the task argument. */
function isTaskArg(L: Lowerer, e: ts.Expression): boolean {
  const t = widthOf(L.checker, L.checker.getTypeAtLocation(e));
  return t?.kind === 'ptr' && t.ptr === 'btf';
}

/** The task: `e` (a KernelRef<'task_struct'>), or the current task's BTF pointer. */
function taskOf(L: Lowerer, map: MapRef, e: ts.Expression | undefined, node: ts.Node): Operand {
  if (e) {
    const v = L.operand(lowerExpr(L, e), undefined, e);
    if (v.ty.kind !== 'ptr' || v.ty.btf !== 'task_struct') {
      return L.fail('LK3010', `TaskStorage '${map.name}' takes a KernelRef<'task_struct'> (bpf.getCurrentTaskBtf(), a task_struct pointer field), not '${e.getText()}'`, e);
    }
    return v.op;
  }
  checkGplHelper(L, 'bpf_get_current_task_btf', node);
  const t = L.b.vreg(btfPtr('task_struct'));
  L.b.emit({ op: 'call', dst: t, helper: CURRENT_TASK_BTF, args: [], pos: L.pos(node) });
  return reg(t);
}

/** `perTask.get(task?, flags?)` / `perTask.delete(task?)`. */
export function taskStorageCall(L: Lowerer, map: MapRef, method: string, node: ts.CallExpression): Val {
  const args = [...node.arguments];
  const pos = L.pos(node);
  const task = args[0] && isTaskArg(L, args[0]) ? args.shift() : undefined;
  // get(task, flags) with a task that is not a KernelRef (tsc says TS2769 too).
  if (!task && args.length === 2) taskOf(L, map, args[0], node);
  if (method === 'get' && args.length <= 1) {
    const t = taskOf(L, map, task, node);
    const flags = args[0] ? L.operand(lowerExpr(L, args[0], INT.u64), INT.u64, args[0]).op : konst(0n, INT.u64);
    const dst = L.b.vreg(ptr('map_value_or_null', map.value));
    L.b.emit({ op: 'mapCall', dst, helper: GET, map, args: [t, konst(0n, INT.u64), flags], pos });
    return { kind: 'val', op: reg(dst), ty: dst.ty };
  }
  if (method === 'delete' && args.length === 0) {
    const t = taskOf(L, map, task, node);
    const dst = L.b.vreg(INT.i64);
    L.b.emit({ op: 'mapCall', dst, helper: DELETE, map, args: [t], pos });
    return { kind: 'val', op: reg(dst), ty: INT.i64 };
  }
  return L.fail('LK6001', `TaskStorage '${map.name}': only get(flags?), get(task, flags?), delete() and delete(task) are supported`, node);
}
