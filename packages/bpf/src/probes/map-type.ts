// probeMapType: can this kernel create a map of a given type? The probe creates
// a one-entry map with the sizes and flags the type insists on (libbpf's
// approach) and classifies the errno. Any kernel with bpf(2) (3.18+); storage
// maps need BTF_LOAD (4.18+).
//
// @example
// probeMapType('RINGBUF').status // 'supported'
import { encode, type Values } from '../sys/layout.js';
import { MapCreateAttr } from '../sys/attrs.js';
import { MapFlags, MapType, enumName, type MapTypeName } from '../sys/consts.js';
import { Errno, errnoName } from '../sys/errno.js';
import { native } from '../sys/native.js';
import { ArgumentError } from '../errors.js';
import { cached, probeBpf, unprivileged, type ProbeResult } from './result.js';
import { loadStorageProbeBtf } from './storage-btf.js';

type CreateValues = Values<typeof MapCreateAttr.fields>;

function mapTypeNumber(t: MapTypeName | number): number {
  if (typeof t === 'number') return t;
  const n = MapType[t];
  if (n === undefined) throw new ArgumentError(`unknown map type '${String(t)}'`);
  return n;
}

/** Attributes of a minimal map of `name` (fds it needs are opened by the caller). */
function minimalAttrs(name: string): CreateValues {
  const base = { key_size: 4, value_size: 4, max_entries: 1 };
  switch (name) {
    case 'STACK_TRACE': return { ...base, value_size: 8 };
    case 'LPM_TRIE': return { key_size: 8, value_size: 8, max_entries: 1, map_flags: MapFlags.NO_PREALLOC };
    // key: struct bpf_cgroup_storage_key { u64 cgroup_inode_id; u32 attach_type; } = 16 bytes
    case 'CGROUP_STORAGE': case 'PERCPU_CGROUP_STORAGE': return { key_size: 16, value_size: 8, max_entries: 0 };
    case 'QUEUE': case 'STACK': case 'BLOOM_FILTER': return { ...base, key_size: 0 };
    // ring buffers: max_entries is the data size, a power-of-2 multiple of the page size
    case 'RINGBUF': case 'USER_RINGBUF': return { key_size: 0, value_size: 0, max_entries: native.pageSize() };
    // vmlinux BTF type 1 is never a struct_ops type: a kernel that knows the type says ENOTSUPP
    case 'STRUCT_OPS': return { ...base, btf_vmlinux_value_type_id: 1 };
    case 'ARENA': return { key_size: 0, value_size: 0, max_entries: 1, map_flags: MapFlags.MMAPABLE };
    case 'SK_STORAGE': case 'INODE_STORAGE': case 'TASK_STORAGE': case 'CGRP_STORAGE':
      return { key_size: 4, value_size: 8, max_entries: 0, map_flags: MapFlags.NO_PREALLOC, btf_key_type_id: 1, btf_value_type_id: 3 };
    default: return base;
  }
}

const NEEDS_INNER = new Set(['ARRAY_OF_MAPS', 'HASH_OF_MAPS']);
const NEEDS_BTF = new Set(['SK_STORAGE', 'INODE_STORAGE', 'TASK_STORAGE', 'CGRP_STORAGE']);

/** Does the kernel know and allow maps of `type`? Cached per process. */
export function probeMapType(type: MapTypeName | number): ProbeResult {
  const n = mapTypeNumber(type);
  const name = enumName(MapType, n);
  return cached(`map:${n}`, () => classify(n, name));
}

function classify(type: number, name: string): ProbeResult {
  const feature = `map type ${name}`;
  if (type === MapType.UNSPEC) return { feature, status: 'unsupported', reason: 'UNSPEC is not a map type' };
  const attrs: CreateValues = { map_type: type, ...minimalAttrs(name) };
  const helpers: number[] = [];
  try {
    if (NEEDS_INNER.has(name)) {
      const inner = probeBpf('MAP_CREATE', encode(MapCreateAttr, { map_type: MapType.ARRAY, key_size: 4, value_size: 4, max_entries: 1 })).ret;
      if (inner < 0) return { feature, status: 'unknown', reason: `inner map template: BPF_MAP_CREATE ${errnoName(-inner)}` };
      helpers.push(inner);
      attrs.inner_map_fd = inner;
    }
    if (NEEDS_BTF.has(name)) {
      const btf = loadStorageProbeBtf();
      if (btf < 0) return { feature, status: 'unknown', reason: `value type BTF: BPF_BTF_LOAD ${errnoName(-btf)}` };
      helpers.push(btf);
      attrs.btf_fd = btf;
    }
    const { ret } = probeBpf('MAP_CREATE', encode(MapCreateAttr, attrs));
    if (ret >= 0) {
      native.close(ret);
      return { feature, status: 'supported', reason: 'BPF_MAP_CREATE accepted a minimal map' };
    }
    const errno = -ret;
    if (type === MapType.STRUCT_OPS && errno === Errno.ENOTSUPP) {
      return { feature, status: 'supported', reason: 'known type: refused with ENOTSUPP for want of a struct_ops BTF type' };
    }
    if (errno === Errno.EPERM && unprivileged()) {
      return { feature, status: 'unknown', reason: 'BPF_MAP_CREATE: EPERM without root (needs CAP_BPF)' };
    }
    return { feature, status: 'unsupported', reason: `BPF_MAP_CREATE: ${errnoName(errno)}` };
  } finally {
    for (const fd of helpers) native.close(fd);
  }
}
