// TypeScript type expressions for BTF types, and the member lists of structs,
// unions and datasecs. Named types print as their planned name; pointers,
// arrays and function prototypes structurally; anonymous structs and unions
// inline as object type literals (or, as members, flattened into their parent
// the way C lets you name their fields directly).
import type { BtfReader } from './reader.js';
import type { BtfComposite, BtfDatasec } from './reader-types.js';
import type { BtfLayout } from './ts-layout.js';
import { BtfTsError, escapeIdentifier, propertyKey, ScopeNames } from './ts-names.js';
import { floatName, intName } from './ts-prelude.js';
import { skipModifiers, type TsPlan } from './ts-plan.js';

export type AnonMembers = 'flatten' | 'name';

/** Tags (btf_decl_tag) by the id they tag, with the member/parameter index (-1: the type itself). */
export type DeclTags = ReadonlyMap<number, readonly { component: number; name: string }[]>;

export function collectDeclTags(btf: BtfReader): DeclTags {
  const tags = new Map<number, { component: number; name: string }[]>();
  for (let id = 1; id <= btf.lastId; id++) {
    if (btf.kind(id) !== 'DECL_TAG') continue;
    const t = btf.typeOf(id, 'DECL_TAG');
    let list = tags.get(t.type);
    if (!list) tags.set(t.type, (list = []));
    list.push({ component: t.componentIdx, name: t.name });
  }
  return tags;
}

/** The tag names on `id` (component -1) or on one of its members. */
export function tagsOf(tags: DeclTags, id: number, component: number): string[] {
  return (tags.get(id) ?? []).filter((t) => t.component === component).map((t) => t.name);
}

type Composite = BtfComposite<'STRUCT'> | BtfComposite<'UNION'>;

const INDENT = '  ';

export class TsTypeWriter {
  readonly #btf: BtfReader;
  readonly #plan: TsPlan;
  readonly #layout: BtfLayout;
  readonly #tags: DeclTags;
  readonly #anon: AnonMembers;
  /** Ids being printed structurally right now: meeting one again is a cycle without a name. */
  readonly #active = new Set<number>();

  constructor(btf: BtfReader, plan: TsPlan, layout: BtfLayout, tags: DeclTags, anon: AnonMembers) {
    this.#btf = btf;
    this.#plan = plan;
    this.#layout = layout;
    this.#tags = tags;
    this.#anon = anon;
  }

  /** The type expression for `id`; `indent` is the indentation of the line it starts on. */
  expr(id: number, indent: string): string {
    if (id === 0) return 'void';
    const named = this.#plan.names[id];
    if (named !== undefined) return named;
    if (this.#active.has(id)) throw new BtfTsError(`BTF type ${id} (${this.#btf.kind(id)}) refers to itself without a name in between`);
    this.#active.add(id);
    try {
      return this.#structural(id, indent);
    } finally {
      this.#active.delete(id);
    }
  }

  #structural(id: number, indent: string): string {
    const t = this.#btf.type(id);
    switch (t.kind) {
      case 'INT':
        return intName(t.size, t.signed, t.bool) ?? `FixedArray<u8, ${t.size}>`;
      case 'FLOAT':
        return floatName(t.size) ?? `FixedArray<u8, ${t.size}>`;
      case 'PTR':
        return `Ptr<${this.expr(t.type, indent)}>`;
      case 'ARRAY':
        return `FixedArray<${this.expr(t.elemType, indent)}, ${t.nelems}>`;
      case 'CONST': case 'VOLATILE': case 'RESTRICT': case 'TYPEDEF': case 'VAR':
        return this.expr(t.type, indent);
      case 'TYPE_TAG':
        // btf_type_tag (__rcu, __user, __kptr...) says how to read the pointer: keep it visible.
        return `/* ${t.name.replace(/\*\//g, '* /')} */ ${this.expr(t.type, indent)}`;
      case 'FUNC':
        return this.expr(t.type, indent);
      case 'FUNC_PROTO':
        return `(${this.params(id, indent)}) => ${this.expr(t.returnType, indent)}`;
      case 'STRUCT': case 'UNION':
        return this.#literal(t, indent);
      case 'DATASEC': {
        const lines: string[] = [];
        this.datasecMembers(t, indent + INDENT, lines);
        return `{\n${lines.join('\n')}\n${indent}}`;
      }
      case 'ENUM': case 'ENUM64': case 'FWD': case 'DECL_TAG':
        // Enums and forward declarations always have a planned name; a DECL_TAG is never a member type.
        throw new BtfTsError(`BTF type ${id} (${t.kind} '${t.name}') cannot be printed as a type expression`);
    }
  }

