// BTF for map keys and values, derived from codec shapes: a codec made with
// struct()/array()/u32... describes itself, so a map that needs BTF (local
// storage, spin locks) gets it without hand-written types.
import { BtfWriter } from '@lockne/obj';
import type { Codec, Shape } from '../maps/codec.js';
import { Btf } from './btf.js';

/** Add the C type of `shape` to `w`; returns its type id. Identical ints are added once. */
export function addShape(w: BtfWriter, shape: Shape, ints = new Map<string, number>()): number {
  const int = (name: string, size: number, signed: boolean, extra: { bool?: boolean; char?: boolean } = {}): number => {
    const key = `${name}/${size}/${signed}`;
    let id = ints.get(key);
    if (id === undefined) {
      id = w.int(name, size, { signed, ...extra });
      ints.set(key, id);
    }
    return id;
  };
  switch (shape.kind) {
    case 'int':
      return int(shape.name, shape.size, shape.signed, { bool: shape.bool });
    case 'bytes':
      return w.array(int('unsigned char', 1, false), shape.size);
    case 'cstring':
      // clang's `char`: one encoding bit only (the kernel refuses SIGNED|CHAR).
      return w.array(int('char', 1, true), shape.size);
    case 'array':
      return w.array(addShape(w, shape.elem, ints), shape.length);
    case 'struct': {
      const members = shape.fields.map((f) => ({ name: f.name, type: addShape(w, f.shape, ints), offset: f.offset }));
      return w.struct(shape.name ?? '', shape.size, members);
    }
  }
}

/** The shape of a codec: its own, or plain bytes. */
export const shapeOf = (c: Codec<unknown>): Shape => c.shape ?? { kind: 'bytes', size: c.size };

export interface LoadedMapBtf {
  btf: Btf;
  keyTypeId: number;
  valueTypeId: number;
}

/**
 * Load BTF describing a key and a value (either may be a codec or a raw size).
 * The caller closes `btf` once the map exists.
 */
export function loadMapBtf(key: Codec<unknown> | number, value: Codec<unknown> | number): LoadedMapBtf {
  const w = new BtfWriter();
  const ints = new Map<string, number>();
  const toShape = (c: Codec<unknown> | number): Shape => (typeof c === 'number' ? { kind: 'bytes', size: c } : shapeOf(c));
  const keyTypeId = addShape(w, toShape(key), ints);
  const valueTypeId = addShape(w, toShape(value), ints);
  return { btf: Btf.load(w.encode()), keyTypeId, valueTypeId };
}
