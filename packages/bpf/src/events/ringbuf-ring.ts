// The consumer side of one BPF ring buffer's shared memory (kernel/bpf/ringbuf.c).
//
// Layout as mmap()ed from the map fd:
//   offset 0, one page, read-write:  consumer_pos (u64) — only we write it
//   offset page, read-only:          producer_pos (u64), then at +page the data
//                                    area, mapped twice back to back so a record
//                                    that wraps the end is still contiguous.
// Each record: u32 len (bit 31 BUSY: reserved, not committed; bit 30 DISCARD),
// u32 page offset, then len bytes; records are 8-byte aligned.
//
// Memory ordering. The kernel publishes with smp_store_release(producer_pos)
// after writing a header, and commits a record with xchg(&hdr->len) after
// writing its bytes; it reads our consumer_pos with smp_load_acquire before
// reusing space. So we read producer_pos and each header with acquire
// semantics and write consumer_pos with release semantics. Atomics.load /
// Atomics.store (sequentially consistent, so at least acquire/release) on
// views of the mapped ArrayBuffer give exactly that (Atomics work on
// non-shared buffers); record headers on x86-64 are the one exception, below.
import { mmapFd, unmap, pageSize, PROT_READ, PROT_WRITE } from '../maps/mmap.js';
import { ArgumentError, BpfError } from '../errors.js';

export const RINGBUF_BUSY_BIT = 1 << 31;
export const RINGBUF_DISCARD_BIT = 1 << 30;
export const RINGBUF_HDR_SZ = 8;
const LEN_MASK = ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);

// How a record header is read. On x86-64 every load is an acquire load in
// hardware (TSO: loads are not reordered with older loads, Intel SDM 8.2.2),
// which is all smp_load_acquire() compiles to there; V8 keeps typed-array
// loads in program order on its effect chain, and each header is read once
// per lap of the ring with a callback or an Atomics.store in between, so no
// load is merged or hoisted. So x64 reads headers with a plain load, as
// libbpf's smp_load_acquire does; other architectures (arm64 reorders loads)
// use Atomics.load, which costs a builtin call per record (~4 ns here,
// bench/README.md "Ring buffer").
/** How record headers are read: 'plain' (x86-64, see above) or 'atomic' (Atomics.load). */
export type HeaderLoads = 'plain' | 'atomic';
export const DEFAULT_HEADER_LOADS: HeaderLoads = process.arch === 'x64' ? 'plain' : 'atomic';

/**
 * The largest ring mapped here (readers and the user ring buffer writer):
 * offsets and byte counts within one drain stay int32 (see #drainRecords),
 * and 2 × size bytes are mapped.
 */
export const MAX_RING_SIZE = 2 ** 30;

/** Check a ring's data size: a power of two, a multiple of the page size, at most MAX_RING_SIZE. */
export function checkRingSize(size: number, what: string): void {
  const page = pageSize();
  if (!Number.isInteger(size) || size < page || size % page !== 0 || (size & (size - 1)) !== 0) {
    throw new ArgumentError(`${what}: max_entries ${size} must be a power of 2 and a multiple of the page size ${page}`);
  }
  if (size > MAX_RING_SIZE) {
    throw new ArgumentError(`${what}: max_entries ${size} is larger than the ${MAX_RING_SIZE} bytes (1 GiB) @lockne/bpf maps for a ring`);
  }
}

/** Index of the low half of a u64 in an Int32Array over it (0 on little-endian CPUs). */
export const LOW_WORD = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;

/** Round a record's length plus header up to the ring's 8-byte alignment. */
export function recordSpan(len: number): number {
  return Math.ceil((len + RINGBUF_HDR_SZ) / 8) * 8;
}