  /** The parameter list of FUNC_PROTO `protoId`, with unique names (`arg0` for unnamed ones). */
  params(protoId: number, indent: string): string {
    const proto = this.#btf.typeOf(protoId, 'FUNC_PROTO');
    const scope = new ScopeNames();
    const out: string[] = [];
    proto.params.forEach((p, i) => {
      if (p.type === 0 && p.name === '' && i === proto.params.length - 1) {
        out.push(`...${scope.take('args')}: unknown[]`);
        return;
      }
      const name = scope.take(p.name === '' ? `arg${i}` : escapeIdentifier(p.name));
      out.push(`${name}: ${this.expr(p.type, indent)}`);
    });
    return out.join(', ');
  }

  /** An anonymous struct/union as an object type literal. */
  #literal(t: Composite, indent: string): string {
    const lines = [`${indent}${INDENT}// ${t.kind === 'UNION' ? 'union' : 'struct'}: ${this.sizeAlign(t.id)}`];
    this.members(t, indent + INDENT, lines);
    return `{\n${lines.join('\n')}\n${indent}}`;
  }

  /** "size S, align A" of a struct/union. */
  sizeAlign(id: number): string {
    return `size ${this.#layout.sizeOf(id)}, align ${this.#layout.alignOf(id)}`;
  }

  /** Member lines of a struct/union, each `/** offset O *\/ name: T;`, into `out`. */
  members(t: Composite, indent: string, out: string[]): void {
    this.#members(t, 0, indent, out, new ScopeNames(), { n: 0 }, '');
  }

  #members(t: Composite, baseBits: number, indent: string, out: string[], scope: ScopeNames, anonCount: { n: number }, where: string): void {
    t.members.forEach((m, index) => {
      const bits = baseBits + m.bitOffset;
      let name = m.name;
      if (name === '') {
        const innerId = m.type === 0 ? 0 : skipModifiers(this.#btf, m.type);
        const inner = innerId === 0 ? undefined : this.#btf.type(innerId);
        const composite = inner?.kind === 'STRUCT' || inner?.kind === 'UNION';
        // An unnamed bitfield is padding: nothing to name.
        if (!composite && m.bitfieldSize > 0) return;
        if (composite && this.#anon === 'flatten' && inner.name === '') {
          this.#members(inner, bits, indent, out, scope, anonCount, `in anonymous ${inner.kind === 'UNION' ? 'union' : 'struct'}`);
          return;
        }
        name = `__anon_${anonCount.n++}`;
      }
      const notes = [m.bitfieldSize > 0
        ? `offset ${Math.floor(bits / 8)}, bits ${m.bitfieldSize} at bit offset ${bits}`
        : bits % 8 === 0 ? `offset ${bits / 8}` : `bit offset ${bits}`];
      if (where) notes.push(where);
      const tags = tagsOf(this.#tags, t.id, index);
      if (tags.length) notes.push(`tags: ${tags.join(', ')}`);
      out.push(`${indent}/** ${notes.join(', ')} */ ${propertyKey(scope.take(name))}: ${this.expr(m.type, indent)};`);
    });
  }

  /** Member lines of a DATASEC: one per variable (or function, in .ksyms). */
  datasecMembers(t: BtfDatasec, indent: string, out: string[]): void {
    const scope = new ScopeNames();
    for (const v of t.vars) {
      const target = this.#btf.type(v.type);
      const name = target.name === '' ? `__anon_${v.offset}` : target.name;
      const what = target.kind === 'VAR' ? target.linkage : target.kind === 'FUNC' ? `${target.linkage} function` : target.kind.toLowerCase();
      out.push(`${indent}/** offset ${v.offset}, size ${v.size}, ${what} */ ${propertyKey(scope.take(name))}: ${this.expr(v.type, indent)};`);
    }
  }
}
