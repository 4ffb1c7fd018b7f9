// `.maps` definitions of the classes front/maps-more.ts declares, in libbpf's
// shapes: queue/stack/bloom have only `__type(value, V)`; redirect, socket,
// cgroup and stack-trace maps `__type(key, K)` + `__type(value, V)` (libbpf and
// our loader drop the BTF ids where the kernel refuses them, keeping the sizes);
// user ring buffers and arenas max_entries (+ flags) only; maps of maps
// `__type(key, K)` + `__array(values, struct { inner template })`.
//
// @example
// const def = moreMapDef(map, types, baseDef); if (def) writer.addMap({ name: map.name, ...def });
import type { MapDefInput } from '@lockne/obj';
import type { MapRef } from '../ir/ir.js';
import { MORE_MAPS, innerMapOf } from '../front/maps-more.js';
import type { CompilerBtf } from './btf-types.js';

export type MapDefBody = Omit<MapDefInput, 'name'>;

/**
 * The definition of `map` when its class is one of MORE_MAPS, else undefined.
 * `base` builds the definition of any other map (a map of maps' inner template).
 */
export function moreMapDef(map: MapRef, types: CompilerBtf, base: (m: MapRef) => MapDefBody): MapDefBody | undefined {
  const cls = map.className === undefined ? undefined : MORE_MAPS[map.className];
  if (!cls) return undefined;
  const common = { type: cls.type, maxEntries: map.maxEntries, ...(map.flags ? { flags: map.flags } : {}), ...(map.mapExtra ? { mapExtra: map.mapExtra } : {}) };
  switch (cls.shape) {
    case 'valueOnly': return { ...common, valueType: types.layout(map.value) };
    case 'btf': return { ...common, keyType: types.layout(map.key), valueType: types.layout(map.value) };
    case 'none': return common;
    case 'inner': {
      const inner = innerMapOf(map.value);
      if (!inner) throw new Error(`internal: map of maps '${map.name}' has no inner template`);
      const { values: _v, innerMap: _i, pinning: _p, ...innerDef } = base(inner);
      return { ...common, keyType: types.layout(map.key), innerMap: innerDef };
    }
  }
}
