// BTF → TypeScript declarations: what bpftool's `btf dump format c` is to C
// (vmlinux.h), for the TypeScript → eBPF compiler's kernel types.
//
//   struct/union   → `export interface` with `/** struct s: size S, align A */` and a
//                    `/** offset O */` comment on each member; bitfields say
//                    `bits N at bit offset M`; anonymous struct/union members are
//                    flattened (C lets you name their fields directly) or named __anon_N
//   ints, floats   → branded u8..u64/u128, i8..i128, bool, f16..f128 (64 bits and up are bigint)
//   pointers       → Ptr<T>;  arrays → FixedArray<T, N>;  function prototypes → function types
//   enum           → `export declare const enum`; ENUM64 → a const of bigint literals + their union type
//   typedef        → `export type` (a typedef of an anonymous struct/enum declares it under its name)
//   forward decl   → an Opaque<'struct s'> interface (unless the struct is defined elsewhere)
//   datasec        → an interface of its variables at their offsets (object files: .bss, .maps, ...)
//   function       → `export declare function` (opt-in: vmlinux has ~60k)
//
// Names are made unique in id order (bpftool's `___2` suffix) and reserved
// words escaped (`default` → `_default`); declarations come out in id order, so
// the output is deterministic and independent of the roots chosen.
//
// @example
// const btf = BtfReader.parse(fs.readFileSync('/sys/kernel/btf/vmlinux'));
// fs.writeFileSync('vmlinux.ts', btfToTypeScript(btf, { types: ['task_struct', 'xdp_md'] }));
import type { BtfReader } from './reader.js';
import type { BtfType } from './reader-types.js';
import { BtfLayout } from './ts-layout.js';
import { collectDeclTags, tagsOf, TsTypeWriter, type AnonMembers, type DeclTags } from './ts-expr.js';
import { BtfTsError, propertyKey, ScopeNames } from './ts-names.js';
import { importPrelude, inlinePrelude } from './ts-prelude.js';
import { NEED_FULL, planClosure, planNames, type TsPlan } from './ts-plan.js';

export { BtfTsError } from './ts-names.js';

export interface BtfToTsOptions {
  /**
   * Root type names (any kind: struct, union, enum, typedef, datasec, func,
   * var); everything they reference is printed too. Default: every named
   * type, every anonymous enum and every datasec (functions only with `functions`).
   */
  types?: readonly string[];
  /**
   * Where u8..i128, bool, f16..f128, Ptr, FixedArray and Opaque come from:
   * 'inline' (default) prints a self-contained prelude; `{ importFrom: '@lockne/kernel' }`
   * imports them from a module that declares the same names.
   */
  prelude?: 'inline' | { importFrom: string };
  /** Anonymous struct/union members: 'flatten' (default) into the parent, or 'name' them __anon_N. */
  anonMembers?: AnonMembers;
  /**
   * Named structs reached only through pointers: 'full' (default) prints them
   * with their members; 'opaque' prints an Opaque<'struct s'> stand-in, like
   * bpftool's forward declarations (a small output for a few roots).
   */
  pointees?: 'full' | 'opaque';
  /** Also declare every FUNC (kernel functions and kfuncs) with the default roots. Default false. */
  functions?: boolean;
}

/** Root selection: which ids the caller asked for, and which FUNC/VAR ids need a value name. */
function selectRoots(btf: BtfReader, opts: BtfToTsOptions): { roots: number[] | undefined; values: Set<number> } {
  const values = new Set<number>();
  if (opts.types === undefined) {
    if (opts.functions) for (let id = btf.firstId; id <= btf.lastId; id++) if (btf.kind(id) === 'FUNC') values.add(id);
    return { roots: undefined, values };
  }
  const roots: number[] = [];
  for (const name of opts.types) {
    const ids = btf.idsByName(name).filter((id) => btf.kind(id) !== 'INT' && btf.kind(id) !== 'FLOAT' && btf.kind(id) !== 'DECL_TAG' && btf.kind(id) !== 'TYPE_TAG');
    if (ids.length === 0) throw new BtfTsError(`no BTF type named '${name}' to print`);
    for (const id of ids) {
      roots.push(id);
      const kind = btf.kind(id);
      if (kind === 'FUNC' || kind === 'VAR') values.add(id);
    }
  }
  return { roots, values };
}

/** The default roots: every type that declares something, except functions unless asked. */
function defaultRoots(btf: BtfReader, plan: TsPlan): number[] {
  const roots: number[] = [];
  for (let id = btf.firstId; id <= btf.lastId; id++) if (plan.declares[id]) roots.push(id);
  return roots;
}

/**
 * TypeScript declarations for the types of `btf` (see the file comment for
 * the mapping). Throws BtfTsError when a root name is unknown.
 */
