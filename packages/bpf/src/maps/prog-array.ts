// BPF_MAP_TYPE_PROG_ARRAY (4.2+): the jump table of bpf_tail_call().
import { u32 } from './codec-int.js';
import { fdIn32 } from './fd-value.js';
import { MapBase, type FdLike, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapType } from '../sys/consts.js';

export interface ProgramArrayOptions extends Omit<CommonMapOptions, 'btf'> {
  maxEntries: number;
}

/**
 * Programs by index, for tail calls (4.2+). set() takes a program (or its
 * fd); get() returns the program's id. All programs must share one type.
 * The entries are cleared when the last user-space reference (fd or pin) to
 * the array goes away.
 * @example
 * const jt = ProgramArray.create({ maxEntries: 4 });
 * jt.set(0, handler); // a Program
 * jt.get(0); // handler.info().id
 */
export class ProgramArray extends MapBase<number, FdLike> {
  static create(opts: ProgramArrayOptions): ProgramArray {
    return createAs((fd, p: MapProps<number, FdLike>) => new ProgramArray(fd, p), {
      ...opts, type: MapType.PROG_ARRAY, keySize: 4, valueSize: 4,
    }, { key: u32, value: fdIn32('program') });
  }

  /** The id of the program at `index`, or undefined. */
  override get(index: number): number | undefined {
    return super.get(index) as number | undefined;
  }
}
