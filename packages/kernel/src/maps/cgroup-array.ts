// BPF_MAP_TYPE_CGROUP_ARRAY (4.8): slots of cgroup v2 directories (fds from
// userspace), for membership tests on a packet's socket or the current task.
import { MapDecl, type MapTypeName, type Pinning } from './common.js';
import type { u32, i64 } from '../ints.js';
import type { SkBuffContext } from '../context/skbuff.js';
import { u32 as u32Desc } from '../ints.js';
import { kernelOnly } from '../kernel-only.js';

/**
 * A table of cgroups. Kernel 4.8.
 * @example
 * export const groups = new CgroupArray({ maxEntries: 1 });
 * tc((ctx) => groups.underCgroup(ctx, 0) === 1n ? TcAction.SHOT : TcAction.OK);
 */
export class CgroupArray extends MapDecl<u32, u32> {
  readonly type: Extract<MapTypeName, 'CGROUP_ARRAY'> = 'CGROUP_ARRAY';
  constructor(opts: { maxEntries: number; pinning?: Pinning; name?: string }) {
    super({ maxEntries: opts.maxEntries, key: u32Desc, value: u32Desc, pinning: opts.pinning ?? 'none', ...(opts.name === undefined ? {} : { name: opts.name }) });
  }
  /** bpf_skb_under_cgroup(skb, map, index): 1 when the packet's socket is in that cgroup (or below), 0 if not, -errno. tc / socket programs. */
  underCgroup(_skb: SkBuffContext, _index: u32 | number): i64 { return kernelOnly('CgroupArray.underCgroup'); }
  /** bpf_current_task_under_cgroup(map, index): the same test for the current task. Tracing programs. */
  currentTaskUnder(_index: u32 | number): i64 { return kernelOnly('CgroupArray.currentTaskUnder'); }
}
