// BTF types as text in the shape of `bpftool btf dump file F` (format raw),
// line for line, so the two can be compared with diff.
import type { BtfReader, BtfType } from '@lockne/obj';

const q = (s: string): string => `'${s === '' ? '(anon)' : s}'`;

/** One type: its header line and, for kinds with members, one tab-indented line each. */
export function rawType(btf: BtfReader, t: BtfType): string {
  const head = `[${t.id}] ${t.kind} ${q(t.name)}`;
  switch (t.kind) {
    case 'INT': {
      const enc = t.signed ? 'SIGNED' : t.char ? 'CHAR' : t.bool ? 'BOOL' : '(none)';
      return `${head} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${enc}`;
    }
    case 'PTR': case 'CONST': case 'VOLATILE': case 'RESTRICT': case 'TYPEDEF': case 'TYPE_TAG':
      return `${head} type_id=${t.type}`;
    case 'ARRAY':
      return `${head} type_id=${t.elemType} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case 'STRUCT': case 'UNION':
      return [`${head} size=${t.size} vlen=${t.members.length}`, ...t.members.map((m) =>
        `\t${q(m.name)} type_id=${m.type} bits_offset=${m.bitOffset}${m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : ''}`)].join('\n');
    case 'ENUM':
      return [`${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`,
        ...t.values.map((v) => `\t${q(v.name)} val=${v.value}`)].join('\n');
    case 'ENUM64':
      return [`${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`,
        ...t.values.map((v) => `\t${q(v.name)} val=${v.value}${t.signed ? 'LL' : 'ULL'}`)].join('\n');
    case 'FWD':
      return `${head} fwd_kind=${t.fwdKind}`;
    case 'FUNC':
      return `${head} type_id=${t.type} linkage=${t.linkage}`;
    case 'FUNC_PROTO':
      return [`${head} ret_type_id=${t.returnType} vlen=${t.params.length}`, ...t.params.map((p) => `\t${q(p.name)} type_id=${p.type}`)].join('\n');
    case 'VAR':
      return `${head} type_id=${t.type}, linkage=${t.linkage}`;
    case 'DATASEC':
      return [`${head} size=${t.size} vlen=${t.vars.length}`, ...t.vars.map((v) =>
        `\ttype_id=${v.type} offset=${v.offset} size=${v.size} (${btf.kind(v.type)} ${q(btf.name(v.type))})`)].join('\n');
    case 'FLOAT':
      return `${head} size=${t.size}`;
    case 'DECL_TAG':
      return `${head} type_id=${t.type} component_idx=${t.componentIdx}`;
  }
}

/** Every type defined by `btf` (not its base), one after another. */
export function rawDump(btf: BtfReader): string {
  const out: string[] = [];
  for (const t of btf.types()) out.push(rawType(btf, t));
  return out.join('\n');
}
