// Iterator programs (BPF_TRACE_ITER): `iter('task', fn)` runs once per task
// (thread) and once more at the end with no task, each time able to write
// output that a reader of the iterator's fd gets (bpf_seq_write).
import type { u64, i64 } from '../ints.js';
import type { TypeDesc } from '../types.js';

/**
 * Context of `iter('task', fn)` (struct bpf_iter__task). Minimum kernel 5.8.
 * @example
 * export const tasks = iter('task', (ctx) => {
 *   if (ctx.task === 0n) return 0;          // the final call: no task
 *   ctx.seqWrite(u64, ctx.seqNum);
 *   return 0;
 * });
 */
export interface TaskIterContext {
  /** Kernel address of the task_struct, 0 at the final call. */
  readonly task: u64;
  /** Position of this call in the pass: 0, 1, 2, ... (meta->seq_num). */
  readonly seqNum: u64;
  /** bpf_seq_write(meta->seq, &value, sizeof(T)): append the bytes of `value` to the output. GPL-only. 0 or -EOVERFLOW. */
  seqWrite<T>(layout: TypeDesc<T>, value: T): i64;
}
