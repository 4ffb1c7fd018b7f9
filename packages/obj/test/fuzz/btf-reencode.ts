// Re-encoding parsed BTF with BtfWriter: the round-trip property (parse ->
// re-encode every type -> parse gives the same types) and the vmlinux slices
// of the corpus (the closure of a few kernel types, renumbered).
import { BtfWriter, type BtfReader, type BtfType } from '../../src/index.js';

/** Type ids `t` refers to (0 = void). */
export function refsOf(t: BtfType): number[] {
  switch (t.kind) {
    case 'PTR': case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG':
    case 'FUNC': case 'VAR': case 'DECL_TAG':
      return [t.type];
    case 'ARRAY': return [t.elemType, t.indexType];
    case 'STRUCT': case 'UNION': return t.members.map((m) => m.type);
    case 'FUNC_PROTO': return [t.returnType, ...t.params.map((p) => p.type)];
    case 'DATASEC': return t.vars.map((v) => v.type);
    default: return [];
  }
}

/** Why BtfWriter cannot encode `t` exactly, or null when it can. */
export function unrepresentable(t: BtfType): string | null {
  switch (t.kind) {
    case 'INT':
      if (![1, 2, 4, 8, 16].includes(t.size)) return `INT size ${t.size}`;
      if (t.bits < 1 || t.bits > t.size * 8) return `INT ${t.bits} bits in ${t.size} bytes`;
      if (Number(t.signed) + Number(t.char) + Number(t.bool) > 1) return 'INT with several encodings';
      return null;
    case 'PTR': case 'CONST': case 'VOLATILE': case 'RESTRICT': case 'ARRAY': case 'FUNC_PROTO':
      return t.name === '' ? null : `named ${t.kind}`;
    default:
      return null;
  }
}

/** Add `t` to `w` with its references mapped by `m`; returns the new id. */
export function addType(w: BtfWriter, t: BtfType, m: (id: number) => number): number {
  switch (t.kind) {
    case 'INT': return w.int(t.name, t.size, { signed: t.signed, char: t.char, bool: t.bool, bits: t.bits, bitOffset: t.bitOffset });
    case 'PTR': return w.ptr(m(t.type));
    case 'TYPEDEF': return w.typedef(t.name, m(t.type));
    case 'VOLATILE': return w.volatile(m(t.type));
    case 'CONST': return w.const(m(t.type));
    case 'RESTRICT': return w.restrict(m(t.type));
    case 'TYPE_TAG': return w.typeTag(t.name, m(t.type));
    case 'ARRAY': return w.array(m(t.elemType), t.nelems, m(t.indexType));
    case 'STRUCT': case 'UNION': {
      const members = t.members.map((x) => ({ name: x.name, type: m(x.type), bitOffset: x.bitOffset, bitfieldSize: x.bitfieldSize }));
      return t.kind === 'STRUCT' ? w.struct(t.name, t.size, members) : w.union(t.name, t.size, members);
    }
    case 'ENUM': return w.enum(t.name, t.values.map((v) => [v.name, v.value] as const), { size: t.size, signed: t.signed });
    case 'ENUM64': return w.enum64(t.name, t.values.map((v) => [v.name, v.value] as const), { size: t.size, signed: t.signed });
    case 'FWD': return w.fwd(t.name, { union: t.fwdKind === 'union' });
    case 'FUNC': return w.func(t.name, m(t.type), t.linkage);
    case 'FUNC_PROTO': return w.funcProto(m(t.returnType), t.params.map((p) => ({ name: p.name, type: m(p.type) })));
    case 'VAR': return w.var(t.name, m(t.type), t.linkage);
    case 'DATASEC': return w.datasec(t.name, t.size, t.vars.map((v) => ({ type: m(v.type), offset: v.offset, size: v.size })));
    case 'FLOAT': return w.float(t.name, t.size);
    case 'DECL_TAG': return w.declTag(t.name, m(t.type), t.componentIdx);
  }
}

/** Every type of `btf` re-encoded in id order (ids are kept). Throws when one is unrepresentable. */
export function reencodeAll(btf: BtfReader): Uint8Array {
  const w = new BtfWriter();
  for (const t of btf.types()) {
    const why = unrepresentable(t);
    if (why) throw new Unrepresentable(`type ${t.id}: ${why}`);
    addType(w, t, (id) => id);
  }
  return w.encode();
}

export class Unrepresentable extends Error {
  override name = 'Unrepresentable';
}

/**
 * The closure of `roots` (breadth first, at most `cap` types), renumbered
 * from 1 and encoded; references leaving the slice become void.
 */
export function sliceBtf(btf: BtfReader, roots: readonly number[], cap: number): Uint8Array {
  const order: number[] = [];
  const newId = new Map<number, number>();
  const queue = [...roots];
  while (queue.length > 0 && order.length < cap) {
    const id = queue.shift()!;
    if (id === 0 || newId.has(id)) continue;
    newId.set(id, order.length + 1);
    order.push(id);
    for (const ref of refsOf(btf.type(id))) if (ref !== 0 && !newId.has(ref)) queue.push(ref);
  }
  const w = new BtfWriter();
  for (const id of order) addType(w, btf.type(id), (ref) => newId.get(ref) ?? 0);
  return w.encode();
}

/** One type of every kind, a self-referencing list node and a variadic prototype. */
export function everyKindBtf(): Uint8Array {
  const w = new BtfWriter();
  const int = w.int('int', 4, { signed: true });
  const u8 = w.int('unsigned char', 1, { char: true });
  const bool = w.int('_Bool', 1, { bool: true });
  const node = w.struct('node', 16, []);
  const pnode = w.ptr(node);
  w.setMembers(node, [{ name: 'next', type: pnode, offset: 0 }, { name: 'flags', type: int, bitOffset: 64, bitfieldSize: 3 }, { name: 'on', type: bool, bitOffset: 67, bitfieldSize: 1 }]);
  const arr = w.array(u8, 16);
  const un = w.union('u', 16, [{ name: 'n', type: node, offset: 0 }, { name: 'raw', type: arr, offset: 0 }]);
  const en = w.enum('state', [['A', -1], ['B', 0x7fffffff]], { signed: true });
  const e64 = w.enum64('big', [['HUGE', 1n << 40n], ['NEG', -5n]], { signed: true });
  w.fwd('later');
  w.fwd('later_u', { union: true });
  const td = w.typedef('node_t', node);
  const cv = w.const(w.volatile(w.restrict(pnode)));
  const tt = w.typeTag('user', pnode);
  const proto = w.funcProto(int, [{ name: 'a', type: td }, { name: 'b', type: cv }, { name: '', type: 0 }]);
  const fn = w.func('handler', proto, 'global');
  const fl = w.float('double', 8);
  const v1 = w.var('counter', int, 'global');
  const v2 = w.var('table', un, 'static');
  w.datasec('.data', 20, [{ type: v1, offset: 0, size: 4 }, { type: v2, offset: 4, size: 16 }]);
  w.declTag('tag_type', node, -1);
  w.declTag('tag_member', node, 1);
  w.declTag('tag_param', fn, 0);
  w.typedef('all', en);
  w.typedef('all64', e64);
  w.typedef('fl', fl);
  w.typedef('tagged', tt);
  return w.encode();
}
