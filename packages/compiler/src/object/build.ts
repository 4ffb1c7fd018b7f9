// A compiled module → an eBPF ELF object shaped as clang emits it for libbpf:
// each program in its libbpf section with a FUNC (func_info) and TS line_info
// (file, line, column, source text), maps as BTF-defined maps in `.maps` with
// key/value BTF from the TS types, one R_BPF_64_64 relocation per map load,
// and a `license` section. Loads with BpfObject.load and bpftool/libbpf.
//
// @example
// const m = compileToInstructions('count.bpf.ts');
// fs.writeFileSync('count.bpf.o', buildObject(m, { sourceFile: 'count.bpf.ts' }));
import { ObjectWriter, type LineInfoInput } from '@lockne/obj';
import type { CompiledFunction, CompiledModule } from '../compile.js';
import type { MapRef } from '../ir/ir.js';
import { CompilerBtf } from './btf-types.js';
import { moreMapDef, type MapDefBody } from './maps-more.js';

/** BPF_MAP_TYPE_* of each @lockne/kernel map class this version compiles. */
const MAP_TYPES: Record<string, number> = { HashMap: 1, ArrayMap: 2, PerCpuHashMap: 5, PerCpuArrayMap: 6, LruHashMap: 9, LruPerCpuHashMap: 10, ProgramArray: 3, RingBuf: 27, LpmTrie: 11, SkStorage: 24, TaskStorage: 29 };
/** map_flags a class always needs: LPM_TRIE is refused without BPF_F_NO_PREALLOC (1). */
const MAP_FLAGS: Record<string, number> = { LpmTrie: 1 };

export interface BuildObjectOptions {
  /** Default: the module's `license(...)` declaration, else "GPL". */
  license?: string;
  /** STT_FILE symbol name (the TS source file). */
  sourceFile?: string;
}

/** Thrown for a module the object format cannot hold (a compiler bug, not a user error). */
export class ObjectBuildError extends Error {
  override name = 'ObjectBuildError';
}

function mapType(m: MapRef): number {
  const t = MAP_TYPES[m.className ?? (m.kind === 'array' ? 'ArrayMap' : m.kind === 'ringbuf' ? 'RingBuf' : 'HashMap')];
  if (t === undefined) throw new ObjectBuildError(`map '${m.name}': class '${m.className}' has no ELF map type in this version`);
  return t;
}

/** line_info for one program: the kernel wants a record at instruction 0 and none on an LD_IMM64's second slot. */
function lineInfo(p: CompiledFunction): LineInfoInput[] {
  const out: LineInfoInput[] = p.lines.map((l) => ({ insn: l.insnOff, file: l.pos.file, line: l.pos.line, column: l.pos.column, text: l.pos.text }));
  const first = out[0];
  if (first && first.insn !== 0) out.unshift({ ...first, insn: 0 });
  return out;
}

/** Build the ELF object of `m` (its compiled programs and the maps they declare). */
export function buildObject(m: CompiledModule, opts: BuildObjectOptions = {}): Uint8Array {
  const license = opts.license ?? m.license ?? 'GPL';
  const w = new ObjectWriter({ license, ...(opts.sourceFile ? { sourceFile: opts.sourceFile } : {}) });
  const types = new CompilerBtf(w.btf);
  const mapDef = (map: MapRef): MapDefBody => {
    // Queue/stack/bloom, redirect, socket, cgroup, stack-trace maps and maps of maps.
    const more = moreMapDef(map, types, mapDef);
    if (more) return more;
    // A ring buffer has no key or value (like clang's `__uint(type, BPF_MAP_TYPE_RINGBUF)` with max_entries only).
    // A ProgramArray takes sizes, not BTF types (the kernel refuses BTF key/value on fd arrays).
    const kv = map.kind === 'ringbuf' ? {} : map.kind === 'progArray' ? { keySize: 4, valueSize: 4 }
      : { keyType: types.layout(map.key), valueType: types.layout(map.value) };
    const flags = (MAP_FLAGS[map.className ?? ''] ?? 0) | (map.flags ?? 0);
    return { type: mapType(map), ...kv, maxEntries: map.maxEntries, ...(flags ? { flags } : {}) };
  };
  for (const map of m.maps) w.addMap({ name: map.name, ...mapDef(map) });
  // Globals as VARs of their DATASEC; program loads of them are LD_IMM64 relocations naming the variable.
  for (const g of m.globals ?? []) {
    w.addGlobal({ section: g.section, name: g.name, typeId: types.layout(g.layout), ...(g.section === '.bss' ? { size: g.bytes.byteLength } : { bytes: g.bytes }) });
  }
  const relocations = (f: CompiledFunction): Array<{ insn: number; symbol: string }> => [
    ...f.mapRelocs.map((r) => ({ insn: r.insnOff, symbol: r.map })),
    ...f.funcRelocs.map((r) => ({ insn: r.insnOff, symbol: r.func })),
  ];
  // CO-RE: the local kernel struct (declared members only) and the relocated instruction.
  const coreRelos = (f: CompiledFunction): Array<{ insn: number; typeId: number; access: string; kind: number }> =>
    f.coreRelocs.map((r) => ({ insn: r.insnOff, typeId: types.kernelStruct(r.relo.struct), access: r.relo.access, kind: r.relo.kind }));
  for (const p of m.programs) {
    w.addProgram({
      name: p.name,
      section: p.section,
      instructions: p.instructions,
      funcInfo: [{ insn: 0, typeId: types.programFunc(p.name, p.progType) }],
      lineInfo: lineInfo(p),
      relocations: relocations(p),
      coreRelos: coreRelos(p),
    });
    // bpf.loop bodies: static functions in .text (`long body(u32 index, void *ctx)`), linked in by the loader.
    for (const s of p.subprograms) {
      w.addSubprogram({
        name: s.name,
        instructions: s.instructions,
        funcInfo: [{ insn: 0, typeId: types.callbackFunc(s.name) }],
        lineInfo: lineInfo(s),
        relocations: relocations(s),
        coreRelos: coreRelos(s),
      });
    }
  }
  return w.build();
}
