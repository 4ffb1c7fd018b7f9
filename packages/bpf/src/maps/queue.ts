// BPF_MAP_TYPE_QUEUE (4.20+): a FIFO of values without keys. The shared
// push/pop/peek over key-less elements is here; stack.ts reuses it.
import type { Codec } from './codec.js';
import { none } from './codec.js';
import { BpfMap, MapBase, checkUpdateFlags, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapType, UpdateFlags } from '../sys/consts.js';
import { ArgumentError } from '../errors.js';

export interface QueueOptions<V> extends CommonMapOptions {
  value: Codec<V>;
  maxEntries: number;
}

/** push/pop/peek for key-less maps (queue, stack). */
export class KeylessMap<V> extends MapBase<null, V> {
  /**
   * Add a value. Full: fails with E2BIG, unless `overwrite` (BPF_EXIST)
   * drops the oldest element to make room.
   */
  push(value: V, opts: { overwrite?: boolean } = {}): void {
    const flags = opts.overwrite ? UpdateFlags.EXIST : UpdateFlags.ANY;
    checkUpdateFlags(flags, this.handle.description);
    this.setBytes(null, this.encodeValue(value), flags);
  }

  /** Remove and return the next value; undefined when empty. */
  pop(): V | undefined {
    const raw = this.lookupAndDeleteBytes(null);
    return raw ? this.valueCodec.decode(raw) : undefined;
  }

  /** The next value without removing it; undefined when empty. */
  peek(): V | undefined {
    const raw = this.getBytes(null);
    return raw ? this.valueCodec.decode(raw) : undefined;
  }

  /** Pop everything (in pop order). */
  drain(): V[] {
    const out: V[] = [];
    for (let v = this.pop(); v !== undefined; v = this.pop()) out.push(v);
    return out;
  }
}

export function createKeyless<T extends BpfMap<null, V>, V>(type: number, opts: QueueOptions<V>, make: (fd: number, p: MapProps<null, V>) => T): T {
  if (opts.value.size === 0) throw new ArgumentError(`map '${opts.name ?? ''}': a queue/stack value needs at least one byte`);
  return createAs(make, { ...opts, type, keySize: 0, valueSize: opts.value.size }, { key: none, value: opts.value });
}

/**
 * A FIFO queue (4.20+): push() at the tail, pop()/peek() at the head.
 * @example
 * const q = QueueMap.create({ value: u32, maxEntries: 8 });
 * q.push(1); q.push(2); q.pop(); // 1
 */
export class QueueMap<V> extends KeylessMap<V> {
  static create<V>(opts: QueueOptions<V>): QueueMap<V> {
    return createKeyless(MapType.QUEUE, opts, (fd, p) => new QueueMap(fd, p));
  }
}
