// BTF-defined maps: every VAR of the '.maps' DATASEC is a struct whose members
// describe the map, encoded by bpf_helpers.h in the member *types*:
//   __uint(name, val)  →  int (*name)[val]      (PTR to ARRAY of val elements)
//   __type(name, T)    →  T *name               (PTR to T: key/value type and size)
//   __ulong(name, val) →  enum { ... = val } name (map_extra, 64-bit)
//   __array(values, struct {...})  →  the inner map of a map-in-map (or
//                                     int (*values[])(void *) for a prog array)
// Initial `.values = { [i] = &x }` slots are relocations in '.rel.maps'.
// Rules and errors follow libbpf's parse_btf_map_def / collect_map_relos.
//
// @example
// // struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, u32); __type(value, u64);
// //          __uint(max_entries, 128); __uint(pinning, LIBBPF_PIN_BY_NAME); } counts SEC(".maps");
// // → { name: 'counts', type: 1, keySize: 4, valueSize: 8, maxEntries: 128, pinning: 'byName', ... }
import type { BtfComposite, BtfMember, BtfReader } from '../btf/reader.js';
import { MAP_TYPE } from './bpf-enums.js';
import { resolveSize, skipModsAndTypedefs } from './btf-util.js';
import { datasecVars } from './datasec.js';
import type { ElfRel, RelEntry, RelSection, RelSymbol } from './elf-rel.js';
import { ObjectParseError } from './errors.js';
import type { MapSpec } from './spec.js';

/** A map defined in an ELF section, with where its definition lives (for relocations). */
export interface PlacedMap {
  readonly spec: MapSpec;
  readonly section: number;
  readonly offset: number;
  readonly size: number;
  /** Byte offset of the `values` member inside the definition (map-in-map and prog arrays). */
  readonly valuesOffset?: number;
}

/** Decode every map of the '.maps' section `sec`. `strict`: unknown members are errors (libbpf's default). */
export function parseBtfMaps(elf: ElfRel, btf: BtfReader | undefined, sec: RelSection, strict: boolean): PlacedMap[] {
  const fail = (msg: string, at = 0): ObjectParseError => new ObjectParseError(msg, sec.name, at);
  if (!btf) throw fail('BTF-defined maps need the .BTF section, and the object has none');
  const secId = btf.findId('.maps', 'DATASEC');
  if (secId === undefined) throw fail("no BTF DATASEC '.maps' describes this section");
  const out: PlacedMap[] = [];
  for (const v of datasecVars(elf, btf, secId)) {
    const name = v.name;
    if (v.offset > sec.size || v.size > sec.size - v.offset) throw fail(`map '${name}' (${v.offset}+${v.size}) lies outside the section (${sec.size} bytes)`, 0);
    if (name === '') throw fail('a map has an empty name', v.offset);
    if (v.linkage !== 'global') throw fail(`map '${name}' has ${v.linkage} linkage; maps must be (visible) global variables`, v.offset);
    const defId = skipModsAndTypedefs(btf, v.type);
    const def = defId === 0 ? undefined : btf.type(defId);
    if (!def || def.kind !== 'STRUCT') throw fail(`map '${name}' is not a struct`, v.offset);
    if (def.size > v.size) throw fail(`map '${name}' definition (${def.size} bytes) is larger than its variable (${v.size})`, v.offset);
    const parsed = parseMapDef(btf, name, def, strict, false, (msg) => fail(msg, v.offset));
    const placed: PlacedMap = { spec: parsed.spec, section: sec.index, offset: v.offset, size: v.size };
    out.push(parsed.valuesOffset === undefined ? placed : { ...placed, valuesOffset: parsed.valuesOffset });
  }
  return out;
}

const isMapInMap = (type: number): boolean => type === MAP_TYPE.ARRAY_OF_MAPS || type === MAP_TYPE.HASH_OF_MAPS;

