// BTF-defined maps, encoded as clang encodes bpf_helpers.h's macros:
//   __uint(name, val)  → member `name` of type PTR → ARRAY(int, nelems = val)
//   __type(name, T)    → member `name` of type PTR → T
//   __array(values, struct {...}) → member `values` of type ARRAY(PTR → inner struct, 0)
//   __array(values, int (void *)) → ARRAY(PTR → FUNC_PROTO int(void *), 0)  (prog arrays)
// Each member is one pointer (8 bytes); the definition is an anonymous
// struct. Identical PTR/ARRAY shapes are shared, as clang shares them.
//
// @example
// const enc = new MapBtf(btfWriter);
// const def = enc.definition({ name: 'counts', type: 1, keyType: u32, valueType: u64, maxEntries: 128 });
// btfWriter.var('counts', def.struct);
import type { BtfWriter, BtfWriterMember } from '../btf/writer.js';
import type { MapDefInput } from './types.js';

const ARRAY_OF_MAPS = 12;
const HASH_OF_MAPS = 13;
const PROG_ARRAY = 3;

export class MapBtf {
  readonly #w: BtfWriter;
  #int = 0;
  readonly #uints = new Map<number, number>();
  readonly #ptrs = new Map<number, number>();
  #progProto = 0;

  constructor(w: BtfWriter) {
    this.#w = w;
  }

  /** `int` (signed, 4 bytes), created once. */
  get int(): number {
    if (!this.#int) this.#int = this.#w.int('int', 4, { signed: true });
    return this.#int;
  }

  /** PTR → T, shared. */
  ptr(type: number): number {
    let id = this.#ptrs.get(type);
    if (id === undefined) this.#ptrs.set(type, (id = this.#w.ptr(type)));
    return id;
  }

  /** The `__uint(name, val)` member type: PTR → ARRAY(int, val). */
  uint(val: number): number {
    if (!Number.isInteger(val) || val < 0 || val > 0xffffffff) throw new RangeError(`map field value ${val} is not a u32`);
    let id = this.#uints.get(val);
    if (id === undefined) {
      const arr = this.#w.array(this.int, val);
      this.#uints.set(val, (id = this.#w.ptr(arr)));
    }
    return id;
  }

  /** The anonymous struct of one map definition; `values` reports where the slots start. */
  definition(m: MapDefInput, inner = false): { struct: number; size: number; valuesOffset?: number } {
    const what = `map '${m.name}'`;
    const members: BtfWriterMember[] = [];
    const add = (name: string, type: number): void => { members.push({ name, type, offset: members.length * 8 }); };
    if (!Number.isInteger(m.type) || m.type <= 0) throw new RangeError(`${what}: map type ${m.type} is not a BPF_MAP_TYPE_*`);
    add('type', this.uint(m.type));
    if (m.keyType !== undefined && m.keySize !== undefined) throw new RangeError(`${what}: give keyType or keySize, not both`);
    if (m.valueType !== undefined && m.valueSize !== undefined) throw new RangeError(`${what}: give valueType or valueSize, not both`);
    if (m.keyType !== undefined) add('key', this.ptr(checkId(m.keyType, what, 'keyType')));
    if (m.keySize !== undefined) add('key_size', this.uint(m.keySize));
    if (m.valueType !== undefined) add('value', this.ptr(checkId(m.valueType, what, 'valueType')));
    if (m.valueSize !== undefined) add('value_size', this.uint(m.valueSize));
    add('max_entries', this.uint(m.maxEntries));
    if (m.flags) add('map_flags', this.uint(m.flags));
    if (m.numaNode !== undefined) add('numa_node', this.uint(m.numaNode));
    // libbpf reads map_extra as __uint (PTR → ARRAY) or __ulong (ENUM); the first covers 32-bit values.
    if (m.mapExtra !== undefined) add('map_extra', this.uint(m.mapExtra));
    if (m.pinning && m.pinning !== 'none') {
      if (inner) throw new RangeError(`${what}: an inner map definition cannot be pinned`);
      add('pinning', this.uint(1));
    }
    let valuesOffset: number | undefined;
    const mapInMap = m.type === ARRAY_OF_MAPS || m.type === HASH_OF_MAPS;
    if (m.innerMap) {
      if (inner) throw new RangeError(`${what}: multi-level inner maps are not supported`);
      if (!mapInMap) throw new RangeError(`${what}: only maps of maps have an inner map`);
      const def = this.definition({ ...m.innerMap, name: `${m.name}.inner` }, true);
      valuesOffset = members.length * 8;
      add('values', this.#w.array(this.ptr(def.struct), 0));
    } else if (mapInMap) {
      throw new RangeError(`${what}: a map of maps needs innerMap (its inner map definition)`);
    } else if (m.type === PROG_ARRAY && m.values?.length) {
      if (m.valueType !== undefined || (m.valueSize !== undefined && m.valueSize !== 4)) throw new RangeError(`${what}: a prog array with values has 4-byte values`);
      if (!this.#progProto) this.#progProto = this.#w.funcProto(this.int, [{ type: this.ptr(0) }]);
      valuesOffset = members.length * 8;
      add('values', this.#w.array(this.ptr(this.#progProto), 0));
    }
    if (m.values?.length && valuesOffset === undefined) throw new RangeError(`${what}: only maps of maps and prog arrays take initial values`);
    // `values` is a zero-length array: it takes no room in the struct (the slots follow it).
    const size = (members.length - (valuesOffset === undefined ? 0 : 1)) * 8;
    const struct = this.#w.struct('', size, members);
    return valuesOffset === undefined ? { struct, size } : { struct, size, valuesOffset };
  }
}

function checkId(id: number, what: string, field: string): number {
  if (!Number.isInteger(id) || id < 1) throw new RangeError(`${what}: ${field} ${id} is not a BTF type id`);
  return id;
}
