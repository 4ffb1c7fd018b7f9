// BPF_MAP_TYPE_CGROUP_STORAGE (4.19+) and PERCPU_CGROUP_STORAGE (5.0+): the
// older per-attachment storage that bpf_get_local_storage() returns. The
// kernel makes one element per (cgroup, attach type) when a program using the
// map is attached; user space reads and writes existing elements only. For
// storage on any cgroup, prefer CgrpStorage (6.2+, local-storage.ts).
import type { Codec } from './codec.js';
import { CodecError } from './codec-error.js';
import { perCpu } from './codec-percpu.js';
import { MapBase, type MapProps } from './map.js';
import { createAs, type CommonMapOptions } from './common.js';
import { possibleCpuCount } from './cpus.js';
import { MapType } from '../sys/consts.js';

/** struct bpf_cgroup_storage_key: the cgroup (its directory's inode number) and the attach type. */
export interface CgroupStorageKey {
  cgroupInodeId: bigint;
  attachType: number;
}

const storageKey: Codec<CgroupStorageKey> = {
  size: 16,
  align: 8,
  encode(v, out) {
    if (!v || typeof v.cgroupInodeId !== 'bigint' || !Number.isInteger(v.attachType) || v.attachType < 0) {
      throw new CodecError(`cgroup storage key: expected { cgroupInodeId: bigint, attachType: number }, got ${String(v)}`);
    }
    const d = new DataView(out.buffer, out.byteOffset, 16);
    d.setBigUint64(0, BigInt.asUintN(64, v.cgroupInodeId), true);
    d.setUint32(8, v.attachType, true);
  },
  decode(b) {
    const d = new DataView(b.buffer, b.byteOffset, 16);
    return { cgroupInodeId: d.getBigUint64(0, true), attachType: d.getUint32(8, true) };
  },
};

export interface CgroupStorageOptions<V> extends Omit<CommonMapOptions, 'btf'> {
  value: Codec<V>;
}

/**
 * Per-attachment cgroup storage (4.19+). Keys name an attachment.
 * @example
 * const st = CgroupStorage.create({ value: u64 });
 * // after attaching a program that uses it to a cgroup at egress:
 * st.get({ cgroupInodeId: BigInt(fs.statSync(dir).ino), attachType: AttachType.CGROUP_INET_EGRESS });
 */
export class CgroupStorage<V> extends MapBase<CgroupStorageKey, V> {
  static create<V>(opts: CgroupStorageOptions<V>): CgroupStorage<V> {
    return createAs((fd, p: MapProps<CgroupStorageKey, V>) => new CgroupStorage(fd, p), {
      ...opts, type: MapType.CGROUP_STORAGE, keySize: 16, valueSize: opts.value.size, maxEntries: 0,
    }, { key: storageKey, value: opts.value });
  }
}

/**
 * Per-attachment, per-CPU cgroup storage (5.0+): values are arrays, one per possible CPU.
 * @example const st = PerCpuCgroupStorage.create({ value: u64 });
 */
export class PerCpuCgroupStorage<V> extends MapBase<CgroupStorageKey, V[]> {
  static create<V>(opts: CgroupStorageOptions<V>): PerCpuCgroupStorage<V> {
    const value = perCpu(opts.value, possibleCpuCount());
    return createAs((fd, p: MapProps<CgroupStorageKey, V[]>) => new PerCpuCgroupStorage(fd, p), {
      ...opts, type: MapType.PERCPU_CGROUP_STORAGE, keySize: 16, valueSize: opts.value.size, maxEntries: 0,
    }, { key: storageKey, value, valueBytes: value.size });
  }
}

/** The codec of struct bpf_cgroup_storage_key. */
export const cgroupStorageKey = storageKey;
