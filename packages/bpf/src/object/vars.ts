// Global variables of an object (.data, .bss, .rodata, custom .data.* /
// .rodata.* sections, .kconfig): read and write them by name. A section's
// bytes are the image prepared before load (for the `rodata` option), the
// live mmap()ed value of its BPF_F_MMAPABLE array map (reads see what
// programs wrote, writes are seen by programs at once), or, for maps that are
// not mmapable, the map's element 0 read and written by syscalls.
//
// @example
// obj.globals.get('packets');          // 42n  (a u64 in .bss)
// obj.globals.set('threshold', 100);   // a u32 in .data
// obj.globals.section('.rodata').get('target_pid');
import type { BtfReader, MapSpec } from '@lockne/obj';
import { ArgumentError } from '../errors.js';
import { bytes as rawBytes, type Codec } from '../maps/codec.js';
import type { BtfCodecs } from './btf-codec.js';

/** One variable: where it is in its section and how its bytes read. */
export interface VarInfo {
  name: string;
  offset: number;
  size: number;
  codec: Codec<unknown>;
}

/** Where a section's bytes live. */
export interface SectionBacking {
  /** The whole section: a live view, or a fresh copy. */
  read(): Uint8Array;
  /** Write `bytes` at `offset`. */
  write(offset: number, bytes: Uint8Array): void;
}

/** Backing by a buffer (a pre-load image or an mmap()ed map value). */
export function bufferBacking(buf: Uint8Array): SectionBacking {
  return { read: () => buf, write: (off, b) => buf.set(b, off) };
}

/** The variables of one data section. */
export class SectionVars {
  readonly section: string;
  readonly readOnly: boolean;
  readonly #backing: SectionBacking;
  readonly #vars: Map<string, VarInfo>;

  constructor(section: string, backing: SectionBacking, vars: Map<string, VarInfo>, readOnly: boolean) {
    this.section = section;
    this.#backing = backing;
    this.#vars = vars;
    this.readOnly = readOnly;
  }

  /** The section's bytes: live for mmapable maps, a copy otherwise. */
  bytes(): Uint8Array {
    return this.#backing.read();
  }

  names(): string[] {
    return [...this.#vars.keys()];
  }

  has(name: string): boolean {
    return this.#vars.has(name);
  }

  info(name: string): VarInfo {
    const v = this.#vars.get(name);
    if (!v) throw new ArgumentError(`section '${this.section}' has no variable '${name}' (has ${this.names().join(', ') || 'none'})`);
    return v;
  }

  /** The variable's value, decoded with its BTF type (raw bytes without BTF). */
  get(name: string): unknown {
    const v = this.info(name);
    return v.codec.decode(this.#backing.read().subarray(v.offset, v.offset + v.size));
  }

  /** Write a variable; throws ArgumentError for read-only sections and bad values. */
  set(name: string, value: unknown): void {
    const v = this.info(name);
    if (this.readOnly) {
      throw new ArgumentError(`variable '${name}': section '${this.section}' is read-only after load (set .rodata values with the load option 'rodata')`);
    }
    const tmp = new Uint8Array(v.size);
    try {
      v.codec.encode(value, tmp);
    } catch (e) {
      if (e instanceof ArgumentError) throw new ArgumentError(`variable '${name}' in '${this.section}': ${e.message}`);
      throw e;
    }
    this.#backing.write(v.offset, tmp);
  }

  /** The variable's bytes (a live view for mmapable maps). */
  bytesOf(name: string): Uint8Array {
    const v = this.info(name);
    return this.#backing.read().subarray(v.offset, v.offset + v.size);
  }
}

/** Variables of several sections, looked up by name across them. */
export class GlobalVars {
  readonly #sections: Map<string, SectionVars>;

  constructor(sections: Map<string, SectionVars>) {
    this.#sections = sections;
  }

  /** Section names, e.g. ['.bss', '.data', '.rodata']. */
  sections(): string[] {
    return [...this.#sections.keys()];
  }

  section(name: string): SectionVars {
    const s = this.#sections.get(name);
    if (!s) throw new ArgumentError(`no global data section '${name}' (have ${this.sections().join(', ') || 'none'})`);
    return s;
  }

  /** Every variable name (with its section). */
  names(): { section: string; name: string }[] {
    return [...this.#sections.values()].flatMap((s) => s.names().map((name) => ({ section: s.section, name })));
  }

  /** The section holding variable `name`; ArgumentError when absent or ambiguous. */
  sectionOf(name: string): SectionVars {
    const hits = [...this.#sections.values()].filter((s) => s.has(name));
    if (hits.length === 1) return hits[0]!;
    if (hits.length === 0) {
      throw new ArgumentError(`no global variable '${name}' (have ${this.names().map((n) => n.name).join(', ') || 'none'})`);
    }
    throw new ArgumentError(`global variable '${name}' is in several sections (${hits.map((s) => s.section).join(', ')}): use section(name).get()`);
  }

  get(name: string): unknown {
    return this.sectionOf(name).get(name);
  }

  set(name: string, value: unknown): void {
    this.sectionOf(name).set(name, value);
  }
}

/**
 * The variables of data map `spec`: offsets and sizes from the object's
 * symbols, types from the BTF VAR of the same name (in the section's DATASEC
 * when there is one).
 */
export function sectionVarInfos(spec: MapSpec, btf: BtfReader | undefined, codecs: BtfCodecs | undefined, notes: string[]): Map<string, VarInfo> {
  const data = spec.data!;
  const types = btf ? datasecVarTypes(btf, data.section) : new Map<string, number>();
  const out = new Map<string, VarInfo>();
  for (const s of data.symbols) {
    let codec: Codec<unknown> | undefined;
    const typeId = types.get(s.name) ?? (btf ? globalVarType(btf, s.name) : undefined);
    if (codecs && typeId !== undefined) {
      try {
        const c = codecs.codec(typeId);
        if (c.size === s.size) codec = c;
        else notes.push(`variable '${s.name}' in '${data.section}': BTF type is ${c.size} bytes, symbol ${s.size}: read as bytes`);
      } catch (e) {
        notes.push(`variable '${s.name}' in '${data.section}': no codec from BTF (${(e as Error).message}): read as bytes`);
      }
    }
    out.set(s.name, { name: s.name, offset: s.offset, size: s.size, codec: codec ?? (rawBytes(s.size) as Codec<unknown>) });
  }
  return out;
}

function datasecVarTypes(btf: BtfReader, section: string): Map<string, number> {
  const out = new Map<string, number>();
  const sec = btf.find(section, 'DATASEC');
  if (!sec) return out;
  for (const v of sec.vars) {
    const t = btf.type(v.type);
    if (t.kind === 'VAR') out.set(t.name, t.type);
  }
  return out;
}

function globalVarType(btf: BtfReader, name: string): number | undefined {
  const v = btf.find(name, 'VAR');
  return v?.type;
}
