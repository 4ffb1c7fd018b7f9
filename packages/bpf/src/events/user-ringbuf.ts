// UserRingBuffer: userspace writes records into a BPF_MAP_TYPE_USER_RINGBUF
// map (Linux 6.1+); a BPF program reads them with bpf_user_ringbuf_drain.
//
// The same memory layout as the BPF ring buffer with the roles swapped:
//   offset 0, one page, read-only for us:  consumer_pos (the kernel advances it)
//   offset page, read-write:               producer_pos (ours), then the data
//                                          area mapped twice (wrapped samples
//                                          are contiguous).
// Reserve: write the header with BUSY set, then publish producer_pos. Commit:
// atomically replace the header with the final length (DISCARD set to skip).
//
// Memory ordering. The kernel's __bpf_user_ringbuf_peek does
// smp_load_acquire(producer_pos) then smp_load_acquire(hdr->len), and releases
// space with smp_store_release(consumer_pos). So: acquire-load consumer_pos
// before reusing space, release-store producer_pos after writing the BUSY
// header, and commit the header with an atomic exchange (acq_rel, as libbpf's
// __atomic_exchange_n) after the sample's bytes are written. Atomics.load /
// store / exchange on the mapped ArrayBuffer provide that (they are
// sequentially consistent and work on non-shared buffers).
import { mmapFd, unmap, pageSize, PROT_READ, PROT_WRITE } from '../maps/mmap.js';
import { checkRingSize, recordSpan, RINGBUF_BUSY_BIT, RINGBUF_DISCARD_BIT, RINGBUF_HDR_SZ } from './ringbuf-ring.js';
import { ringMapInfo, type MapRef } from './ringbuf.js';
import { MapType } from '../sys/consts.js';
import { ArgumentError, ClosedError } from '../errors.js';

/** The kernel refuses samples above a dynptr's size limit (16 MiB - 1). */
const MAX_SAMPLE = (1 << 24) - 1;

/**
 * Writes samples for a BPF program to drain. One writer per map at a time
 * (the protocol has a single producer); not for use from several threads.
 *
 * Minimum kernel: 6.1 (BPF_MAP_TYPE_USER_RINGBUF, bpf_user_ringbuf_drain).
 *
 * @example
 * const jobs = BpfMap.create({ type: 'USER_RINGBUF', maxEntries: 4096 });
 * const w = new UserRingBuffer(jobs);
 * const s = w.reserve(8);          // null when the ring is full
 * if (s) { new DataView(s.buffer, s.byteOffset).setBigUint64(0, 42n, true); w.submit(s); }
 * w.write(new Uint8Array([1, 2, 3])); // reserve + copy + submit
 * // a program calling bpf_user_ringbuf_drain(&jobs, cb, ctx, 0) now sees both
 * w.close();
 */
export class UserRingBuffer {
  /** Bytes in the data area (the map's max_entries). */
  readonly size: number;
  readonly description: string;
  readonly #consumerPage: ArrayBuffer;
  readonly #producer: ArrayBuffer;
  readonly #cons: BigInt64Array;
  readonly #prod: BigInt64Array;
  readonly #words: Int32Array;
  readonly #data: number;
  #closed = false;

