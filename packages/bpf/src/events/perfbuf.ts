// PerfBufferReader: samples a program sends with bpf_perf_event_output into a
// BPF_MAP_TYPE_PERF_EVENT_ARRAY, one perf ring per CPU (Linux 4.4+; the
// map type and PERF_COUNT_SW_BPF_OUTPUT). Woken by epoll on each CPU's fd.
import { EventReader, type EventReaderOptions } from './reader.js';
import { PerfRing, type PerfRingSink } from './perf-ring.js';
import type { MapRef } from './ringbuf.js';
import { mapInfoByFd } from '../maps/map.js';
import { MapElemAttr } from '../sys/attrs.js';
import { MapType } from '../sys/consts.js';
import { Errno } from '../sys/errno.js';
import { encode } from '../sys/layout.js';
import { bpfRaw } from '../sys/syscall.js';
import { onlineCpus } from '../sys/perf.js';
import { ArgumentError, SyscallError } from '../errors.js';

/** A sample as the async iterator yields it: a copy of the raw data and its CPU. */
export interface PerfSample {
  cpu: number;
  /**
   * The raw sample. The kernel pads it so that its u32 size field plus the data
   * end on 8 bytes: a 128-byte output arrives as 132 bytes, the last 4 zero.
   */
  data: Uint8Array;
}

export interface PerfBufferOptions extends EventReaderOptions {
  /**
   * Called for each sample with its raw data: a VIEW of the mapped ring (or of
   * a scratch buffer for a record that wraps the ring's end), valid only until
   * the callback returns. Keep bytes with `data.slice()`, or set `copy`.
   * The data carries the kernel's padding (see PerfSample.data).
   */
  onSample?: (data: Uint8Array, cpu: number) => void;
  /**
   * Instead of onSample, the zero-allocation form: `data` is the CPU's whole
   * mapped ring (or the scratch buffer holding a sample that wraps its end)
   * and the sample is data[offset, offset + length), valid only until the
   * callback returns. It saves the Uint8Array per sample that onSample costs
   * (~30 ns each in V8 11, bench/README.md).
   * @example onRecord: (d, o, n, cpu) => { bytes[cpu] += n; }
   */
  onRecord?: (data: Uint8Array, offset: number, length: number, cpu: number) => void;
  /** Called when the kernel reports samples it dropped because the ring was full. */
  onLost?: (count: number, cpu: number) => void;
  /** Hand onSample a private copy instead of a view. */
  copy?: boolean;
  /** With onSample or onRecord: start callback mode right away (default true). */
  watch?: boolean;
  /** Data pages per CPU ring, a power of 2 (default 8). */
  pagesPerCpu?: number;
  /** Wake after this many samples (default 1). */
  wakeupEvents?: number;
  /** Or wake once this many bytes are waiting. */
  wakeupBytes?: number;
  /** CPUs to open; default every online CPU (each must be < the map's max_entries). */
  cpus?: readonly number[];
}

/**
 * Reads a perf event array. For each CPU it opens a BPF output perf event,
 * maps its ring and stores the event's fd in the map at index cpu (removed
 * again on close). Lost samples are counted in `lost` / `lostOnCpu()`.
 *
 * @example
 * const events = BpfMap.create({ type: 'PERF_EVENT_ARRAY', keySize: 4, valueSize: 4, maxEntries: possibleCpuCount() });
 * const reader = new PerfBufferReader(events, {
 *   onSample: (data, cpu) => console.log(cpu, data.length),
 *   onLost: (n, cpu) => console.warn(`lost ${n} on cpu ${cpu}`),
 * });
 * // program: bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &rec, sizeof rec)
 * // ... reader.close(); events.close();
 */
export class PerfBufferReader extends EventReader<PerfSample> {
  readonly #rings: PerfRing[] = [];
  readonly #mapFd: number;
  readonly #hasCallback: boolean;
  readonly #sink: PerfRingSink;
  readonly #queueSink: PerfRingSink;

