// Key and value codecs of an object's maps, from their BTF key/value types.
// Maps whose values are fds in and ids out (prog arrays, maps of maps,
// sockmaps...) use u32; per-CPU maps read an array with one value per
// possible CPU; anything the BTF does not describe at the right size stays raw
// bytes, with a note saying why.
import type { MapSpec } from '@lockne/obj';
import { MapType } from '../sys/consts.js';
import { u32, type Codec } from '../maps/codec.js';
import { perCpu } from '../maps/codec-percpu.js';
import { isPerCpuType } from '../maps/create.js';
import { possibleCpuCount } from '../maps/cpus.js';
import type { BtfCodecs } from './btf-codec.js';

/** Maps whose 4-byte values are fds when written and ids when read. */
const FD_VALUE_TYPES: ReadonlySet<number> = new Set([
  MapType.PROG_ARRAY, MapType.ARRAY_OF_MAPS, MapType.HASH_OF_MAPS, MapType.PERF_EVENT_ARRAY, MapType.CGROUP_ARRAY,
  MapType.SOCKMAP, MapType.SOCKHASH, MapType.XSKMAP, MapType.REUSEPORT_SOCKARRAY,
]);

/** Maps indexed by a u32. */
const INDEXED_TYPES: ReadonlySet<number> = new Set([
  MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.PROG_ARRAY, MapType.PERF_EVENT_ARRAY, MapType.CGROUP_ARRAY,
  MapType.ARRAY_OF_MAPS, MapType.DEVMAP, MapType.CPUMAP, MapType.XSKMAP, MapType.SOCKMAP, MapType.REUSEPORT_SOCKARRAY,
]);

export interface MapCodecPair {
  key?: Codec<unknown>;
  value?: Codec<unknown>;
}

function fromBtf(codecs: BtfCodecs | undefined, id: number, size: number, what: string, notes: string[]): Codec<unknown> | undefined {
  if (!codecs || id === 0) return undefined;
  try {
    const c = codecs.codec(id);
    if (c.size === size) return c;
    notes.push(`${what}: BTF type is ${c.size} bytes, the map's is ${size}: raw bytes`);
  } catch (e) {
    notes.push(`${what}: no codec from BTF type ${id} (${(e as Error).message}): raw bytes`);
  }
  return undefined;
}

/** Codecs for map `spec` (sizes as created). Global data maps keep raw values: use BpfObject.globals. */
export function mapCodecs(spec: MapSpec, codecs: BtfCodecs | undefined, notes: string[]): MapCodecPair {
  const label = `map '${spec.name}'`;
  let key = fromBtf(codecs, spec.btfKeyTypeId, spec.keySize, `${label} key`, notes);
  if (!key && spec.keySize === 4 && INDEXED_TYPES.has(spec.type)) key = u32 as Codec<unknown>;
  if (spec.data) return { key };
  let value: Codec<unknown> | undefined;
  if (FD_VALUE_TYPES.has(spec.type) && spec.valueSize === 4) {
    value = u32 as Codec<unknown>;
  } else {
    value = fromBtf(codecs, spec.btfValueTypeId, spec.valueSize, `${label} value`, notes);
  }
  if (isPerCpuType(spec.type)) {
    value = value ? (perCpu(value, possibleCpuCount()) as Codec<unknown>) : undefined;
  }
  return { key, value };
}
