// errno number <-> name, from Node's own table (os.constants.errno).
import os from 'node:os';

const byNumber = new Map<number, string>();
for (const [name, num] of Object.entries(os.constants.errno)) {
  // Several names can share a number (EAGAIN/EWOULDBLOCK): keep the first, the canonical one.
  if (!byNumber.has(num)) byNumber.set(num, name);
}
// Kernel-internal codes that can leak out of bpf() and that libc does not name.
const kernelOnly: Record<number, string> = { 512: 'ERESTARTSYS', 524: 'ENOTSUPP', 525: 'ETOOSMALL' };

/** "ENOENT" for 2; "E<n>" when the number has no name. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  return byNumber.get(n) ?? kernelOnly[n] ?? `E${n}`;
}

/** Errno numbers by name, for comparisons: `errno === Errno.ENOENT`. */
export const Errno = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, E2BIG: 7, EBADF: 9, EAGAIN: 11, ENOMEM: 12,
  EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, ENODEV: 19, ENOTDIR: 20, EINVAL: 22, ENFILE: 23,
  EMFILE: 24, ENOTTY: 25, ENOSPC: 28, ERANGE: 34, ENOSYS: 38, ENOTEMPTY: 39, EOPNOTSUPP: 95,
  EADDRINUSE: 98, ENOTSUPP: 524,
} as const;
