// struct bpf_spin_lock as a struct field type (hash/array map values, kernel 5.1).
import type { TypeDesc } from './types.js';

/** A spin lock living inside a map value. Hold it briefly: no helper calls while locked (LK3005). */
export interface SpinLock {
  lock(): void;
  unlock(): void;
}

/**
 * Layout of struct bpf_spin_lock (4 bytes) for struct() fields.
 * @example const Acct = struct('acct', { lock: spinLock, bytes: u64 });
 *          const a = accts.lookup(k); if (a !== null) { a.value.lock.lock(); a.value.bytes += 1n; a.value.lock.unlock(); }
 */
export const spinLock: TypeDesc<SpinLock> = { kind: 'struct', name: 'struct bpf_spin_lock', size: 4, align: 4 };
