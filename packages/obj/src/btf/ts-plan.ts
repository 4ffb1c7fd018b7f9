// The BTF → TypeScript printer's plan: which type ids declare something and
// under what unique name, which print as another type's name (a typedef that
// only repeats its struct's name, a forward declaration of a struct defined
// elsewhere, an anonymous struct named by its typedef), and which types the
// chosen roots need (closure).
import type { BtfReader } from './reader.js';
import { BtfTsError, escapeIdentifier, NameAllocator } from './ts-names.js';
import { floatName, intName, PRELUDE_NAMES, PRELUDE_SYMBOLS } from './ts-prelude.js';

/** How much of a type the output needs: its name only (OPAQUE) or its members too (FULL). */
export const NEED_OPAQUE = 1;
export const NEED_FULL = 2;

export interface TsPlan {
  /** The TypeScript name each id prints as; undefined prints structurally (pointers, arrays, anonymous types). */
  readonly names: (string | undefined)[];
  /** 1 for ids that emit a declaration. */
  readonly declares: Uint8Array;
  /** For ids that print as another id's name: that id (the closure follows it); 0 otherwise. */
  readonly redirect: Int32Array;
  /** typedef id → the anonymous struct/union/enum it names (printed as that typedef's interface or enum). */
  readonly adopted: ReadonlyMap<number, number>;
}

