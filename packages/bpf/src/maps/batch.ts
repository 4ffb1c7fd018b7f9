// BPF_MAP_{LOOKUP,LOOKUP_AND_DELETE,UPDATE,DELETE}_BATCH (5.6+). Lookups walk
// the map in chunks, passing the kernel's out_batch token back as in_batch;
// the last chunk ends with ENOENT. A hash map returns ENOSPC when one bucket
// holds more entries than the chunk has room for: the chunk grows and the
// same position is asked again.
import { bpfRaw } from '../sys/syscall.js';
import { BatchArea, offHeap } from './batch-area.js';
import { encode, readU32 } from '../sys/layout.js';
import { MapBatchAttr } from '../sys/attrs.js';
import { UpdateFlags, type BpfCmdName } from '../sys/consts.js';
import { Errno } from '../sys/errno.js';
import { ArgumentError, SyscallError } from '../errors.js';

/** The parts of a map the batch calls need. */
export interface BatchTarget {
  readonly fd: number;
  readonly keySize: number;
  /** Bytes per value in the values buffer (per-CPU maps: all CPUs). */
  readonly valueBytes: number;
  readonly maxEntries: number;
  readonly handle: { readonly description: string };
}

export interface BatchLookupOptions {
  /** Entries asked per syscall; grows by itself when a hash bucket is larger. Default min(maxEntries, 1024). */
  chunkSize?: number;
  /** UpdateFlags.F_LOCK to read spin-locked values consistently. */
  elemFlags?: number;
}

export interface BatchUpdateOptions {
  /** UpdateFlags.F_LOCK only: the batch commands take no NOEXIST/EXIST. */
  elemFlags?: number;
}

/** One chunk as the kernel filled it: `count` keys and values back to back. */
export interface RawChunk {
  readonly keys: Uint8Array;
  readonly values: Uint8Array;
  readonly count: number;
}

/** A batch write stopped part way: `done` entries were applied before the error. */
export class BatchError extends SyscallError {
  override name = 'BatchError';
  readonly done: number;
  readonly total: number;
  constructor(syscall: string, errno: number, what: string, done: number, total: number) {
    super(syscall, errno, `${what}: ${done} of ${total} entries done`);
    this.done = done;
    this.total = total;
  }
}

// Hash maps use a u32 bucket index as the token, array-like maps a key.
const tokenSize = (m: BatchTarget): number => Math.max(m.keySize, 8);
const MAX_CHUNK = 1 << 20;

function checkElemFlags(flags: number, what: string): void {
  if (flags !== 0 && flags !== UpdateFlags.F_LOCK) {
    throw new ArgumentError(`${what}: batch elem_flags must be 0 or F_LOCK, got 0x${flags.toString(16)}`);
  }
}

/** Walk the map in chunks with BPF_MAP_LOOKUP_BATCH or BPF_MAP_LOOKUP_AND_DELETE_BATCH. */
export function* lookupBatchChunks(m: BatchTarget, cmd: 'MAP_LOOKUP_BATCH' | 'MAP_LOOKUP_AND_DELETE_BATCH', opts: BatchLookupOptions = {}): Generator<RawChunk> {
  const what = m.handle.description;
  const elemFlags = opts.elemFlags ?? 0;
  checkElemFlags(elemFlags, what);
  let chunk = opts.chunkSize ?? Math.max(1, Math.min(m.maxEntries, 1024));
  if (!Number.isInteger(chunk) || chunk < 1) throw new ArgumentError(`${what}: chunkSize ${chunk} is not a positive integer`);
  const area = new BatchArea(tokenSize(m), elemFlags);
  for (;;) {
    // Fresh buffers per chunk: the caller may keep what it was handed.
    const keys = offHeap(chunk * m.keySize);
    const values = offHeap(chunk * m.valueBytes);
    area.setBuffers(keys, values);
    const ret = area.call(cmd, m.fd, chunk);
    const count = area.count();
    if (ret === -Errno.ENOSPC && count === 0) {
      // One bucket holds more than `chunk` entries: ask again with more room.
      if (chunk >= MAX_CHUNK) throw new SyscallError(`BPF_${cmd}`, Errno.ENOSPC, `${what}: a bucket exceeds ${MAX_CHUNK} entries`);
      chunk = Math.min(MAX_CHUNK, chunk * 2);
      continue;
    }
    if (ret < 0 && ret !== -Errno.ENOENT) throw new SyscallError(`BPF_${cmd}`, -ret, what);
    if (count > 0) {
      yield { keys: keys.subarray(0, count * m.keySize), values: values.subarray(0, count * m.valueBytes), count };
    }
    if (ret === -Errno.ENOENT) return;
    area.advance();
  }
}

