// Userspace typing: the *.bpf.ts module that declares a program's maps also
// types the loaded object's handles. `typed(obj, mod)` pairs every exported map
// declaration with the object's map of that name, builds key/value codecs from
// the declaration's layouts (u32 → number, u64 → bigint, struct → object, array
// → array), checks them against the kernel's map (type, key/value sizes), and
// returns typed BpfMap handles and programs by export name.
//
// Why here and not in @lockne/kernel: @lockne/kernel is what *.bpf.ts files
// import and the compiler type-checks per compile; pulling @lockne/bpf (native
// addon, runtime types) into it would load the runtime in every *.bpf.ts
// type-check and in every Node import of the module's declarations. The
// compiler already sits above both packages (architecture: arrows point down).
//
// @example
// import * as conn from './conn.bpf.js';
// const obj = BpfObject.load(compile('conn.bpf.ts').object!);
// const t = typed(obj, conn);
// try {
//   t.programs.track.testRun({ data });
//   t.maps.conns.get(1n);   // { packets: 2n, bytes: 128n, lastLen: 64 } | undefined, typed as Conn
// } finally { t.close(); obj.close(); }
import {
  ArgumentError, BpfMap, bool as boolCodec, u8, u16, u32, u64, i8, i16, i32, i64,
  struct as structCodec, array as arrayCodec, perCpu, possibleCpuCount,
  type BpfObject, type Codec, type ObjectProgram,
} from '@lockne/bpf';
import {
  MapDecl, MapTypes, type TypeDesc, type StructDesc, type ArrayDesc, type IntDesc, type FixedArray, type ProgramDecl,
} from '@lockne/kernel';

/**
 * The plain JS type userspace reads and writes for a kernel-side type: width
 * brands dropped (u32 → number, u64 → bigint), FixedArray → array, structs field by field.
 */
export type Plain<T> =
  T extends bigint ? bigint
    : T extends number ? number
      : T extends boolean ? boolean
        : T extends FixedArray<infer E> ? Plain<E>[]
          : T extends object ? { [K in keyof T]: Plain<T[K]> }
            : T;

type PerCpuTypeName = 'PERCPU_HASH' | 'LRU_PERCPU_HASH' | 'PERCPU_ARRAY';

/** The typed handle of map declaration `D`: per-CPU maps read one value per possible CPU. */
export type MapHandle<D> = D extends MapDecl<infer K, infer V>
  ? D extends { readonly type: PerCpuTypeName } ? BpfMap<Plain<K>, Plain<V>[]> : BpfMap<Plain<K>, Plain<V>>
  : never;

type MapKeys<M> = { [K in keyof M]: M[K] extends MapDecl<infer _K, infer _V> ? K : never }[keyof M];
type ProgramKeys<M> = { [K in keyof M]: M[K] extends ProgramDecl<never> ? K : never }[keyof M];

/** Every exported map declaration of module `M` as its typed handle. */
export type TypedMaps<M> = { readonly [K in MapKeys<M>]: MapHandle<M[K]> };
/** Every exported program of module `M`, by export name. */
export type TypedPrograms<M> = { readonly [K in ProgramKeys<M>]: ObjectProgram };

/** What typed() returns. close() closes the map handles it opened (not the object). */
export interface TypedModule<M> {
  readonly maps: TypedMaps<M>;
  readonly programs: TypedPrograms<M>;
  close(): void;
}

/** A module declaration that does not match the loaded object; names the map or program. */
export class ModuleMismatchError extends ArgumentError {
  override name = 'ModuleMismatchError';
  /** The export (map or program) that does not match. */
  readonly exportName: string;

  constructor(exportName: string, reason: string) {
    super(`${exportName}: ${reason}`);
    this.exportName = exportName;
  }
}

const INT_CODECS: Record<string, Codec<number> | Codec<bigint>> = {
  u1: u8, u2: u16, u4: u32, u8: u64, s1: i8, s2: i16, s4: i32, s8: i64,
};

/**
 * The codec of a @lockne/kernel layout descriptor. be16/be32 read as the raw
 * host-order bits, i.e. the same number the program sees, so `ntohs(v)` gives
 * the port in Node exactly as in the kernel.
 */