/** Follow typedefs and modifiers to the underlying id (0: void); a loop is a BtfTsError. */
export function skipModifiers(btf: BtfReader, id: number): number {
  for (let hops = 0; id !== 0; hops++) {
    const t = btf.type(id);
    if (t.kind !== 'TYPEDEF' && t.kind !== 'CONST' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG') return id;
    if (hops > 256) throw new BtfTsError(`BTF type ${id} (${t.kind}): typedef/modifier chain loops`);
    id = t.type;
  }
  return 0;
}

/** The prelude name a chain of typedefs/modifiers ends in (an INT or FLOAT), or undefined. */
export function scalarName(btf: BtfReader, id: number): string | undefined {
  const r = skipModifiers(btf, id);
  if (r === 0) return undefined;
  const t = btf.type(r);
  if (t.kind === 'INT') return intName(t.size, t.signed, t.bool);
  if (t.kind === 'FLOAT') return floatName(t.size);
  return undefined;
}

const isAnonTarget = (kind: string): boolean => kind === 'STRUCT' || kind === 'UNION' || kind === 'ENUM' || kind === 'ENUM64';

/**
 * Name every declarable type of `btf`, in id order, so names do not depend on
 * which roots are printed. `values` are the FUNC/VAR ids to declare: they live
 * in the value namespace, where only enums can clash with them.
 */
export function planNames(btf: BtfReader, values: ReadonlySet<number>): TsPlan {
  const n = btf.lastId + 1;
  const names: (string | undefined)[] = new Array<string | undefined>(n);
  const declares = new Uint8Array(n);
  const redirect = new Int32Array(n);
  const adopted = new Map<number, number>();
  const adopter = new Map<number, number>();
  const firstComposite = new Map<string, number>();

  // Pass 1: the struct each forward declaration resolves to; which typedef names each anonymous type.
  for (let id = 1; id < n; id++) {
    const kind = btf.kind(id);
    if (kind === 'STRUCT' || kind === 'UNION') {
      const name = btf.name(id);
      const key = `${kind}:${name}`;
      if (name !== '' && !firstComposite.has(key)) firstComposite.set(key, id);
    } else if (kind === 'TYPEDEF') {
      const target = btf.typeOf(id, 'TYPEDEF').type;
      if (target !== 0 && btf.name(target) === '' && isAnonTarget(btf.kind(target)) && !adopter.has(target)) {
        adopted.set(id, target);
        adopter.set(target, id);
      }
    }
  }

  // Pass 2: allocate names in id order.
  const types = new NameAllocator([...PRELUDE_NAMES, ...PRELUDE_SYMBOLS]);
  const enumNames: string[] = [];
  const declare = (id: number, raw: string): string => {
    const name = types.allocate(raw);
    names[id] = name;
    declares[id] = 1;
    return name;
  };
  for (let id = 1; id < n; id++) {
    const kind = btf.kind(id);
    switch (kind) {
      case 'STRUCT': case 'UNION': {
        const name = btf.name(id);
        if (name !== '') declare(id, name);
        else if (adopter.has(id)) redirect[id] = adopter.get(id)!;
        break;
      }
      case 'ENUM': case 'ENUM64': {
        const name = btf.name(id);
        if (name !== '') enumNames.push(declare(id, name));
        else if (adopter.has(id)) redirect[id] = adopter.get(id)!;
        else enumNames.push(declare(id, anonEnumName(btf, id)));
        break;
      }
      case 'TYPEDEF': {
        const t = btf.typeOf(id, 'TYPEDEF');
        const anon = adopted.get(id);
        if (anon !== undefined) {
          const name = declare(id, t.name);
          if (btf.kind(anon) === 'ENUM' || btf.kind(anon) === 'ENUM64') enumNames.push(name);
        } else if (scalarName(btf, t.type) === t.name) {
          // `typedef __u32 u32`: the prelude already declares exactly this.
          names[id] = t.name;
        } else if (t.type !== 0 && btf.name(t.type) === t.name && ['STRUCT', 'UNION', 'ENUM', 'ENUM64', 'FWD'].includes(btf.kind(t.type))) {
          // `typedef struct foo foo`: print as the struct.
          redirect[id] = t.type;
        } else {
          declare(id, t.name);
        }
        break;
      }
      case 'FWD': {
        const t = btf.typeOf(id, 'FWD');
        const def = firstComposite.get(`${t.fwdKind === 'union' ? 'UNION' : 'STRUCT'}:${t.name}`);
        if (def !== undefined) redirect[id] = def;
        else declare(id, t.name);
        break;
      }
      case 'DATASEC':
        declare(id, btf.name(id));
        break;
      default:
        break;
    }
  }

  // Functions and variables: the value namespace, shared only with enums.
  const valueNames = new NameAllocator([...PRELUDE_SYMBOLS, ...enumNames]);
  for (const id of [...values].sort((a, b) => a - b)) {
    names[id] = valueNames.allocate(btf.name(id));
    declares[id] = 1;
  }

  // Ids that print as another id's name take that name (chains: typedef → fwd → struct).
  for (let id = 1; id < n; id++) {
    if (redirect[id] === 0 || names[id] !== undefined) continue;
    let to = redirect[id]!;
    for (let hops = 0; names[to] === undefined && redirect[to] !== 0 && hops < 8; hops++) to = redirect[to]!;
    names[id] = names[to];
  }
  return { names, declares, redirect, adopted };
}

/** `__anon_enum_FIRST` after the first enumerator (C enumerators are global, so this is stable), else the id. */
function anonEnumName(btf: BtfReader, id: number): string {
  const t = btf.type(id);
  const first = t.kind === 'ENUM' || t.kind === 'ENUM64' ? t.values[0]?.name : undefined;
  return `__anon_enum_${first ? escapeIdentifier(first).replace(/^_+/, '') : id}`;
}

/**
 * The types `roots` need, as NEED_FULL / NEED_OPAQUE per id. With
 * `opaquePointees`, a named struct reached only through pointers is needed by
 * name only (like bpftool's forward declarations); otherwise in full.
 */
export function planClosure(btf: BtfReader, plan: TsPlan, roots: readonly number[], opaquePointees: boolean): Uint8Array {
  const need = new Uint8Array(btf.lastId + 1);
  const ptrNeed = opaquePointees ? NEED_OPAQUE : NEED_FULL;
  const work: number[] = [];
  const push = (id: number, level: number): void => {
    if (id !== 0 && need[id]! < level) {
      need[id] = level;
      work.push(id, level);
    }
  };
  for (const r of roots) push(r, NEED_FULL);
  while (work.length) {
    const level = work.pop()!;
    const id = work.pop()!;
    if (need[id]! > level) continue; // a stronger entry for this id is queued
    if (plan.redirect[id]) push(plan.redirect[id]!, level);
    const t = btf.type(id);
    switch (t.kind) {
      case 'STRUCT': case 'UNION':
        // Anonymous ones print inline, always with their members.
        if (plan.redirect[id]) break;
        if (level === NEED_FULL || plan.names[id] === undefined) for (const m of t.members) push(m.type, NEED_FULL);
        break;
      case 'TYPEDEF': {
        const anon = plan.adopted.get(id);
        if (anon === undefined) push(t.type, level);
        else if (level === NEED_FULL) {
          const body = btf.type(anon);
          if (body.kind === 'STRUCT' || body.kind === 'UNION') for (const m of body.members) push(m.type, NEED_FULL);
        }
        break;
      }
      case 'PTR':
        push(t.type, ptrNeed);
        break;
      case 'ARRAY':
        push(t.elemType, level);
        break;
      case 'CONST': case 'VOLATILE': case 'RESTRICT': case 'TYPE_TAG': case 'FUNC':
        push(t.type, level);
        break;
      case 'FUNC_PROTO':
        push(t.returnType, ptrNeed);
        for (const p of t.params) push(p.type, ptrNeed);
        break;
      case 'VAR':
        push(t.type, NEED_FULL);
        break;
      case 'DATASEC':
        for (const v of t.vars) push(v.type, NEED_FULL);
        break;
      default:
        break;
    }
  }
  return need;
}