export class RingbufMemory {
  /** Bytes in the data area (the map's max_entries). */
  readonly size: number;
  readonly #what: string;
  readonly #consumerPage: ArrayBuffer;
  readonly #producer: ArrayBuffer;
  /** consumer_pos, in the read-write consumer page. */
  readonly #cons: BigInt64Array;
  /** producer_pos, at the start of the read-only mapping. */
  readonly #prod: BigInt64Array;
  /** The read-only mapping as 32-bit words, for acquire loads of record headers. */
  readonly #words: Int32Array;
  /** Where the data area starts in the read-only mapping. */
  readonly #data: number;
  /** The data area, both mappings (2 × size bytes): what consumeRaw hands out. */
  readonly data: Uint8Array;
  /** The low 32 bits of consumer_pos and of producer_pos (whichever word holds them on this CPU). */
  readonly #consLow: Int32Array;
  readonly #prodLow: Int32Array;
  /** The running call: consumer_pos when it began, bytes consumed (set when it ends), bytes published. */
  #start = 0n;
  #consumed = 0;
  #publishedBytes = 0;
  readonly #plainHeaders: boolean;
  #stopped = false;

  /** `headerLoads` other than the default is for tests: both paths run on any CPU. */
  constructor(fd: number, size: number, what: string, headerLoads: HeaderLoads = DEFAULT_HEADER_LOADS) {
    checkRingSize(size, what);
    this.#plainHeaders = headerLoads === 'plain';
    const page = pageSize();
    this.size = size;
    this.#what = what;
    this.#consumerPage = mmapFd(fd, page, PROT_READ | PROT_WRITE, 0, `${what} consumer page`);
    try {
      this.#producer = mmapFd(fd, page + 2 * size, PROT_READ, page, `${what} producer page and data`);
    } catch (e) {
      unmap(this.#consumerPage);
      throw e;
    }
    this.#cons = new BigInt64Array(this.#consumerPage, 0, 1);
    this.#prod = new BigInt64Array(this.#producer, 0, 1);
    this.#consLow = new Int32Array(this.#consumerPage, LOW_WORD * 4, 1);
    this.#prodLow = new Int32Array(this.#producer, LOW_WORD * 4, 1);
    this.#words = new Int32Array(this.#producer);
    this.#data = page;
    this.data = new Uint8Array(this.#producer, page, 2 * size);
  }

  /** True when data is published but the next record is reserved and not yet committed. */
  headBusy(): boolean {
    const cons = Number(Atomics.load(this.#cons, 0));
    if (cons >= Number(Atomics.load(this.#prod, 0))) return false;
    return (Atomics.load(this.#words, (this.#data + (cons % this.size)) >> 2) & RINGBUF_BUSY_BIT) !== 0;
  }

  /** Bytes written by the kernel and not yet consumed. */
  available(): number {
    return Number(Atomics.load(this.#prod, 0)) - Number(Atomics.load(this.#cons, 0));
  }

  /**
   * Deliver committed records in order as views of the mapped data (valid
   * only during `deliver`: once consumer_pos moves past a record the kernel
   * may overwrite it). Same ordering, batching and stop rules as consumeRaw().
   */
  consume(deliver: (view: Uint8Array) => void): number {
    return this.#drainViews(deliver);
  }

  /**
   * Deliver committed records in order without a view per record:
   * `deliver(data, offset, length)` gets the data area (allocated once) and
   * where the record's bytes are. The area is mapped twice back to back, so a
   * record that wraps the end is still contiguous. Valid only during
   * `deliver`. Discarded records are skipped; a BUSY record ends the batch.
   * At most one ring's worth of bytes per call, so a producer faster than us
   * cannot starve the event loop (a level-triggered wake follows). After
   * stop() (a reader closed inside a callback) no further record is delivered.
   *
   * consumer_pos is published every eighth of the ring, after the record
   * that crosses the mark has been delivered, and when the call ends (also
   * when `deliver` throws: that record counts as consumed). A 64-bit
   * Atomics.store costs a BigInt; per record it was half the cost of reading
   * one, while an eighth of the ring frees space for the kernel soon enough.
   */
  consumeRaw(deliver: (data: Uint8Array, offset: number, length: number) => void): number {
    return this.#drainRecords(deliver);
  }

  /**
   * Deliver nothing more, for good: the owner closed. A field the loop reads
   * after each record; asking the owner through a closure per record
   * (`() => reader.closed`) cost ~1 ns per record.
   */
  stop(): void {
    this.#stopped = true;
  }

  /** A drain begins: note consumer_pos; its low 32 bits, where the loop counts from. */
  #begin(): number {
    this.#start = Atomics.load(this.#cons, 0);
    this.#consumed = 0;
    this.#publishedBytes = 0;
    return this.#consLow[0]!; // only we write consumer_pos
  }

  /**
   * A drain ends, normally or by a throw: publish `pos` bytes (release: the
   * kernel's smp_load_acquire(&rb->consumer_pos) may now reuse the space). A
   * record whose callback threw counts as consumed (pos is past it).
   */
  #finish(pos: number): void {
    this.#consumed = pos;
    if (pos !== this.#publishedBytes) this.#publish(pos);
  }

  /** consumer_pos = where this call began + `consumed` bytes (release). */
  #publish(consumed: number): void {
    Atomics.store(this.#cons, 0, this.#start + BigInt(consumed));
    this.#publishedBytes = consumed;
  }

  // The loop of consumeRaw. Every value in it is an int32, which is what
  // keeps it at ~4.7 ns per record cache-hot under V8 11 rather than ~12
  // (bench/README.md "Ring buffer"); each of these was found in the
  // optimised code:
  // - positions are u64 counters past 2^31 after 2 GiB of records, and as
  //   doubles they turned the whole loop's arithmetic into doubles and
  //   checks. So the loop counts bytes consumed in this call (`pos`, at most
  //   the ring's size) and reads only the low 32 bits of the positions:
  //   differences and offsets modulo the ring's size are exact in them. A
  //   position is made, as a BigInt, only to publish;
  // - a corrupt header (a record running past the published bytes) leaves
  //   the loop and throws after it: a throw inside spilled the loop's values;
  // - `plain` is a known boolean and the bit constants are locals: a
  //   module-level const is a context slot that V8's regular (non-OSR)
  //   optimised code loads and checks for the TDZ hole at every use;
  // - the `finally` publishes the local `pos`: storing it in a field per
  //   record instead (for a caller's finally) cost ~1 ns per record;
  // - each mode has its own loop (#drainViews below), and the readers hand
  //   in callbacks made once: one call site fed both an adapter closure
  //   made per call and the raw callback went megamorphic, and V8 stopped
  //   inlining the callback (~12 ns per record).
  #drainRecords(onRecord: (data: Uint8Array, offset: number, length: number) => void): number {
    const BUSY_BIT = 1 << 31;
    const DISCARD_BIT = 1 << 30;
    const HDR_SZ = 8;
    const LENGTH_BITS = ~(BUSY_BIT | DISCARD_BIT);
    const words = this.#words;
    const base = this.#data;
    const data = this.data;
    const size = this.size;
    const mask = size - 1;
    const every = size / 8;
    const plain = this.#plainHeaders === true;
    const prodLow = this.#prodLow;
    const startLow = this.#begin();
    let pos = 0;
    let nextPublish = every;
    let delivered = 0;
    let corrupt = false;
    try {
      scan: for (;;) {
        // acquire: pairs with smp_store_release(&rb->producer_pos) in __bpf_ringbuf_reserve.
        // The kernel publishes at most `size` bytes past consumer_pos, so this fits an int32.
        const published = (Atomics.load(prodLow, 0) - startLow) | 0;
        // At most one ring's worth per call, so a fast producer cannot starve the event loop.
        const end = published < size ? published : size;
        if (pos >= end || this.#stopped) return delivered;
        let off = (startLow + pos) & mask;
        while (pos < end) {
          // acquire: pairs with xchg(&hdr->len, ...) in bpf_ringbuf_commit.
          const at = (base + off) >>> 2;
          const len = plain ? words[at]! : Atomics.load(words, at);
          if (len & BUSY_BIT) return delivered;
          const sampleLen = len & LENGTH_BITS;
          const span = (sampleLen + HDR_SZ + 7) & ~7;
          if (pos + span > published) {
            corrupt = true;
            break scan;
          }
          const recordOffset = off + HDR_SZ;
          pos += span;
          off = (off + span) & mask;
          if (!(len & DISCARD_BIT)) {
            delivered++;
            onRecord(data, recordOffset, sampleLen);
          }
          if (pos >= nextPublish) {
            this.#publish(pos);
            nextPublish = pos + every;
          }
          if (this.#stopped) return delivered;
        }
      }
    } finally {
      this.#finish(pos);
    }
    if (corrupt) throw this.#corrupt();
    return delivered;
  }

  // The same loop, a view per record. A copy rather than a mode of the one
  // above: with both callbacks' call sites in one loop, a process using both
  // modes got the view branch's allocation in the raw loop too (~7.5 instead
  // of ~5 ns per record cache-hot). Change both together.
  #drainViews(onSample: (view: Uint8Array) => void): number {
    const BUSY_BIT = 1 << 31;
    const DISCARD_BIT = 1 << 30;
    const HDR_SZ = 8;
    const LENGTH_BITS = ~(BUSY_BIT | DISCARD_BIT);
    const words = this.#words;
    const base = this.#data;
    const buffer = this.#producer;
    const size = this.size;
    const mask = size - 1;
    const every = size / 8;
    const plain = this.#plainHeaders === true;
    const prodLow = this.#prodLow;
    const startLow = this.#begin();
    let pos = 0;
    let nextPublish = every;
    let delivered = 0;
    let corrupt = false;
    try {
      scan: for (;;) {
        // acquire: pairs with smp_store_release(&rb->producer_pos) in __bpf_ringbuf_reserve.
        // The kernel publishes at most `size` bytes past consumer_pos, so this fits an int32.
        const published = (Atomics.load(prodLow, 0) - startLow) | 0;
        // At most one ring's worth per call, so a fast producer cannot starve the event loop.
        const end = published < size ? published : size;
        if (pos >= end || this.#stopped) return delivered;
        let off = (startLow + pos) & mask;
        while (pos < end) {
          // acquire: pairs with xchg(&hdr->len, ...) in bpf_ringbuf_commit.
          const at = (base + off) >>> 2;
          const len = plain ? words[at]! : Atomics.load(words, at);
          if (len & BUSY_BIT) return delivered;
          const sampleLen = len & LENGTH_BITS;
          const span = (sampleLen + HDR_SZ + 7) & ~7;
          if (pos + span > published) {
            corrupt = true;
            break scan;
          }
          const recordOffset = off + HDR_SZ;
          pos += span;
          off = (off + span) & mask;
          if (!(len & DISCARD_BIT)) {
            delivered++;
            onSample(new Uint8Array(buffer, base + recordOffset, sampleLen));
          }
          if (pos >= nextPublish) {
            this.#publish(pos);
            nextPublish = pos + every;
          }
          if (this.#stopped) return delivered;
        }
      }
    } finally {
      this.#finish(pos);
    }
    if (corrupt) throw this.#corrupt();
    return delivered;
  }

  /** The error for the header at #consumed, whose record runs past the published bytes. */
  #corrupt(): BpfError {
    const position = this.#start + BigInt(this.#consumed);
    const published = Atomics.load(this.#prod, 0) - position;
    const length = this.#words[(this.#data + Number(position % BigInt(this.size))) >>> 2]! & LEN_MASK;
    return new BpfError(`${this.#what}: corrupt record header at position ${position} (length ${length}, ${published} bytes published)`);
  }

  release(): void {
    unmap(this.#producer);
    unmap(this.#consumerPage);
  }
}
