// Small BTF queries the object parser needs (libbpf's btf__resolve_size,
// btf__align_of, skip_mods_and_typedefs), bounded so a malicious type graph
// cannot loop, and reporting failures as ObjectParseError in '.BTF'.
import type { BtfReader, BtfType } from '../btf/reader.js';
import { ObjectParseError } from './errors.js';

const MAX_DEPTH = 32;

const fail = (msg: string): ObjectParseError => new ObjectParseError(msg, '.BTF', 0);

/** Type `id`, or an ObjectParseError when the id is not in this BTF (0 = void has no type). */
export function btfType(btf: BtfReader, id: number, what: string): BtfType {
  if (!Number.isInteger(id) || id < 1 || id > btf.lastId) throw fail(`${what}: type id ${id} is not in 1..${btf.lastId}`);
  return btf.type(id);
}

/** The string at `off`, or an ObjectParseError naming `what`. */
export function btfString(btf: BtfReader, off: number, what: string): string {
  if (!Number.isInteger(off) || off < 0 || off >= btf.stringsLength) throw fail(`${what}: string offset ${off} is outside 0..${btf.stringsLength - 1}`);
  return btf.string(off);
}

/** Follow CONST/VOLATILE/RESTRICT/TYPE_TAG/TYPEDEF to the first other type id (0 = void). */
export function skipModsAndTypedefs(btf: BtfReader, id: number): number {
  for (let i = 0; i < MAX_DEPTH && id !== 0; i++) {
    const t = btfType(btf, id, 'modifier chain');
    if (t.kind !== 'CONST' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG' && t.kind !== 'TYPEDEF') return id;
    id = t.type;
  }
  if (id === 0) return 0;
  throw fail(`type ${id}: modifier chain deeper than ${MAX_DEPTH}`);
}

/** Byte size of type `id` (arrays multiplied out), as libbpf's btf__resolve_size. */
export function resolveSize(btf: BtfReader, id: number, what: string): number {
  let nelems = 1;
  for (let i = 0; i < MAX_DEPTH; i++) {
    if (id === 0) break;
    const t = btfType(btf, id, what);
    switch (t.kind) {
      case 'INT': case 'STRUCT': case 'UNION': case 'ENUM': case 'ENUM64': case 'DATASEC': case 'FLOAT':
        return checkedSize(nelems, t.size, what);
      case 'PTR':
        return checkedSize(nelems, 8, what);
      case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'VAR': case 'DECL_TAG': case 'TYPE_TAG':
        id = t.type;
        break;
      case 'ARRAY':
        nelems *= t.nelems;
        if (nelems > 0xffffffff) throw fail(`${what}: array size overflows 32 bits`);
        id = t.elemType;
        break;
      default:
        throw fail(`${what}: type ${id} (${t.kind}) has no size`);
    }
  }
  throw fail(`${what}: cannot resolve the size of type ${id}`);
}

function checkedSize(nelems: number, size: number, what: string): number {
  const total = nelems * size;
  if (total > 0xffffffff) throw fail(`${what}: size ${total} overflows 32 bits`);
  return total;
}

/** Natural alignment of type `id`, as libbpf's btf__align_of (1 for packed structs). */
export function alignOf(btf: BtfReader, id: number, what: string): number {
  // Memoised: a crafted type graph with wide fan-out must not take exponential time.
  const memo = new Map<number, number>();
  const walk = (tid: number, depth: number): number => {
    const hit = memo.get(tid);
    if (hit !== undefined) return hit;
    if (depth > MAX_DEPTH) throw fail(`${what}: type nesting deeper than ${MAX_DEPTH}`);
    const a = alignOne(btf, tid, what, (next) => walk(next, depth + 1));
    memo.set(tid, a);
    return a;
  };
  return walk(id, 0);
}

function alignOne(btf: BtfReader, id: number, what: string, inner: (id: number) => number): number {
  const t = btfType(btf, id, what);
  switch (t.kind) {
    case 'INT': case 'ENUM': case 'ENUM64': case 'FLOAT':
      return Math.max(1, Math.min(8, t.size));
    case 'PTR':
      return 8;
    case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG':
      return inner(t.type);
    case 'ARRAY':
      return inner(t.elemType);
    case 'STRUCT': case 'UNION': {
      let max = 1;
      for (const m of t.members) {
        const a = inner(m.type);
        max = Math.max(max, a);
        // A member off its natural alignment means the struct is packed.
        if (m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return 1;
      }
      return t.size % max === 0 ? max : 1;
    }
    default:
      throw fail(`${what}: type ${id} (${t.kind}) has no alignment`);
  }
}
