// A MapSpec turned into what BPF_MAP_CREATE gets, with libbpf's adjustments:
// a perf event array of 0 entries gets one per possible CPU, ring
// buffer sizes round up to a power-of-two number of pages, kernel names are
// at most 15 characters ("obj.rodata" for global data, like libbpf).
import type { MapSpec } from '@lockne/obj';
import { MapFlags, MapType, enumName } from '../sys/consts.js';
import { possibleCpuCount } from '../maps/cpus.js';
import { pageSize } from '../maps/mmap.js';
import type { MapInfoResult } from '../maps/map.js';

export interface MapDef {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  mapExtra: bigint;
  numaNode: number | undefined;
  /** Name given to the kernel. */
  kernelName: string;
}

const KERNEL_NAME_MAX = 15;

/**
 * Kernel map name, as libbpf's internal_map_name: global data sections get up
 * to 8 characters of the object name in front (".rodata" -> "myobj.rodata",
 * ".kconfig" -> 7), custom ".data.x" sections keep their own name; 15
 * characters of [A-Za-z0-9_.] at most.
 */
export function kernelMapName(name: string, objName: string): string {
  let n = name;
  if (name.startsWith('.')) {
    const sfx = Math.min(Math.max(7, name.length), KERNEL_NAME_MAX);
    const custom = name.indexOf('.', 1) >= 0;
    const pfx = custom ? 0 : Math.min(KERNEL_NAME_MAX - sfx, objName.length);
    n = `${objName.slice(0, pfx)}${name}`;
  }
  return n.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, KERNEL_NAME_MAX);
}

/** Object name from a file path: the basename up to its first dot ("x.bpf.o" -> "x"). */
export function objectNameFromPath(path: string): string {
  const base = path.split('/').pop() ?? '';
  return base.split('.')[0] ?? '';
}

function ringbufSize(n: number): number {
  const page = pageSize();
  let size = page;
  while (size < n) size *= 2;
  return size;
}

export function mapDef(spec: MapSpec, objName: string): MapDef {
  // Flags as the spec says (the parser follows libbpf: .rodata RDONLY_PROG,
  // MMAPABLE only for sections with a non-static variable).
  const flags = spec.flags;
  let maxEntries = spec.maxEntries;
  if (spec.type === MapType.PERF_EVENT_ARRAY && maxEntries === 0) maxEntries = possibleCpuCount();
  if ((spec.type === MapType.RINGBUF || spec.type === MapType.USER_RINGBUF) && maxEntries % pageSize() !== 0) maxEntries = ringbufSize(maxEntries);
  return {
    type: spec.type,
    keySize: spec.keySize,
    valueSize: spec.valueSize,
    maxEntries,
    flags,
    mapExtra: spec.mapExtra ?? 0n,
    numaNode: spec.numaNode,
    kernelName: kernelMapName(spec.name, objName),
  };
}

/** Map types the kernel refuses BTF key/value ids for (libbpf drops them). */
export const NO_BTF_TYPES: ReadonlySet<number> = new Set([
  MapType.PERF_EVENT_ARRAY, MapType.CGROUP_ARRAY, MapType.STACK_TRACE, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS,
  MapType.DEVMAP, MapType.DEVMAP_HASH, MapType.CPUMAP, MapType.XSKMAP, MapType.SOCKMAP, MapType.SOCKHASH,
  MapType.QUEUE, MapType.STACK, MapType.ARENA,
]);

/**
 * How an existing map (pinned, or given as a replacement) differs from `def`,
 * as libbpf's map_is_reuse_compat compares them; empty when compatible.
 */
export function mapMismatches(def: MapDef, info: MapInfoResult): string[] {
  const out: string[] = [];
  let flags = info.flags;
  // The kernel reports DEVMAPs as RDONLY_PROG although they are not created so.
  if (def.type === MapType.DEVMAP || def.type === MapType.DEVMAP_HASH) flags &= ~MapFlags.RDONLY_PROG;
  if (info.type !== def.type) out.push(`type ${enumName(MapType, def.type)} (existing ${enumName(MapType, info.type)})`);
  if (info.keySize !== def.keySize) out.push(`key_size ${def.keySize} (existing ${info.keySize})`);
  if (info.valueSize !== def.valueSize) out.push(`value_size ${def.valueSize} (existing ${info.valueSize})`);
  if (info.maxEntries !== def.maxEntries) out.push(`max_entries ${def.maxEntries} (existing ${info.maxEntries})`);
  if (flags !== def.flags) out.push(`map_flags 0x${def.flags.toString(16)} (existing 0x${flags.toString(16)})`);
  if (info.mapExtra !== def.mapExtra) out.push(`map_extra ${def.mapExtra} (existing ${info.mapExtra})`);
  return out;
}
