// struct bpf_spin_lock as a struct field type (hash/array map values, kernel 5.1).
import type { StructDesc } from './struct.js';
import { u32 } from './ints.js';

/**
 * A spin lock living inside a map value. Take it with `lock()`, release it with `unlock()` on every
 * path; while it is held: no helper call (map lookups/updates included), no return, no second lock
 * (LK3005, the verifier's rules). Only hash and array maps (and sk/task storage) may hold one, one per
 * value, as a top-level field; socket filters and kprobe/tracepoint/raw_tp programs cannot use them.
 */
export interface SpinLock {
  lock(): void;
  unlock(): void;
}

/**
 * Layout of struct bpf_spin_lock: 4 bytes, `{ __u32 val; }` as in the UAPI header, so BTF names it
 * `bpf_spin_lock` (what the kernel looks for) and userspace decodes the field as `{ val }`.
 * Read a locked value consistently from userspace with `map.get(key, UpdateFlags.F_LOCK)`.
 * @example const Acct = struct('acct', { lock: spinLock, packets: u64, bytes: u64 });
 *          const a = accts.lookup(k);
 *          if (a !== null) { a.value.lock.lock(); a.value.packets += 1n; a.value.bytes += n; a.value.lock.unlock(); }
 */
export const spinLock: StructDesc<SpinLock> = {
  kind: 'struct', name: 'struct bpf_spin_lock', size: 4, align: 4,
  fields: [{ name: 'val', offset: 0, type: u32 }],
};