export function btfToTypeScript(btf: BtfReader, opts: BtfToTsOptions = {}): string {
  const { roots, values } = selectRoots(btf, opts);
  const plan = planNames(btf, values);
  const need = planClosure(btf, plan, roots ?? defaultRoots(btf, plan), opts.pointees === 'opaque');
  const layout = new BtfLayout(btf);
  const tags = collectDeclTags(btf);
  const writer = new TsTypeWriter(btf, plan, layout, tags, opts.anonMembers ?? 'flatten');
  const decls: string[] = [];
  // From 1, not firstId: split BTF (a module's) needs the base types it uses declared too.
  for (let id = 1; id <= btf.lastId; id++) {
    if (need[id] && plan.declares[id]) decls.push(declaration(btf, plan, writer, tags, id, need[id] === NEED_FULL));
  }
  const prelude = opts.prelude === undefined || opts.prelude === 'inline' ? inlinePrelude() : importPrelude(opts.prelude.importFrom);
  const head = `// Generated from BTF by @lockne/obj btfToTypeScript: ${decls.length} declarations. Do not edit.`;
  return `${head}\n${prelude}\n\n${decls.join('\n\n')}\n`;
}

/** A `/** ... *\/` line, with the type's decl tags appended. */
function doc(text: string, tags: DeclTags, id: number): string {
  const t = tagsOf(tags, id, -1);
  return `/** ${text}${t.length ? `; tags: ${t.join(', ')}` : ''} */`;
}

function declaration(btf: BtfReader, plan: TsPlan, w: TsTypeWriter, tags: DeclTags, id: number, full: boolean): string {
  const name = plan.names[id]!;
  const t = btf.type(id);
  switch (t.kind) {
    case 'STRUCT': case 'UNION':
      return composite(w, tags, t, name, `${t.kind === 'UNION' ? 'union' : 'struct'} ${t.name}`, full);
    case 'TYPEDEF': {
      const anon = plan.adopted.get(id);
      if (anon !== undefined) {
        const body = btf.type(anon);
        if (body.kind === 'STRUCT' || body.kind === 'UNION') {
          return composite(w, tags, body, name, `typedef ${body.kind === 'UNION' ? 'union' : 'struct'} { ... } ${t.name}`, full);
        }
        return enumDecl(tags, body, name, `typedef enum { ... } ${t.name}`);
      }
      return `${doc(`typedef ${t.name}`, tags, id)}\nexport type ${name} = ${w.expr(t.type, '')};`;
    }
    case 'ENUM': case 'ENUM64':
      return enumDecl(tags, t, name, t.name === '' ? 'anonymous enum' : `enum ${t.name}`);
    case 'FWD':
      return `${doc(`${t.fwdKind} ${t.name}: forward declaration, never defined here`, tags, id)}\nexport interface ${name} extends Opaque<${JSON.stringify(`${t.fwdKind} ${t.name}`)}> {}`;
    case 'DATASEC': {
      const lines: string[] = [];
      w.datasecMembers(t, '  ', lines);
      return `${doc(`datasec ${t.name}: size ${t.size}`, tags, id)}\nexport interface ${name} {\n${lines.join('\n')}\n}`;
    }
    case 'FUNC': {
      const proto = btf.typeOf(t.type, 'FUNC_PROTO');
      return `${doc(`${t.linkage} function ${t.name}`, tags, id)}\nexport declare function ${name}(${w.params(proto.id, '')}): ${w.expr(proto.returnType, '')};`;
    }
    case 'VAR':
      return `${doc(`${t.linkage} variable ${t.name}`, tags, id)}\nexport declare const ${name}: ${w.expr(t.type, '')};`;
    default:
      throw new BtfTsError(`BTF type ${id} (${t.kind}) has no declaration form`);
  }
}

function composite(w: TsTypeWriter, tags: DeclTags, t: Extract<BtfType, { kind: 'STRUCT' | 'UNION' }>, name: string, what: string, full: boolean): string {
  const head = doc(`${what}: ${w.sizeAlign(t.id)}${full ? '' : ' (members not printed: only reached through pointers)'}`, tags, t.id);
  if (!full) return `${head}\nexport interface ${name} extends Opaque<${JSON.stringify(what)}> {}`;
  const lines: string[] = [];
  w.members(t, '  ', lines);
  return lines.length ? `${head}\nexport interface ${name} {\n${lines.join('\n')}\n}` : `${head}\nexport interface ${name} {}`;
}

function enumDecl(tags: DeclTags, t: BtfType, name: string, what: string): string {
  if (t.kind !== 'ENUM' && t.kind !== 'ENUM64') throw new BtfTsError(`BTF type ${t.id} (${t.kind}) is not an enum`);
  const head = doc(`${what}: size ${t.size}${t.signed ? ', signed' : ''}`, tags, t.id);
  const scope = new ScopeNames();
  if (t.kind === 'ENUM') {
    const body = t.values.map((v) => `  ${propertyKey(scope.take(v.name))} = ${v.value},`);
    return `${head}\nexport declare const enum ${name} {${body.length ? `\n${body.join('\n')}\n` : ''}}`;
  }
  // const enums cannot hold bigints: a const object of bigint literals, and their union as the type.
  const members = t.values.map((v) => `  readonly ${propertyKey(scope.take(v.name))}: ${v.value}n;`);
  const union = [...new Set(t.values.map((v) => `${v.value}n`))].join(' | ') || 'bigint';
  return `${head}\nexport declare const ${name}: {${members.length ? `\n${members.join('\n')}\n` : ''}};\nexport type ${name} = ${union};`;
}
