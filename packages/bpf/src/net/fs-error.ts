// A failed fs call as the typed error the rest of the package throws. Its own
// module so the cgroup helpers (the light '@lockne/bpf/cgroup' entry) need
// neither the native addon nor the netns code.
import { SyscallError } from '../errors.js';

/** A failed fs call (ENOENT, EACCES, ...) as a SyscallError naming `call` and `what`; anything else as is. */
export function fsError(call: string, e: unknown, what: string): Error {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.errno === 'number') return new SyscallError(call, Math.abs(err.errno), what);
  return e instanceof Error ? e : new Error(String(e));
}
