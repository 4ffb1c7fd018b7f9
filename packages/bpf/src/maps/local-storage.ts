// Local storage maps: a value attached to a kernel object, keyed from user
// space by an fd of that object. SK_STORAGE (5.2, socket fd), INODE_STORAGE
// (5.10, any file fd; needs the bpf LSM active), TASK_STORAGE (5.11, pidfd),
// CGRP_STORAGE (6.2, cgroup directory fd). The kernel insists on BTF for the
// key (a 32-bit int) and value, on BPF_F_NO_PREALLOC and max_entries 0:
// create() builds that BTF from the value codec.
import type { Codec } from './codec.js';
import { fdKey } from './fd-value.js';
import { MapBase, type FdLike, type MapProps } from './map.js';
import { createAs } from './common.js';
import { MapFlags, MapType } from '../sys/consts.js';
import { loadMapBtf } from '../btf/from-codec.js';

export interface LocalStorageOptions<V> {
  value: Codec<V>;
  name?: string;
  /** Extra BPF_F_* flags (BPF_F_CLONE for sk storage); NO_PREALLOC is always set. */
  flags?: number;
}

function createStorage<T, V>(type: number, opts: LocalStorageOptions<V>, what: string, make: (fd: number, p: MapProps<FdLike, V>) => T): T {
  const key = fdKey(what);
  const { btf, keyTypeId, valueTypeId } = loadMapBtf(key, opts.value);
  try {
    return createAs(make, {
      type, keySize: 4, valueSize: opts.value.size, maxEntries: 0, name: opts.name,
      flags: (opts.flags ?? 0) | MapFlags.NO_PREALLOC,
      btf: { fd: btf.fd, keyTypeId, valueTypeId },
    }, { key, value: opts.value });
  } finally {
    btf.close(); // the map keeps its own reference
  }
}

/**
 * Per-socket storage (5.2+). Key: a socket fd.
 * @example
 * const tags = SkStorage.create({ value: u64 });
 * tags.set(sock._handle.fd, 7n); tags.get(fd); // 7n
 */
export class SkStorage<V> extends MapBase<FdLike, V> {
  static create<V>(opts: LocalStorageOptions<V>): SkStorage<V> {
    return createStorage(MapType.SK_STORAGE, opts, 'socket fd', (fd, p) => new SkStorage(fd, p));
  }
}

/**
 * Per-task storage (5.11+). Key: a pidfd (pidfd_open; native.pidfdOpen).
 * @example const t = TaskStorage.create({ value: u32 }); t.set(pidfd, 1);
 */
export class TaskStorage<V> extends MapBase<FdLike, V> {
  static create<V>(opts: LocalStorageOptions<V>): TaskStorage<V> {
    return createStorage(MapType.TASK_STORAGE, opts, 'pidfd', (fd, p) => new TaskStorage(fd, p));
  }
}

/**
 * Per-cgroup storage (6.2+, BPF_MAP_TYPE_CGRP_STORAGE). Key: an fd of the
 * cgroup's directory (open it read-only).
 * @example const c = CgrpStorage.create({ value: u64 }); c.set(fs.openSync(dir, 'r'), 1n);
 */
export class CgrpStorage<V> extends MapBase<FdLike, V> {
  static create<V>(opts: LocalStorageOptions<V>): CgrpStorage<V> {
    return createStorage(MapType.CGRP_STORAGE, opts, 'cgroup fd', (fd, p) => new CgrpStorage(fd, p));
  }
}

/**
 * Per-inode storage (5.10+; the bpf LSM must be active). Key: an fd of any
 * file on that inode.
 * @example const i = InodeStorage.create({ value: u32 }); i.set(fs.openSync(path, 'r'), 1);
 */
export class InodeStorage<V> extends MapBase<FdLike, V> {
  static create<V>(opts: LocalStorageOptions<V>): InodeStorage<V> {
    return createStorage(MapType.INODE_STORAGE, opts, 'file fd', (fd, p) => new InodeStorage(fd, p));
  }
}
