// `lockne-bpf inspect <obj>`: what an eBPF object holds, without loading it:
// programs (section, type, instruction count), maps, global variables,
// externs, and its BTF types as TypeScript declarations. Pure parsing: no
// root, no kernel.
//
// @example
// lockne-bpf inspect counter.bpf.o
// lockne-bpf inspect counter.bpf.o --types event,counts --json
import type { Command } from 'commander';
import { BtfReader, btfToTypeScript, fixupBtf, parseObject, type MapSpec, type ObjectSpec } from '@lockne/obj';
import { AttachType, MapType, ProgType } from '../../sys/consts.js';
import { btfSectionsFor } from '../../object/object-btf.js';
import { readInput, toJson } from '../io.js';
import { columns, listArg, lowerName } from './object-file.js';

export interface InspectJson {
  file: string;
  license: string;
  kernelVersion: number;
  programs: {
    name: string; section: string; kind: string; progType: string; expectedAttachType: string | null;
    insns: number; autoload: boolean; relocations: number; coreRelocations: number;
  }[];
  maps: {
    name: string; type: string; keySize: number; valueSize: number; maxEntries: number; flags: number;
    pinning: MapSpec['pinning']; btfKeyTypeId: number; btfValueTypeId: number; section: string | null; inner: string | null;
  }[];
  globals: { section: string; name: string; offset: number; size: number; readOnly: boolean }[];
  externs: { name: string; kind: string; weak: boolean; size: number | null; offset: number | null }[];
  /**
   * The object's BTF as TypeScript declarations (null without .BTF or with
   * --no-types), after libbpf's fix-up: datasec sizes and variable offsets
   * filled in from the ELF file, as the loader hands it to the kernel.
   */
  typescript: string | null;
}

export interface InspectOptions {
  /** Root type names; false: print no types. */
  types?: string | false;
  json?: boolean;
}

/** What `inspect` reports about `file`. */
export function inspectObject(file: string, opts: InspectOptions = {}): InspectJson {
  const bytes = new Uint8Array(readInput(file));
  const spec = parseObject(bytes);
  return {
    file,
    license: spec.license,
    kernelVersion: spec.kernelVersion,
    programs: spec.programs.map((p) => ({
      name: p.name,
      section: p.def.section,
      kind: p.def.kind,
      progType: lowerName(ProgType, p.def.progType),
      expectedAttachType: p.def.expectedAttachType === undefined ? null : lowerName(AttachType, p.def.expectedAttachType),
      insns: p.instructions.length,
      autoload: p.autoload !== false,
      relocations: p.relocations.length,
      coreRelocations: p.coreRelos.length,
    })),
    maps: spec.maps.map((m) => ({
      name: m.name,
      type: lowerName(MapType, m.type),
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
      flags: m.flags,
      pinning: m.pinning,
      btfKeyTypeId: m.btfKeyTypeId,
      btfValueTypeId: m.btfValueTypeId,
      section: m.data?.section ?? null,
      inner: m.inner ? lowerName(MapType, m.inner.type) : null,
    })),
    globals: spec.maps.flatMap((m) => (m.data ? m.data.symbols.map((s) => ({ section: m.data!.section, name: s.name, offset: s.offset, size: s.size, readOnly: m.data!.readOnly })) : [])),
    externs: spec.externs.map((e) => ({ name: e.name, kind: e.kind, weak: e.weak, size: e.size ?? null, offset: e.offset ?? null })),
    typescript: objectTypeScript(spec, opts.types),
  };
}

/** The object's fixed-up BTF as TypeScript, importing the scalar types from @lockne/kernel (the output stays short). */
function objectTypeScript(spec: ObjectSpec, types: string | false | undefined): string | null {
  if (types === false || !spec.btf) return null;
  const roots = types === undefined ? undefined : listArg(types);
  const fixed = fixupBtf(spec.btf, btfSectionsFor(spec));
  return btfToTypeScript(BtfReader.parse(fixed), { prelude: { importFrom: '@lockne/kernel' }, ...(roots ? { types: roots } : {}) });
}

function formatInspect(r: InspectJson): string {
  const out = [`${r.file}: license ${r.license ? `'${r.license}'` : '(none)'}${r.kernelVersion ? `, kernel version 0x${r.kernelVersion.toString(16)}` : ''}`];
  out.push(`programs (${r.programs.length}):`);
  if (r.programs.length) {
    out.push(columns(r.programs.map((p) => [
      p.name, `section ${p.section}`, `type ${p.progType}`, p.expectedAttachType ? `attach ${p.expectedAttachType}` : '',
      `${p.insns} insns${p.autoload ? '' : '  (not autoloaded)'}`,
    ])));
  }
  out.push(`maps (${r.maps.length}):`);
  if (r.maps.length) {
    out.push(columns(r.maps.map((m) => [
      m.name, m.type, `key ${m.keySize}B`, `value ${m.valueSize}B`, `max_entries ${m.maxEntries}`, `flags 0x${m.flags.toString(16)}`,
      `${m.pinning === 'byName' ? 'pinned by name' : ''}${m.inner ? ` inner ${m.inner}` : ''}`.trim(),
    ])));
  }
  out.push(`globals (${r.globals.length}):`);
  if (r.globals.length) out.push(columns(r.globals.map((g) => [g.section, g.name, `offset ${g.offset}`, `size ${g.size}${g.readOnly ? '  (read-only)' : ''}`])));
  out.push(`externs (${r.externs.length}):`);
  if (r.externs.length) {
    out.push(columns(r.externs.map((e) => [
      e.name, e.kind, `${e.size !== null ? `size ${e.size}` : ''}${e.offset !== null ? ` offset ${e.offset}` : ''}${e.weak ? ' weak' : ''}`.trim(),
    ])));
  }
  if (r.typescript !== null) out.push('types (TypeScript):', r.typescript.trimEnd());
  return out.join('\n');
}

export function registerInspect(cli: Command): void {
  cli.command('inspect')
    .description('show the programs, maps, globals, externs and BTF types (as TypeScript) of an eBPF object, without loading it')
    .argument('<object>', "an eBPF ELF object (clang -O2 -g -target bpf), or '-' for stdin")
    .option('--types <names>', 'print only these BTF types (comma-separated) and what they use')
    .option('--no-types', 'print no BTF types')
    .option('--json', 'print one JSON object')
    .action((file: string, opts: InspectOptions) => {
      const r = inspectObject(file, opts);
      process.stdout.write(`${opts.json ? toJson(r) : formatInspect(r)}\n`);
    });
}
