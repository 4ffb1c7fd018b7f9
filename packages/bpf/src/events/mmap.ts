// mmap/munmap of event ring memory through the native addon, with errors that
// name what was being mapped.
import { native } from '../sys/native.js';
import { SyscallError } from '../errors.js';

export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;

/** The system page size (cached). */
let page = 0;
export function pageSize(): number {
  if (!page) page = native.pageSize();
  return page;
}

/** mmap(fd) shared; throws SyscallError('mmap') naming `what`. */
export function mapShared(fd: number, length: number, prot: number, offset: number, what: string): ArrayBuffer {
  const r = native.mmap(fd, length, prot, MAP_SHARED, offset);
  if (typeof r === 'number') throw new SyscallError('mmap', -r, `${what}: ${length} bytes at offset ${offset}`);
  return r;
}

/** munmap a buffer from mapShared; the buffer is detached afterwards. */
export function unmap(buffer: ArrayBuffer, what: string): void {
  if (buffer.byteLength === 0) return; // already detached
  const r = native.munmap(buffer);
  if (r < 0) throw new SyscallError('munmap', -r, what);
}