/** Called once per chunk of a raw walk: `count` keys and values back to back, valid only during the call. */
export type RawChunkCallback = (keys: Uint8Array, values: Uint8Array, count: number) => void;

/**
 * Walk the map like lookupBatchChunks, but into buffers allocated once per
 * walk and handed to `onChunk` (as the C loop reuses its arrays): no
 * allocation per chunk. Returns the number of entries seen.
 */
export function lookupBatchRaw(m: BatchTarget, cmd: 'MAP_LOOKUP_BATCH' | 'MAP_LOOKUP_AND_DELETE_BATCH', onChunk: RawChunkCallback, opts: BatchLookupOptions = {}): number {
  const what = m.handle.description;
  const elemFlags = opts.elemFlags ?? 0;
  checkElemFlags(elemFlags, what);
  let chunk = opts.chunkSize ?? Math.max(1, Math.min(m.maxEntries, 1024));
  if (!Number.isInteger(chunk) || chunk < 1) throw new ArgumentError(`${what}: chunkSize ${chunk} is not a positive integer`);
  // One attr area for the whole walk (in_batch takes the previous call's
  // out_batch: two tokens in the area, swapped), keys and values reused.
  const area = new BatchArea(tokenSize(m), elemFlags);
  let keys = offHeap(chunk * m.keySize);
  let values = offHeap(chunk * m.valueBytes);
  area.setBuffers(keys, values);
  let total = 0;
  for (;;) {
    const ret = area.call(cmd, m.fd, chunk);
    const count = area.count();
    if (ret === -Errno.ENOSPC && count === 0) {
      if (chunk >= MAX_CHUNK) throw new SyscallError(`BPF_${cmd}`, Errno.ENOSPC, `${what}: a bucket exceeds ${MAX_CHUNK} entries`);
      chunk = Math.min(MAX_CHUNK, chunk * 2);
      keys = offHeap(chunk * m.keySize);
      values = offHeap(chunk * m.valueBytes);
      area.setBuffers(keys, values);
      continue;
    }
    if (ret < 0 && ret !== -Errno.ENOENT) throw new SyscallError(`BPF_${cmd}`, -ret, what);
    if (count > 0) {
      total += count;
      onChunk(keys, values, count);
    }
    if (ret === -Errno.ENOENT) return total;
    area.advance();
  }
}

function batchWrite(cmd: BpfCmdName, m: BatchTarget, keys: Uint8Array, values: Uint8Array | null, count: number, opts: BatchUpdateOptions): number {
  const what = m.handle.description;
  const elemFlags = opts.elemFlags ?? 0;
  checkElemFlags(elemFlags, what);
  if (count === 0) return 0;
  const { ret, attr } = bpfRaw(cmd, encode(MapBatchAttr, { keys, values, count, map_fd: m.fd, elem_flags: elemFlags, flags: 0 }));
  // An unsupported command returns before touching count, which still holds ours.
  const unsupported = ret === -Errno.ENOTSUPP || ret === -Errno.EOPNOTSUPP;
  const done = unsupported ? 0 : Math.min(count, readU32(MapBatchAttr, attr, 'count'));
  if (ret < 0) throw new BatchError(`BPF_${cmd}`, -ret, what, done, count);
  return done;
}

export function updateBatch(m: BatchTarget, keys: Uint8Array, values: Uint8Array, count: number, opts: BatchUpdateOptions = {}): number {
  return batchWrite('MAP_UPDATE_BATCH', m, keys, values, count, opts);
}

export function deleteBatch(m: BatchTarget, keys: Uint8Array, count: number, opts: BatchUpdateOptions = {}): number {
  return batchWrite('MAP_DELETE_BATCH', m, keys, null, count, opts);
}
