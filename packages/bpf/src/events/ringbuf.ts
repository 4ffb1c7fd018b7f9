// RingBufferReader: records from a BPF_MAP_TYPE_RINGBUF map (Linux 5.8+),
// read zero-copy from the mmap()ed ring and woken by epoll on the map fd.
import { EventReader, type EventReaderOptions } from './reader.js';
import { RingbufMemory } from './ringbuf-ring.js';
import { mapInfoByFd } from '../maps/map.js';
import { MapType } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';

/** Anything with a map fd: a BpfMap, or a map from an object or a pin. */
export interface MapRef {
  readonly fd: number;
}

export interface RingBufferOptions extends EventReaderOptions {
  /**
   * Called for each record. By default `data` is a VIEW of the mapped ring:
   * valid only until the callback returns (the kernel reuses the space right
   * after), and read-only memory (writing to it faults). Keep bytes with
   * `data.slice()`, or set `copy`.
   */
  onSample?: (data: Uint8Array) => void;
  /**
   * Instead of onSample, the zero-allocation form: `data` is the ring's whole
   * data area (one view, allocated once; read-only) and the record is
   * `data[offset .. offset + length)`, always contiguous (the area is mapped
   * twice back to back). Valid only until the callback returns. Saves the
   * Uint8Array per record onSample costs (~3× faster drains, bench/README.md).
   * @example onRecord: (d, o, n) => { total += d[o]; }
   */
  onRecord?: (data: Uint8Array, offset: number, length: number) => void;
  /** Hand onSample a private copy instead of a view. */
  copy?: boolean;
  /** With onSample or onRecord: start callback mode right away (default true). */
  watch?: boolean;
}

/** Name and size of a RINGBUF (or USER_RINGBUF) map, checked against the kernel's view. */
export function ringMapInfo(map: MapRef, want: number, kind: string): { name: string; size: number; what: string } {
  const info = mapInfoByFd(map.fd);
  const what = `${kind} '${info.name || `fd ${map.fd}`}'`;
  if (info.type !== want) {
    throw new ArgumentError(`${what}: map type is ${info.typeName}, expected ${want === MapType.RINGBUF ? 'RINGBUF' : 'USER_RINGBUF'}`);
  }
  return { name: info.name, size: info.maxEntries, what };
}

/**
 * Reads a BPF ring buffer. Three ways: a callback woken by the kernel
 * (callback mode), poll()/consume(), or `for await` over copied records.
 * Close the reader before the map.
 *
 * Minimum kernel: 5.8 (BPF_MAP_TYPE_RINGBUF).
 *
 * @example
 * const events = BpfMap.create({ type: 'RINGBUF', maxEntries: 64 * 1024 });
 * const reader = new RingBufferReader(events, { onSample: (d) => console.log(d[0]) });
 * // ... reader.close(); events.close();
 *
 * @example
 * const reader = RingBufferReader.open(events);
 * for await (const rec of reader) handle(rec); // ends on reader.close()
 */
export class RingBufferReader extends EventReader<Uint8Array> {
  readonly #ring: RingbufMemory;
  readonly #onSample: ((data: Uint8Array) => void) | undefined;
  readonly #onRecord: ((data: Uint8Array, offset: number, length: number) => void) | undefined;
  readonly #copy: boolean;
  /** The per-record callbacks the ring calls, made once (see RingbufMemory's drain loop). */
  readonly #queueSink = (v: Uint8Array): void => this.enqueue(v.slice());
  readonly #copySink = (v: Uint8Array): void => this.#onSample!(v.slice());
  /** Bytes in the ring's data area. */
  readonly size: number;

  constructor(map: MapRef, opts: RingBufferOptions = {}) {
    const { size, what } = ringMapInfo(map, MapType.RINGBUF, 'ring buffer');
    if (opts.onRecord && (opts.onSample || opts.copy)) {
      throw new ArgumentError(`${what}: onRecord excludes onSample and copy`);
    }
    super(what, opts);
    this.size = size;
    this.#onSample = opts.onSample;
    this.#onRecord = opts.onRecord;
    this.#copy = opts.copy ?? false;
    this.#ring = new RingbufMemory(map.fd, size, what);
    try {
      this.addRing(map.fd, what);
      if ((this.#onSample || this.#onRecord) && opts.watch !== false) this.start();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Same as the constructor. */
  static open(map: MapRef, opts: RingBufferOptions = {}): RingBufferReader {
    return new RingBufferReader(map, opts);
  }

  /** Bytes committed or reserved by the kernel and not yet consumed. */
  available(): number {
    return this.#ring.available();
  }

  protected override stalled(_i: number): boolean {
    return this.#ring.headBusy();
  }

  protected get hasCallback(): boolean {
    return this.#onSample !== undefined || this.#onRecord !== undefined;
  }

  protected drainRing(_i: number, toQueue: boolean): number {
    if (toQueue) return this.#ring.consume(this.#queueSink);
    if (this.#onRecord) return this.#ring.consumeRaw(this.#onRecord);
    return this.#ring.consume(this.#copy ? this.#copySink : this.#onSample!);
  }

  protected override closing(): void {
    this.#ring.stop();
  }

  protected release(): void {
    this.#ring.release();
  }
}