  constructor(map: MapRef) {
    const { size, what } = ringMapInfo(map, MapType.USER_RINGBUF, 'user ring buffer');
    checkRingSize(size, what);
    const page = pageSize();
    this.size = size;
    this.description = what;
    this.#consumerPage = mmapFd(map.fd, page, PROT_READ, 0, `${what} consumer page`);
    try {
      this.#producer = mmapFd(map.fd, page + 2 * size, PROT_READ | PROT_WRITE, page, `${what} producer page and data`);
    } catch (e) {
      unmap(this.#consumerPage);
      throw e;
    }
    this.#cons = new BigInt64Array(this.#consumerPage, 0, 1);
    this.#prod = new BigInt64Array(this.#producer, 0, 1);
    this.#words = new Int32Array(this.#producer);
    this.#data = page;
  }

  /** Same as the constructor. */
  static open(map: MapRef): UserRingBuffer {
    return new UserRingBuffer(map);
  }

  /** Bytes reserved or submitted that the kernel has not drained yet. */
  get pending(): number {
    return this.producerPosition - this.consumerPosition;
  }

  /** Total bytes ever reserved (the kernel's producer_pos). */
  get producerPosition(): number {
    this.#check();
    return Number(Atomics.load(this.#prod, 0));
  }

  /** Total bytes the kernel has drained (its consumer_pos). */
  get consumerPosition(): number {
    this.#check();
    return Number(Atomics.load(this.#cons, 0));
  }

  /**
   * Reserve room for a `size`-byte sample and return it as a writable view of
   * the ring, or null when the ring has no room now (retry after the program
   * drains). The sample is invisible to the kernel until submit(); samples
   * behind an unsubmitted one wait for it. Throws ArgumentError for a size the
   * ring can never hold.
   */
  reserve(size: number): Uint8Array | null {
    this.#check();
    if (!Number.isInteger(size) || size < 0 || size > MAX_SAMPLE) {
      throw new ArgumentError(`${this.description}: sample size ${size} must be an integer 0..${MAX_SAMPLE}`);
    }
    const span = recordSpan(size);
    if (span > this.size) {
      throw new ArgumentError(`${this.description}: a ${size}-byte sample needs ${span} bytes, the ring has ${this.size}`);
    }
    // acquire: pairs with smp_store_release(&rb->consumer_pos) in the kernel's drain.
    const cons = Number(Atomics.load(this.#cons, 0));
    const prod = Number(Atomics.load(this.#prod, 0));
    if (this.size - (prod - cons) < span) return null;
    const hdr = (this.#data + (prod % this.size)) >> 2;
    Atomics.store(this.#words, hdr, size | RINGBUF_BUSY_BIT);
    Atomics.store(this.#words, hdr + 1, 0);
    // release: the kernel's smp_load_acquire(producer_pos) then sees the BUSY header.
    Atomics.store(this.#prod, 0, BigInt(prod + span));
    return new Uint8Array(this.#producer, (hdr << 2) + RINGBUF_HDR_SZ, size);
  }

  /** Make a reserved sample visible to the kernel. */
  submit(sample: Uint8Array): void {
    this.#commit(sample, false);
  }

  /** Give a reserved sample back: the kernel skips it. */
  discard(sample: Uint8Array): void {
    this.#commit(sample, true);
  }

  /** Reserve, copy `data` in, submit. False when the ring has no room now. */
  write(data: Uint8Array): boolean {
    const s = this.reserve(data.byteLength);
    if (!s) return false;
    s.set(data);
    this.submit(s);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    unmap(this.#producer);
    unmap(this.#consumerPage);
  }

  #commit(sample: Uint8Array, discard: boolean): void {
    this.#check();
    const start = sample.byteOffset - RINGBUF_HDR_SZ - this.#data;
    if (sample.buffer !== this.#producer || start < 0 || start % 8 !== 0) {
      throw new ArgumentError(`${this.description}: ${discard ? 'discard' : 'submit'} needs a sample from this ring's reserve()`);
    }
    const hdr = (this.#data + (start % this.size)) >> 2;
    const len = Atomics.load(this.#words, hdr);
    if (!(len & RINGBUF_BUSY_BIT) || (len & ~RINGBUF_BUSY_BIT) !== sample.byteLength) {
      throw new ArgumentError(`${this.description}: sample was already submitted or discarded, or is not a whole reserved sample`);
    }
    // acq_rel exchange: the sample's bytes are visible before the kernel's
    // smp_load_acquire(hdr) sees the BUSY bit clear.
    Atomics.exchange(this.#words, hdr, (len & ~RINGBUF_BUSY_BIT) | (discard ? RINGBUF_DISCARD_BIT : 0));
  }

  #check(): void {
    if (this.#closed) throw new ClosedError(this.description);
  }
}