function parseMapDef(btf: BtfReader, name: string, def: BtfComposite<'STRUCT'>, strict: boolean, inner: boolean,
  fail: (msg: string) => ObjectParseError): { spec: MapSpec; valuesOffset?: number } {
  const spec: MapSpec = { name, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, pinning: 'none', btfKeyTypeId: 0, btfValueTypeId: 0 };
  let valuesOffset: number | undefined;
  const where = (m: BtfMember): string => `map '${name}': member '${m.name}'`;
  const size = (m: BtfMember, current: number, sz: number): number => {
    if (current !== 0 && current !== sz) throw fail(`${where(m)}: conflicting size ${current} != ${sz}`);
    return sz;
  };
  def.members.forEach((m, i) => {
    switch (m.name) {
      case 'type': spec.type = fieldInt(btf, m, where(m), fail); break;
      case 'max_entries': spec.maxEntries = fieldInt(btf, m, where(m), fail); break;
      case 'map_flags': spec.flags = fieldInt(btf, m, where(m), fail); break;
      case 'numa_node': spec.numaNode = fieldInt(btf, m, where(m), fail); break;
      case 'key_size': spec.keySize = size(m, spec.keySize, fieldInt(btf, m, where(m), fail)); break;
      case 'value_size': spec.valueSize = size(m, spec.valueSize, fieldInt(btf, m, where(m), fail)); break;
      case 'key': case 'value': {
        const p = m.type === 0 ? undefined : btf.type(m.type);
        if (!p || p.kind !== 'PTR') throw fail(`${where(m)} is not a pointer (use __type)`);
        const sz = resolveSize(btf, p.type, where(m));
        if (m.name === 'key') { spec.keySize = size(m, spec.keySize, sz); spec.btfKeyTypeId = p.type; }
        else { spec.valueSize = size(m, spec.valueSize, sz); spec.btfValueTypeId = p.type; }
        break;
      }
      case 'values': {
        if (inner) throw fail('multi-level inner maps are not supported');
        if (i !== def.members.length - 1) throw fail(`${where(m)} must be the last member`);
        const progArray = spec.type === MAP_TYPE.PROG_ARRAY;
        if (!isMapInMap(spec.type) && !progArray) throw fail(`${where(m)}: only maps of maps and prog arrays have values`);
        spec.valueSize = size(m, spec.valueSize, 4);
        const arr = m.type === 0 ? undefined : btf.type(m.type);
        if (!arr || arr.kind !== 'ARRAY' || arr.nelems !== 0) throw fail(`${where(m)} is not a zero-sized array`);
        const ptrId = skipModsAndTypedefs(btf, arr.elemType);
        const ptr = ptrId === 0 ? undefined : btf.type(ptrId);
        if (!ptr || ptr.kind !== 'PTR') throw fail(`${where(m)}: elements are not pointers`);
        const targetId = skipModsAndTypedefs(btf, ptr.type);
        const target = targetId === 0 ? undefined : btf.type(targetId);
        if (progArray) {
          if (target?.kind !== 'FUNC_PROTO') throw fail(`${where(m)}: prog array elements must point to functions`);
        } else {
          if (target?.kind !== 'STRUCT') throw fail(`${where(m)}: the inner map definition is not a struct`);
          spec.inner = parseMapDef(btf, `${name}.inner`, target, strict, true, fail).spec;
        }
        if (m.bitfieldSize !== 0 || m.bitOffset % 8 !== 0) throw fail(`${where(m)} is not byte-aligned`);
        valuesOffset = m.bitOffset / 8;
        break;
      }
      case 'pinning': {
        if (inner) throw fail('an inner map definition cannot be pinned');
        const v = fieldInt(btf, m, where(m), fail);
        if (v > 1) throw fail(`${where(m)}: invalid pinning value ${v} (0 none, 1 by name)`);
        spec.pinning = v === 1 ? 'byName' : 'none';
        break;
      }
      case 'map_extra': spec.mapExtra = fieldLong(btf, m, where(m), fail); break;
      default:
        if (strict) throw fail(`unknown member '${m.name}'`);
    }
  });
  if (spec.type === 0) throw fail(`map '${name}': map type is not specified`);
  return valuesOffset === undefined ? { spec } : { spec, valuesOffset };
}

