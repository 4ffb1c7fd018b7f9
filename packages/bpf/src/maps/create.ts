// BPF_MAP_CREATE and the checks that run before it: map type names, the map
// name, and codec sizes against the key/value sizes the kernel will use.
import { bpfRaw } from '../sys/syscall.js';
import { encode } from '../sys/layout.js';
import { MapCreateAttr } from '../sys/attrs.js';
import { MapType, enumName, type MapTypeName } from '../sys/consts.js';
import { ArgumentError, SyscallError } from '../errors.js';
import { possibleCpuCount } from './cpus.js';
import { perCpuStride } from './codec-percpu.js';

/** BTF describing a map's key and value (storage maps and spin locks need it). */
export interface MapBtf {
  fd: number;
  keyTypeId: number;
  valueTypeId: number;
  vmlinuxValueTypeId?: number;
}

/** Everything BPF_MAP_CREATE takes, resolved to numbers. */
export interface MapCreateRequest {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
  name?: string;
  innerMapFd?: number;
  numaNode?: number;
  mapExtra?: bigint | number;
  ifindex?: number;
  btf?: MapBtf;
}

export function mapTypeNumber(t: MapTypeName | number): number {
  if (typeof t === 'number') return t;
  const n = MapType[t];
  if (n === undefined) throw new ArgumentError(`unknown map type '${t}'`);
  return n;
}

const PERCPU = new Set<number>([MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH, MapType.PERCPU_CGROUP_STORAGE]);

/** Per-CPU maps read and write one value per possible CPU. */
export const isPerCpuType = (type: number): boolean => PERCPU.has(type);

/** Bytes a lookup of one element fills: value_size, or a slot per possible CPU. */
export function valueBufferSize(type: number, valueSize: number): number {
  return isPerCpuType(type) ? perCpuStride(valueSize) * possibleCpuCount() : valueSize;
}

export function checkMapName(name: string): void {
  if (name && !/^[A-Za-z0-9_.]{1,15}$/.test(name)) {
    throw new ArgumentError(`map name '${name}': use at most 15 of [A-Za-z0-9_.]`);
  }
}

/** "HASH map 'counts'": how messages name a map. */
export function describeMap(type: number, name: string): string {
  return name ? `${enumName(MapType, type)} map '${name}'` : `${enumName(MapType, type)} map`;
}

/** Issue BPF_MAP_CREATE; returns the new fd or throws SyscallError naming the map. */
export function createMapFd(r: MapCreateRequest): number {
  const name = r.name ?? '';
  checkMapName(name);
  for (const [k, v] of [['keySize', r.keySize], ['valueSize', r.valueSize], ['maxEntries', r.maxEntries]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new ArgumentError(`${describeMap(r.type, name)}: ${k} ${v} is not a u32`);
    }
  }
  const { ret } = bpfRaw('MAP_CREATE', encode(MapCreateAttr, {
    map_type: r.type,
    key_size: r.keySize,
    value_size: r.valueSize,
    max_entries: r.maxEntries,
    map_flags: r.flags ?? 0,
    inner_map_fd: r.innerMapFd ?? 0,
    numa_node: r.numaNode ?? 0,
    map_name: name,
    map_ifindex: r.ifindex ?? 0,
    btf_fd: r.btf?.fd ?? 0,
    btf_key_type_id: r.btf?.keyTypeId ?? 0,
    btf_value_type_id: r.btf?.valueTypeId ?? 0,
    btf_vmlinux_value_type_id: r.btf?.vmlinuxValueTypeId ?? 0,
    map_extra: BigInt(r.mapExtra ?? 0),
  }));
  if (ret < 0) {
    throw new SyscallError('BPF_MAP_CREATE', -ret,
      `${describeMap(r.type, name)} key ${r.keySize} value ${r.valueSize} max_entries ${r.maxEntries} flags 0x${(r.flags ?? 0).toString(16)}`);
  }
  return ret;
}
