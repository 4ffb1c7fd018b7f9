// mmap of map fds (mmapable arrays, ring buffers, arenas), with errors that
// name the map.
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
export function mmapFd(fd: number, length: number, prot: number, offset: number, what: string, hint?: bigint): ArrayBuffer {
  const r = native.mmap(fd, length, prot, MAP_SHARED, offset, hint);
  if (typeof r === 'number') throw new SyscallError('mmap', -r, `${what}: ${length} bytes at offset ${offset}`);
  return r;
}

/** Unmap a buffer from mmapFd (it becomes detached); already unmapped is fine. */
export function unmap(buf: ArrayBuffer | undefined): void {
  if (buf && buf.byteLength > 0) native.munmap(buf);
}
