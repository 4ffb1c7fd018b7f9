// One CPU's perf ring for a BPF perf event array: a PERF_COUNT_SW_BPF_OUTPUT
// event on that CPU and its mmap()ed ring (1 control page + 2^n data pages).
//
// Memory ordering. The kernel writes records, then publishes data_head with
// smp_store_release (perf_output_put_handle); it reads data_tail (with a full
// barrier) before overwriting. We read data_head with an acquire load and
// write data_tail with a release store after we are done with a record:
// Atomics.load/store on a BigInt64Array over the control page (sequentially
// consistent, so at least acquire/release; Atomics work on non-shared buffers).
// Unlike the BPF ring buffer this ring is not mapped twice, so a record that
// wraps the end is copied into a scratch buffer.
import { FdHandle } from '../fd.js';
import { perfEventOpen, perfIoctl } from '../sys/perf.js';
import { mmapFd, unmap, pageSize, PROT_READ, PROT_WRITE } from '../maps/mmap.js';
import { PerfEventHeader, PerfMmapPage, bpfOutputAttr, PERF_RECORD_LOST, PERF_RECORD_SAMPLE, type BpfOutputAttrOptions } from './perf-mmap.js';
import { ArgumentError, BpfError } from '../errors.js';

const HEAD = PerfMmapPage.fields.data_head.offset / 8;
const TAIL = PerfMmapPage.fields.data_tail.offset / 8;
const HEADER_SIZE = PerfEventHeader.size;
const TYPE_AT = PerfEventHeader.fields.type.offset;
const SIZE_AT = PerfEventHeader.fields.size.offset;

export interface PerfRingSink {
  /** A PERF_RECORD_SAMPLE's raw data (a view, valid during the call). */
  sample(data: Uint8Array, cpu: number): void;
  /** A PERF_RECORD_LOST: `count` samples the kernel dropped for lack of room. */
  lost(count: number, cpu: number): void;
}

export class PerfRing {
  readonly cpu: number;
  /** The perf event fd (what the map entry for `cpu` points at). */
  readonly handle: FdHandle;
  /** Samples the kernel reported lost on this CPU so far. */
  lost = 0;
  readonly #what: string;
  readonly #buf: ArrayBuffer;
  readonly #meta: BigInt64Array;
  readonly #bytes: Uint8Array;
  readonly #dataOffset: number;
  readonly #dataSize: number;
  #scratch: Uint8Array | undefined;

  /** Open the event on `cpu`, map 1 + `pages` pages, enable it. */
  constructor(cpu: number, pages: number, attr: BpfOutputAttrOptions, what: string) {
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0) {
      throw new ArgumentError(`${what}: pagesPerCpu ${pages} must be a power of 2`);
    }
    this.cpu = cpu;
    this.#what = `${what} cpu ${cpu}`;
    const fd = perfEventOpen(bpfOutputAttr(attr), { cpu, what: `PERF_COUNT_SW_BPF_OUTPUT on cpu ${cpu}` });
    this.handle = new FdHandle(fd, `perf event (${this.#what})`);
    const page = pageSize();
    try {
      this.#buf = mmapFd(fd, (1 + pages) * page, PROT_READ | PROT_WRITE, 0, this.#what);
    } catch (e) {
      this.handle.close();
      throw e;
    }
    this.#meta = new BigInt64Array(this.#buf, 0, page / 8);
    this.#bytes = new Uint8Array(this.#buf);
    // data_offset/data_size are filled since Linux 4.1; before, data began at one page.
    this.#dataOffset = Number(this.#meta[PerfMmapPage.fields.data_offset.offset / 8]) || page;
    this.#dataSize = Number(this.#meta[PerfMmapPage.fields.data_size.offset / 8]) || pages * page;
    try {
      perfIoctl(fd, 'ENABLE', 0, this.#what);
    } catch (e) {
      this.release();
      throw e;
    }
  }

  /** Bytes written by the kernel and not yet consumed. */
  available(): number {
    return Number(Atomics.load(this.#meta, HEAD)) - Number(Atomics.load(this.#meta, TAIL));
  }

  /**
   * Deliver the records available now, in order (at most one ring's worth:
   * data_head is read once). `stop()` is asked after each record. data_tail
   * is published every eighth of the ring and when the call ends (also when
   * a callback throws: that record counts as consumed).
   */
  consume(sink: PerfRingSink, stop: () => boolean): number {
    // acquire: pairs with the kernel's smp_store_release of data_head.
    const head = Number(Atomics.load(this.#meta, HEAD));
    let tail = Number(Atomics.load(this.#meta, TAIL));
    let published = tail;
    const size = this.#dataSize;
    const every = size / 8;
    let delivered = 0;
    try {
      while (tail < head) {
        const off = tail % size;
        const at = this.#dataOffset + off;
        // Records are 8-byte aligned and the ring a power of two: a header never wraps.
        const type = this.#u32(this.#bytes, at + TYPE_AT);
        const recSize = this.#bytes[at + SIZE_AT]! | (this.#bytes[at + SIZE_AT + 1]! << 8);
        if (recSize < HEADER_SIZE || recSize > head - tail) {
          throw new BpfError(`${this.#what}: corrupt perf record (type ${type}, size ${recSize}) at position ${tail}`);
        }
        const rec = off + recSize <= size ? this.#bytes.subarray(at, at + recSize) : this.#unwrap(off, recSize);
        tail += recSize;
        if (type === PERF_RECORD_SAMPLE) {
          // struct { header; u32 size; char data[size]; } with PERF_SAMPLE_RAW only.
          const rawSize = this.#u32(rec, HEADER_SIZE);
          delivered++;
          sink.sample(rec.subarray(HEADER_SIZE + 4, HEADER_SIZE + 4 + rawSize), this.cpu);
        } else if (type === PERF_RECORD_LOST) {
          // struct { header; u64 id; u64 lost; }
          const count = this.#u32(rec, HEADER_SIZE + 8) + this.#u32(rec, HEADER_SIZE + 12) * 2 ** 32;
          this.lost += count;
          sink.lost(count, this.cpu);
        }
        if (tail - published >= every) {
          // release: the kernel may overwrite what we read once it sees the new tail.
          Atomics.store(this.#meta, TAIL, BigInt(tail));
          published = tail;
        }
        if (stop()) break;
      }
    } finally {
      if (tail !== published) Atomics.store(this.#meta, TAIL, BigInt(tail)); // release, as above
    }
    return delivered;
  }

  /** Unmap and close the event. */
  release(): void {
    unmap(this.#buf);
    this.handle.close();
  }

  /** A record that runs past the end of the ring, made contiguous in scratch memory. */
  #unwrap(off: number, recSize: number): Uint8Array {
    this.#scratch ??= new Uint8Array(0x10000); // a record's size is a u16
    const first = this.#dataSize - off;
    this.#scratch.set(this.#bytes.subarray(this.#dataOffset + off, this.#dataOffset + this.#dataSize), 0);
    this.#scratch.set(this.#bytes.subarray(this.#dataOffset, this.#dataOffset + recSize - first), first);
    return this.#scratch.subarray(0, recSize);
  }

  #u32(b: Uint8Array, at: number): number {
    return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
  }
}
