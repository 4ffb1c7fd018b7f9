// RingBufferSet: several ring buffers read together, each with its own
// callback (libbpf's ring_buffer__add), woken by one watcher per map fd.
import { EventReader, type EventReaderOptions } from './reader.js';
import { RingbufMemory } from './ringbuf-ring.js';
import { ringMapInfo, type MapRef } from './ringbuf.js';
import { MapType } from '../sys/consts.js';
import { ClosedError } from '../errors.js';

interface Member {
  ring: RingbufMemory;
  onSample: (data: Uint8Array) => void;
}

export interface RingBufferSetOptions extends EventReaderOptions {
  /** Start callback mode as soon as the first ring is added (default true). */
  watch?: boolean;
}

/**
 * Multiplexes ring buffers: poll()/consume() drain all of them, callback mode
 * (on by default) wakes on whichever fd the kernel signals. Each callback gets
 * a view valid only during the call (see RingBufferOptions.onSample).
 *
 * Minimum kernel: 5.8.
 *
 * @example
 * const set = new RingBufferSet();
 * set.add(netEvents, (d) => onNet(d));
 * set.add(procEvents, (d) => onProc(d.slice()));
 * // ... set.close();
 */
export class RingBufferSet extends EventReader<never> {
  readonly #members: Member[] = [];
  readonly #watch: boolean;

  constructor(opts: RingBufferSetOptions = {}) {
    super('ring buffer set', opts);
    this.#watch = opts.watch ?? true;
  }

  /** Add a ring buffer map with its callback; returns its index in the set. */
  add(map: MapRef, onSample: (data: Uint8Array) => void): number {
    if (this.closed) throw new ClosedError(this.description);
    const { size, what } = ringMapInfo(map, MapType.RINGBUF, 'ring buffer');
    const ring = new RingbufMemory(map.fd, size, what);
    // The member stays even if watching fails below: indices match watchers,
    // and close() releases every member.
    this.#members.push({ ring, onSample });
    const i = this.addRing(map.fd, what);
    if (this.#watch && !this.watching) this.start();
    return i;
  }

  /** How many rings are in the set. */
  get size(): number {
    return this.#members.length;
  }

  protected override stalled(i: number): boolean {
    return this.#members[i]?.ring.headBusy() ?? false;
  }

  protected get hasCallback(): boolean {
    return true;
  }

  protected drainRing(i: number): number {
    const m = this.#members[i];
    if (!m) return 0;
    return m.ring.consume(m.onSample);
  }

  protected override closing(): void {
    for (const m of this.#members) m.ring.stop();
  }

  protected release(): void {
    for (const m of this.#members) m.ring.release();
  }
}
