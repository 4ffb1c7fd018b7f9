// BPF_MAP_TYPE_STACK (4.20+): a LIFO of values without keys.
import { KeylessMap, createKeyless, type QueueOptions } from './queue.js';
import { MapType } from '../sys/consts.js';

export type StackOptions<V> = QueueOptions<V>;

/**
 * A LIFO stack (4.20+): pop()/peek() return the most recent push().
 * @example
 * const s = StackMap.create({ value: u32, maxEntries: 8 });
 * s.push(1); s.push(2); s.pop(); // 2
 */
export class StackMap<V> extends KeylessMap<V> {
  static create<V>(opts: StackOptions<V>): StackMap<V> {
    return createKeyless(MapType.STACK, opts, (fd, p) => new StackMap(fd, p));
  }
}
