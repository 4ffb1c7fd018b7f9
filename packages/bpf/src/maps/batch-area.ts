// A fixed attr area for a walk with BPF_MAP_LOOKUP_BATCH /
// BPF_MAP_LOOKUP_AND_DELETE_BATCH: the attr and both batch tokens live in one
// off-heap buffer whose pointer fields hold absolute addresses, so each chunk
// is native.bpf(cmd, attr) after writing `count` (and swapping the two token
// pointers): no encode() and no pointer list per chunk, as the map element
// path does (sys/syscall.ts). Through bpf() rather than a bound call so that what
// wraps native.bpf (tests' spies) still sees every batch call. Keys and
// values must be off-heap too: allocate them with offHeap().
import { native } from '../sys/native.js';
import { MapBatchAttr } from '../sys/attrs.js';
import { BpfCmd } from '../sys/consts.js';
import { Errno } from '../sys/errno.js';

const F = MapBatchAttr.fields;
const ATTR_SIZE = MapBatchAttr.size;
const TOKENS = 64; // where the two tokens start in the area, past the attr
if (ATTR_SIZE > TOKENS) throw new Error('MapBatchAttr does not fit before the batch tokens');
const RETRIES = 5;

/**
 * Bytes in a buffer of its own: an ArrayBuffer's memory is off-heap and never
 * moves (small `new Uint8Array(n)` arrays live in the JS heap and may).
 * @example const keys = offHeap(chunk * map.keySize);
 */
export function offHeap(size: number): Uint8Array {
  return new Uint8Array(new ArrayBuffer(size));
}

/**
 * One walk's attr.
 * @example
 * const a = new BatchArea(8, 0); a.setBuffers(keys, values);
 * let ret = a.call('MAP_LOOKUP_BATCH', map.fd, 1024); // then a.count(), a.advance()
 */
export class BatchArea {
  readonly #area: Uint8Array;
  /** The attr at the start of the area, as handed to native.bpf. */
  readonly #attr: Uint8Array;
  readonly #view: DataView;
  readonly #tok: [bigint, bigint];
  /** Which token the next call's out_batch is (0 or 1). */
  #out = 0;
  // keys/values referenced here so they outlive every call that points at them.
  #keys: Uint8Array | undefined;
  #values: Uint8Array | undefined;

  constructor(tokenSize: number, elemFlags: number) {
    const tok = (tokenSize + 7) & ~7;
    this.#area = offHeap(TOKENS + 2 * tok);
    this.#view = new DataView(this.#area.buffer);
    this.#attr = this.#area.subarray(0, ATTR_SIZE);
    const base = native.addressOf(this.#area);
    this.#tok = [base + BigInt(TOKENS), base + BigInt(TOKENS + tok)];
    const v = this.#view;
    v.setBigUint64(F.elem_flags.offset, BigInt(elemFlags), true);
    v.setBigUint64(F.flags.offset, 0n, true);
    v.setBigUint64(F.in_batch.offset, 0n, true); // the first call starts at the beginning
    v.setBigUint64(F.out_batch.offset, this.#tok[0], true);
  }

  /** Point keys and values at these (off-heap) buffers for the next calls. */
  setBuffers(keys: Uint8Array, values: Uint8Array): void {
    this.#keys = keys;
    this.#values = values;
    this.#view.setBigUint64(F.keys.offset, native.addressOf(keys), true);
    this.#view.setBigUint64(F.values.offset, native.addressOf(values), true);
  }

  /**
   * Ask map `fd` for up to `count` entries from the current position; ret or
   * -errno (EINTR retried). The fd is written per call: the caller reads it
   * from its map each time, which throws once the map is closed.
   */
  call(cmd: 'MAP_LOOKUP_BATCH' | 'MAP_LOOKUP_AND_DELETE_BATCH', fd: number, count: number): number {
    if (this.#keys === undefined || this.#values === undefined) throw new Error('BatchArea: setBuffers() first');
    const n = cmd === 'MAP_LOOKUP_BATCH' ? BpfCmd.MAP_LOOKUP_BATCH : BpfCmd.MAP_LOOKUP_AND_DELETE_BATCH;
    this.#view.setUint32(F.map_fd.offset, fd >>> 0, true);
    this.#view.setUint32(F.count.offset, count, true);
    let ret = native.bpf(n, this.#attr);
    for (let i = 0; ret === -Errno.EINTR && i < RETRIES; i++) {
      this.#view.setUint32(F.count.offset, count, true);
      ret = native.bpf(n, this.#attr);
    }
    return ret;
  }

  /** Entries the last call returned (the kernel writes count back). */
  count(): number {
    return this.#view.getUint32(F.count.offset, true);
  }

  /** Continue after the last call: its out_batch becomes in_batch, the other token the new out_batch. */
  advance(): void {
    const v = this.#view;
    v.setBigUint64(F.in_batch.offset, this.#tok[this.#out]!, true);
    this.#out ^= 1;
    v.setBigUint64(F.out_batch.offset, this.#tok[this.#out]!, true);
  }
}