export function codecOfLayout(d: TypeDesc<unknown>): Codec<unknown> {
  switch (d.kind) {
    case 'bool':
      return boolCodec as Codec<unknown>;
    case 'int': {
      const c = INT_CODECS[`${(d as IntDesc<unknown>).signed ? 's' : 'u'}${d.size}`];
      if (!c) throw new ArgumentError(`layout ${d.name}: no integer codec of ${d.size} bytes`);
      return c as Codec<unknown>;
    }
    case 'struct': {
      const s = d as StructDesc<unknown>;
      const fields: Record<string, Codec<unknown>> = {};
      for (const f of s.fields) fields[f.name] = codecOfLayout(f.type);
      const c = structCodec(fields, { name: s.name.replace(/^struct /, '') });
      // Both sides use natural alignment; a difference would be a bug in one of them.
      if (c.size !== s.size) throw new ArgumentError(`layout ${s.name}: codec is ${c.size} bytes, layout says ${s.size}`);
      return c as Codec<unknown>;
    }
    case 'array': {
      const a = d as ArrayDesc<unknown>;
      return arrayCodec(codecOfLayout(a.element), a.length) as Codec<unknown>;
    }
    default:
      throw new ArgumentError(`layout ${String(d.name)}: unknown kind '${String(d.kind)}'`);
  }
}

function isProgramDecl(v: unknown): v is ProgramDecl<never> {
  if (v === null || typeof v !== 'object') return false;
  const o = v as Record<string, unknown>;
  return typeof o.kind === 'string' && typeof o.section === 'string' && typeof o.progType === 'string' && typeof o.fn === 'function';
}

/** Open a typed handle on the object's map `name` for declaration `d`. */
function openMap(obj: BpfObject, exportName: string, d: MapDecl<unknown, unknown>, cpus: () => number): BpfMap<unknown, unknown> {
  const name = d.name ?? exportName;
  const what = `map '${name}'`;
  const m = obj.maps.get(name);
  if (!m) throw new ModuleMismatchError(what, `declared in the module but not in the object (object maps: ${[...obj.maps.keys()].join(', ') || 'none'})`);
  if (m.type !== d.mapType) {
    const kernel = Object.entries(MapTypes).find(([, n]) => n === m.type)?.[0] ?? String(m.type);
    throw new ModuleMismatchError(what, `declared ${d.type}, the object's map is ${kernel}`);
  }
  // Without a layout in the declaration, the object's BTF-derived codec stands in (same compiler, same types).
  let key = m.keyCodec as Codec<unknown>;
  if (d.key) {
    if (d.key.size !== m.keySize) throw new ModuleMismatchError(what, `key ${d.key.name} is ${d.key.size} bytes, the object's map key is ${m.keySize}`);
    key = codecOfLayout(d.key);
  }
  let value = m.valueCodec as Codec<unknown>;
  if (d.value) {
    if (d.value.size !== m.valueSize) throw new ModuleMismatchError(what, `value ${d.value.name} is ${d.value.size} bytes, the object's map value is ${m.valueSize}`);
    const elem = codecOfLayout(d.value);
    value = m.perCpu ? perCpu(elem, cpus()) as Codec<unknown> : elem;
  }
  // A handle of its own (by id): its lifetime is the TypedModule's, independent of obj.close().
  return BpfMap.fromId(m.id, { key, value });
}

/**
 * Typed handles on a loaded object from the *.bpf.ts module it was compiled
 * from. Every exported map declaration must exist in the object with the same
 * type and key/value sizes (ModuleMismatchError names the map otherwise);
 * every exported program must be in the object.
 * @example const t = typed(obj, await import('./counter.bpf.js')); t.maps.counts.get(1); // bigint | undefined
 */
export function typed<M extends object>(obj: BpfObject, mod: M): TypedModule<M> {
  const maps: Record<string, BpfMap<unknown, unknown>> = {};
  const programs: Record<string, ObjectProgram> = {};
  let cpuCount: number | undefined;
  const cpus = (): number => (cpuCount ??= possibleCpuCount());
  try {
    for (const [exportName, v] of Object.entries(mod)) {
      if (v instanceof MapDecl) {
        maps[exportName] = openMap(obj, exportName, v as MapDecl<unknown, unknown>, cpus);
      } else if (isProgramDecl(v)) {
        const p = obj.programs.get(exportName);
        if (!p) throw new ModuleMismatchError(`program '${exportName}'`, `declared in the module but not in the object (object programs: ${[...obj.programs.keys()].join(', ') || 'none'})`);
        if (p.def.section !== v.section) throw new ModuleMismatchError(`program '${exportName}'`, `declared in section '${v.section}', the object's is '${p.def.section}'`);
        programs[exportName] = p;
      }
    }
  } catch (e) {
    for (const m of Object.values(maps)) m.close();
    throw e;
  }
  return {
    maps: maps as TypedMaps<M>,
    programs: programs as TypedPrograms<M>,
    close() { for (const m of Object.values(maps)) m.close(); },
  };
}

export { logReader, logTemplates, decodeLogRecord, type LogLine, type LogTemplate, type LogArgKind } from './log-reader.js';
