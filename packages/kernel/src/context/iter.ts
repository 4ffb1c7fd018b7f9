// Iterator programs (BPF_TRACE_ITER): `iter('task', fn)` runs once per task
// (thread) and once more at the end with no task, each time able to write
// output that a reader of the iterator's fd gets (bpf_seq_write).
import type { u64, i64 } from '../ints.js';
import type { TypeDesc } from '../types.js';
import type { Ref } from '../maps/common.js';
import type { SkStorage } from '../maps/storage.js';

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

/**
 * Context of `iterSkStorage(fn)` (struct bpf_iter__bpf_sk_storage_map): runs once per socket
 * that has a value in the map the iterator is attached with (`attachIter(prog, { map })`), then
 * once more with no value. This is how userspace lists an SK_STORAGE map, which has no
 * get_next_key. Minimum kernel 5.9.
 * @example
 * export const dump = iterSkStorage((ctx) => {
 *   const v = ctx.value(perSock);
 *   if (v !== null) ctx.seqWrite(Counts, v.value);
 *   return 0;
 * });
 */
export interface SkStorageIterContext {
  /** Position of this call in the pass: 0, 1, 2, ... (meta->seq_num). */
  readonly seqNum: u64;
  /**
   * The socket's value (ctx->value), typed as `map`'s values; null at the final call. `map` must be
   * the SkStorage the iterator is attached with: the kernel sizes the value by that map.
   */
  value<V>(map: SkStorage<V>): Ref<V> | null;
  /** bpf_seq_write(meta->seq, &value, sizeof(T)). GPL-only. 0 or -EOVERFLOW. */
  seqWrite<T>(layout: TypeDesc<T>, value: T): i64;
}