/** `__uint(name, val)`: a pointer to an array of `val` elements. */
function fieldInt(btf: BtfReader, m: BtfMember, what: string, fail: (msg: string) => ObjectParseError): number {
  const ptrId = skipModsAndTypedefs(btf, m.type);
  const ptr = ptrId === 0 ? undefined : btf.type(ptrId);
  if (!ptr || ptr.kind !== 'PTR') throw fail(`${what} is not a pointer (use __uint)`);
  const arr = ptr.type === 0 ? undefined : btf.type(ptr.type);
  if (!arr || arr.kind !== 'ARRAY') throw fail(`${what} does not point to an array (use __uint)`);
  return arr.nelems;
}

/** `__ulong(name, val)` (an enum with one value), or `__uint`. */
function fieldLong(btf: BtfReader, m: BtfMember, what: string, fail: (msg: string) => ObjectParseError): bigint {
  const id = skipModsAndTypedefs(btf, m.type);
  const t = id === 0 ? undefined : btf.type(id);
  if (t?.kind === 'PTR') return BigInt(fieldInt(btf, m, what, fail));
  if ((t?.kind === 'ENUM' || t?.kind === 'ENUM64') && t.values.length === 1) {
    const v = t.values[0]!.value;
    return BigInt.asUintN(64, BigInt(v));
  }
  throw fail(`${what} is neither __uint nor __ulong`);
}

/**
 * Fill `initialSlots` from the '.rel.maps' relocations: `.values = { [i] = &x }`.
 * `entryProgram(sym)` names the entry program a symbol stands for (prog arrays).
 */
export function applyMapSlots(maps: readonly PlacedMap[], rels: readonly RelEntry[], symbols: readonly RelSymbol[], relSec: RelSection,
  mapsSection: number, entryProgram: (sym: RelSymbol) => string | undefined): void {
  rels.forEach((rel, i) => {
    const at = i * 16;
    const fail = (msg: string): ObjectParseError => new ObjectParseError(`relocation #${i}: ${msg}`, relSec.name, at);
    if (rel.type === 0) return;
    const sym = symbols[rel.sym];
    if (!sym || rel.sym === 0) throw fail(`symbol #${rel.sym} does not exist`);
    const map = maps.find((m) => m.section === mapsSection && m.offset <= rel.offset && rel.offset + 8 <= m.offset + m.size);
    if (!map) throw fail(`no map covers offset ${rel.offset} ('${sym.name}')`);
    if (map.valuesOffset === undefined) throw fail(`map '${map.spec.name}' has no 'values' member, yet '${sym.name}' is stored in it`);
    const rel0 = rel.offset - map.offset - map.valuesOffset;
    if (rel0 < 0 || rel0 % 8 !== 0) throw fail(`offset ${rel.offset} is not a slot of map '${map.spec.name}'`);
    const index = rel0 / 8;
    if (index >= map.spec.maxEntries) throw fail(`slot ${index} of map '${map.spec.name}' is past max_entries ${map.spec.maxEntries}`);
    let ref: { kind: 'program' | 'map'; name: string };
    if (isMapInMap(map.spec.type)) {
      if (sym.shndx !== mapsSection) throw fail(`'${sym.name}' is not a BTF-defined map`);
      if (map.spec.type === MAP_TYPE.HASH_OF_MAPS && map.spec.keySize !== 4) throw fail(`hash of maps '${map.spec.name}' must have 4-byte keys`);
      const target = maps.find((m) => m.section === mapsSection && m.offset === sym.value && m.spec.name === sym.name);
      if (!target) throw fail(`'${sym.name}' is not a map`);
      ref = { kind: 'map', name: target.spec.name };
    } else if (map.spec.type === MAP_TYPE.PROG_ARRAY) {
      const prog = entryProgram(sym);
      if (!prog) throw fail(`'${sym.name}' is not an entry-point program`);
      ref = { kind: 'program', name: prog };
    } else {
      throw fail(`map '${map.spec.name}' is neither a map of maps nor a prog array`);
    }
    const slots = (map.spec.initialSlots ??= []);
    const existing = slots.findIndex((s) => s.index === index);
    if (existing >= 0) slots.splice(existing, 1);
    slots.push({ index, ref });
    slots.sort((a, b) => a.index - b.index);
  });
}
