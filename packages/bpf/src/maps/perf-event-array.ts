// BPF_MAP_TYPE_PERF_EVENT_ARRAY (4.3+): perf event fds, usually one per CPU,
// that bpf_perf_event_output() writes into. The perf reader is in events/.
import { u32 } from './codec-int.js';
import { fdIn32 } from './fd-value.js';
import { MapBase, type FdLike, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { possibleCpuCount } from './cpus.js';
import { MapType } from '../sys/consts.js';

export interface PerfEventArrayOptions extends Omit<CommonMapOptions, 'btf'> {
  /** Default: the number of possible CPUs (index = CPU for BPF_F_CURRENT_CPU). */
  maxEntries?: number;
}

/**
 * An array of perf event fds (4.3+). set(cpu, fd) installs a perf event
 * (e.g. PERF_COUNT_SW_BPF_OUTPUT opened on that CPU). User space cannot read
 * entries back (ENOTSUPP).
 * @example
 * const events = PerfEventArray.create();
 * events.set(0, perfFd);
 */
export class PerfEventArray extends MapBase<number, FdLike> {
  static create(opts: PerfEventArrayOptions = {}): PerfEventArray {
    return createAs((fd, p: MapProps<number, FdLike>) => new PerfEventArray(fd, p), {
      ...opts, type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: opts.maxEntries ?? possibleCpuCount(),
    }, { key: u32, value: fdIn32('perf event fd') });
  }
}
