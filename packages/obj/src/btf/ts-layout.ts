// Sizes and alignments of BTF types, for the printer's `size S, align A`
// comments. BTF records sizes but not alignment: alignment follows the C rules
// of a 64-bit target (scalars align to their size up to 8, pointers to 8, a
// struct to its strictest member), and a struct whose members sit off their
// natural alignment, or whose size is not a multiple of it, was packed: align 1.
import type { BtfReader } from './reader.js';

const POINTER_SIZE = 8;

export class BtfLayout {
  readonly #btf: BtfReader;
  readonly #align = new Map<number, number>();

  constructor(btf: BtfReader) {
    this.#btf = btf;
  }

  /** Byte size of `id` (0 for void, functions and forward declarations). */
  sizeOf(id: number, depth = 0): number {
    if (id === 0 || depth > 64) return 0;
    const t = this.#btf.type(id);
    switch (t.kind) {
      case 'INT': case 'FLOAT': case 'ENUM': case 'ENUM64': case 'STRUCT': case 'UNION': case 'DATASEC':
        return t.size;
      case 'PTR':
        return POINTER_SIZE;
      case 'ARRAY':
        return t.nelems * this.sizeOf(t.elemType, depth + 1);
      case 'TYPEDEF': case 'CONST': case 'VOLATILE': case 'RESTRICT': case 'TYPE_TAG': case 'VAR':
        return this.sizeOf(t.type, depth + 1);
      default:
        return 0;
    }
  }

  /** Alignment of `id` in bytes (1 when it has no size). */
  alignOf(id: number): number {
    return this.#alignOf(id, 0);
  }

  #alignOf(id: number, depth: number): number {
    if (id === 0 || depth > 64) return 1;
    const hit = this.#align.get(id);
    if (hit !== undefined) return hit;
    const t = this.#btf.type(id);
    let a = 1;
    switch (t.kind) {
      case 'INT': case 'FLOAT': case 'ENUM': case 'ENUM64':
        a = Math.max(1, Math.min(t.size, POINTER_SIZE));
        break;
      case 'PTR':
        a = POINTER_SIZE;
        break;
      case 'ARRAY':
        a = this.#alignOf(t.elemType, depth + 1);
        break;
      case 'TYPEDEF': case 'CONST': case 'VOLATILE': case 'RESTRICT': case 'TYPE_TAG': case 'VAR':
        a = this.#alignOf(t.type, depth + 1);
        break;
      case 'STRUCT': case 'UNION': {
        let packed = false;
        for (const m of t.members) {
          const ma = this.#alignOf(m.type, depth + 1);
          a = Math.max(a, ma);
          if (m.bitfieldSize === 0 && m.bitOffset % (ma * 8) !== 0) packed = true;
        }
        if (packed || t.size % a !== 0) a = 1;
        break;
      }
      default:
        break;
    }
    this.#align.set(id, a);
    return a;
  }
}
