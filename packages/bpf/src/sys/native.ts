// Typed front of the native addon (native/lockne_native.c). Every function
// returns a non-negative result or -errno, except mmap (ArrayBuffer | -errno)
// and pollStart (handle | -errno). Nothing here formats errors: see errors.ts.
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';

/** Bytes the native side can read or write in place. */
export type Bytes = ArrayBufferView | ArrayBuffer;
/** An attr pointer field: [byte offset in attr, memory whose address goes there]. */
export type PointerPatch = readonly [offset: number, target: Bytes | null];
/** A pointer inside a buffer the attr points at: [container, byte offset, target]. */
export type NestedPointerPatch = readonly [container: Bytes, offset: number, target: Bytes | null];
/** Opaque handle of an fd readiness watcher. */
export interface PollHandle { readonly __pollHandle: unique symbol }

export interface NativeBinding {
  bpf(cmd: number, attr: Uint8Array, pointers?: readonly PointerPatch[], nested?: readonly NestedPointerPatch[]): number;
  /**
   * bpf() on the attr at the start of `area` (attrSize bytes) whose pointer
   * fields ptrA/ptrB (attr offsets, -1: none) get the addresses of area +
   * dataA/dataB (-1: NULL). The map-element hot path: see sys/lean-call.ts.
   */
  bpf2(cmd: number, area: Uint8Array, attrSize: number, ptrA: number, dataA: number, ptrB: number, dataB: number): number;
  /**
   * A function doing bpf(cmd, area, attrSize) with cmd read from the int32 at
   * area + cmdOffset: no argument to convert per call. `area` must be a view
   * over `new ArrayBuffer(n)` (off-heap, never moves); the function keeps it alive.
   */
  boundBpf(area: Uint8Array, attrSize: number, cmdOffset: number): () => number;
  /** Address of a view's first byte; only for off-heap memory that never moves. */
  addressOf(view: Bytes): bigint;
  /** `pointers` patches addresses into attr like bpf()'s (config1 = uprobe_path / kprobe_func). */
  perfEventOpen(attr: Uint8Array, pid: number, cpu: number, groupFd: number, flags: number, pointers?: readonly PointerPatch[]): number;
  ioctl(fd: number, request: number, arg?: number | bigint | Bytes | null): number;
  close(fd: number): number;
  /** `hint`: an address suggestion, never MAP_FIXED (BPF arenas with a fixed user address need it). */
  mmap(fd: number, length: number, prot: number, flags: number, offset: number, hint?: bigint): ArrayBuffer | number;
  munmap(buffer: ArrayBuffer): number;
  pollStart(fd: number, events: number, callback: (status: number, events: number) => void): PollHandle | number;
  pollStop(handle: PollHandle): number;
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Bytes): number;
  connect(fd: number, addr: Bytes): number;
  sendto(fd: number, buf: Bytes, flags: number, addr: Bytes | null): number;
  recv(fd: number, buf: Bytes, flags: number): number;
  setsockopt(fd: number, level: number, name: number, value: Bytes): number;
  getsockopt(fd: number, level: number, name: number, out: Bytes): number;
  setns(fd: number, nstype: number): number;
  ifNameToIndex(name: string): number;
  mount(source: string, target: string, fstype: string, flags: number, data: string | null): number;
  statfsType(path: string): number;
  pageSize(): number;
  /** pidfd_open(2): an fd referring to process `pid` (task storage keys). */
  pidfdOpen(pid: number, flags?: number): number;
}

function load(): NativeBinding {
  const require = createRequire(import.meta.url);
  const candidates = ['build/Release/lockne_native.node', 'build/Debug/lockne_native.node'];
  const errors: string[] = [];
  for (const rel of candidates) {
    try {
      return require(path.join(PACKAGE_ROOT, rel)) as NativeBinding;
    } catch (e) {
      errors.push(`${rel}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `@lockne/bpf: native addon not built (run \`npm rebuild @lockne/bpf\`, needs python3, make and a C compiler).\n  ${errors.join('\n  ')}`,
  );
}

/** The loaded addon. Loaded once, on first import. */
export const native: NativeBinding = load();

/** UV_READABLE / UV_WRITABLE for pollStart. */
export const POLL_READABLE = 1;
export const POLL_WRITABLE = 2;