  constructor(map: MapRef, opts: PerfBufferOptions = {}) {
    const info = mapInfoByFd(map.fd);
    const what = `perf buffer '${info.name || `fd ${map.fd}`}'`;
    if (info.type !== MapType.PERF_EVENT_ARRAY) {
      throw new ArgumentError(`${what}: map type is ${info.typeName}, expected PERF_EVENT_ARRAY`);
    }
    if (opts.onRecord && (opts.onSample || opts.copy)) throw new ArgumentError(`${what}: onRecord excludes onSample and copy`);
    super(what, opts);
    this.#mapFd = map.fd;
    const onSample = opts.onSample;
    const onLost = opts.onLost ?? (() => {});
    this.#hasCallback = onSample !== undefined || opts.onRecord !== undefined;
    this.#sink = {
      sample: onSample ? (opts.copy ? (d, cpu) => onSample(d.slice(), cpu) : onSample) : () => {},
      record: opts.onRecord,
      lost: onLost,
    };
    this.#queueSink = { sample: (d, cpu) => this.enqueue({ cpu, data: d.slice() }), record: undefined, lost: onLost };

    const cpus = opts.cpus ?? onlineCpus();
    if (cpus.length === 0) throw new ArgumentError(`${what}: no CPUs to open`);
    try {
      for (const cpu of cpus) {
        if (!Number.isInteger(cpu) || cpu < 0 || cpu >= info.maxEntries) {
          throw new ArgumentError(`${what}: cpu ${cpu} is outside the map's ${info.maxEntries} entries`);
        }
        const ring = new PerfRing(cpu, opts.pagesPerCpu ?? 8, opts, what);
        this.#rings.push(ring);
        this.#setEntry(cpu, ring.handle.fd);
        this.addRing(ring.handle.fd, `${what} cpu ${cpu}`);
      }
      if (this.#hasCallback && opts.watch !== false) this.start();
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /** Same as the constructor. */
  static open(map: MapRef, opts: PerfBufferOptions = {}): PerfBufferReader {
    return new PerfBufferReader(map, opts);
  }

  /** The CPUs this reader has rings on. */
  get cpus(): number[] {
    return this.#rings.map((r) => r.cpu);
  }

  /** Samples the kernel reported lost, over all CPUs. */
  get lost(): number {
    let n = 0;
    for (const r of this.#rings) n += r.lost;
    return n;
  }

  /** Samples reported lost on one CPU (0 for a CPU without a ring). */
  lostOnCpu(cpu: number): number {
    return this.#rings.find((r) => r.cpu === cpu)?.lost ?? 0;
  }

  /** Bytes waiting in all rings. */
  available(): number {
    let n = 0;
    for (const r of this.#rings) n += r.available();
    return n;
  }

  protected get hasCallback(): boolean {
    return this.#hasCallback;
  }

  protected drainRing(i: number, toQueue: boolean): number {
    const ring = this.#rings[i];
    if (!ring) return 0;
    return ring.consume(toQueue ? this.#queueSink : this.#sink);
  }

  protected override closing(): void {
    for (const ring of this.#rings) ring.stop();
  }

  protected release(): void {
    let first: unknown;
    for (const ring of this.#rings) {
      try {
        this.#deleteEntry(ring.cpu);
        ring.release();
      } catch (e) {
        first ??= e;
      }
    }
    if (first) throw first;
  }

  #setEntry(cpu: number, fd: number): void {
    const { ret } = bpfRaw('MAP_UPDATE_ELEM', encode(MapElemAttr, { map_fd: this.#mapFd, key: u32(cpu), value: u32(fd) }));
    if (ret < 0) throw new SyscallError('BPF_MAP_UPDATE_ELEM', -ret, `${this.description}: perf event fd for cpu ${cpu}`);
  }

  #deleteEntry(cpu: number): void {
    const { ret } = bpfRaw('MAP_DELETE_ELEM', encode(MapElemAttr, { map_fd: this.#mapFd, key: u32(cpu) }));
    // ENOENT: already gone; EBADF: the map was closed first (its entries went with it).
    if (ret < 0 && ret !== -Errno.ENOENT && ret !== -Errno.EBADF) {
      throw new SyscallError('BPF_MAP_DELETE_ELEM', -ret, `${this.description}: cpu ${cpu}`);
    }
  }
}

function u32(n: number): Uint8Array {
  return new Uint8Array(new Uint32Array([n]).buffer);
}
