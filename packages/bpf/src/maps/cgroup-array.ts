// BPF_MAP_TYPE_CGROUP_ARRAY (4.8+): cgroup fds for bpf_skb_under_cgroup()
// and bpf_current_task_under_cgroup().
import { u32 } from './codec-int.js';
import { fdIn32 } from './fd-value.js';
import { MapBase, type FdLike, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { MapType } from '../sys/consts.js';

export interface CgroupArrayOptions extends Omit<CommonMapOptions, 'btf'> {
  maxEntries: number;
}

/**
 * Cgroups by index (4.8+). set() takes an fd of a cgroup v2 directory.
 * User space cannot read entries back (ENOTSUPP); programs test
 * membership against them.
 * @example const cg = CgroupArray.create({ maxEntries: 1 }); cg.set(0, fs.openSync(cgroupDir, 'r'));
 */
export class CgroupArray extends MapBase<number, FdLike> {
  static create(opts: CgroupArrayOptions): CgroupArray {
    return createAs((fd, p: MapProps<number, FdLike>) => new CgroupArray(fd, p), {
      ...opts, type: MapType.CGROUP_ARRAY, keySize: 4, valueSize: 4,
    }, { key: u32, value: fdIn32('cgroup fd') });
  }
}
