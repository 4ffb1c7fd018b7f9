// Externs: undefined global symbols (st_shndx = UND, NOTYPE, GLOBAL or WEAK)
// whose BTF says what they are, as libbpf's bpf_object__collect_externs:
//   - a VAR in DATASEC '.kconfig'  → 'kconfig' (`extern int LINUX_KERNEL_VERSION __kconfig;`)
//   - a VAR in DATASEC '.ksyms'    → 'ksym'    (`extern const void bpf_prog_active __ksym;`)
//   - a FUNC (extern) in '.ksyms'  → 'kfunc'   (`extern struct task_struct *bpf_task_acquire(...) __ksym;`)
// __weak makes the extern optional. Kconfig externs are laid out in a
// '.kconfig' map the way libbpf does it: sorted by alignment (descending),
// size (ascending), name, each at the next offset aligned for its type.
//
// btfTypeId (object BTF): kconfig → the variable's declared type; ksym → the
// declared type with modifiers/typedefs skipped (0 for a typeless `const void`
// ksym); kfunc → the FUNC itself.
import type { BtfReader } from '../btf/reader.js';
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, MAP_TYPE } from './bpf-enums.js';
import { alignOf, resolveSize, skipModsAndTypedefs } from './btf-util.js';
import { SHN_UNDEF, STB, STT, type ElfRel } from './elf-rel.js';
import { ObjectParseError } from './errors.js';
import type { ExternSpec, MapSpec } from './spec.js';

export interface Externs {
  /** In libbpf's order: kconfig (by alignment, size, name), then ksyms and kfuncs by name. */
  readonly list: ExternSpec[];
  /** Extern by its ELF symbol index (what relocations name). */
  readonly bySymbol: ReadonlyMap<number, ExternSpec>;
  /** The '.kconfig' map, when there is a kconfig extern. */
  readonly kconfigMap?: MapSpec;
}

interface Found { spec: ExternSpec; align: number }

/** Collect every extern of the object. Externs need BTF: without it any extern is an error. */
export function collectExterns(elf: ElfRel, btf: BtfReader | undefined): Externs {
  const found: Found[] = [];
  const bySymbol = new Map<number, ExternSpec>();
  const symtab = elf.sections[elf.symtabIndex]?.name ?? '.symtab';
  let sections: Map<number, string> | undefined;
  for (const sym of elf.symbols) {
    if (sym.shndx !== SHN_UNDEF || sym.type !== STT.NOTYPE || (sym.bind !== STB.GLOBAL && sym.bind !== STB.WEAK) || sym.name === '') continue;
    const at = sym.index * 24;
    if (!btf) throw new ObjectParseError(`extern '${sym.name}' needs BTF, and the object has no .BTF section`, symtab, at);
    sections ??= datasecIndex(btf);
    const f = describe(btf, sections, sym.name, sym.bind === STB.WEAK, symtab, at);
    if (found.some((x) => x.spec.name === f.spec.name)) {
      throw new ObjectParseError(`extern '${sym.name}' is declared twice`, symtab, at);
    }
    found.push(f);
    bySymbol.set(sym.index, f.spec);
  }
  const kconfig = found.filter((f) => f.spec.kind === 'kconfig')
    .sort((a, b) => b.align - a.align || a.spec.size! - b.spec.size! || cmp(a.spec.name, b.spec.name));
  const ksyms = found.filter((f) => f.spec.kind !== 'kconfig').sort((a, b) => cmp(a.spec.name, b.spec.name));
  let off = 0;
  for (const f of kconfig) {
    f.spec.offset = Math.ceil(off / f.align) * f.align;
    off = f.spec.offset + f.spec.size!;
  }
  const list = [...kconfig, ...ksyms].map((f) => f.spec);
  if (kconfig.length === 0 || !btf) return { list, bySymbol };
  const kconfigMap: MapSpec = {
    name: '.kconfig', type: MAP_TYPE.ARRAY, keySize: 4, valueSize: off, maxEntries: 1,
    // libbpf: read-only for programs; mmapable because its variables are (extern) globals.
    flags: BPF_F_RDONLY_PROG | BPF_F_MMAPABLE, pinning: 'none', btfKeyTypeId: 0,
    btfValueTypeId: btf.findId('.kconfig', 'DATASEC') ?? 0,
    data: {
      section: '.kconfig', bytes: new Uint8Array(off), readOnly: true,
      symbols: kconfig.map((f) => ({ name: f.spec.name, offset: f.spec.offset!, size: f.spec.size! })),
    },
  };
  return { list, bySymbol, kconfigMap };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function describe(btf: BtfReader, sections: ReadonlyMap<number, string>, name: string, weak: boolean, symtab: string, at: number): Found {
  const fail = (msg: string): ObjectParseError => new ObjectParseError(`extern '${name}': ${msg}`, symtab, at);
  // libbpf takes the first VAR or FUNC of that name; it must be an extern declaration.
  const id = btf.idsByName(name).find((i) => btf.kind(i) === 'VAR' || btf.kind(i) === 'FUNC');
  if (id === undefined) throw fail('no BTF VAR or FUNC describes it');
  const t = btf.type(id);
  if (t.kind !== 'VAR' && t.kind !== 'FUNC') throw fail('unreachable');
  if (t.linkage !== 'extern') throw fail(`its BTF ${t.kind} ${id} has ${t.linkage} linkage, not extern`);
  const sec = sections.get(id);
  if (sec === '.kconfig') {
    if (t.kind === 'FUNC') throw fail('functions cannot be __kconfig externs');
    const what = `kconfig extern '${name}'`;
    checkKconfigType(btf, t.type, what);
    return {
      spec: { name, kind: 'kconfig', weak, size: resolveSize(btf, t.type, what), offset: 0, btfTypeId: t.type },
      align: alignOf(btf, t.type, what),
    };
  }
  if (sec === '.ksyms') {
    if (t.kind === 'FUNC') return { spec: { name, kind: 'kfunc', weak, btfTypeId: id }, align: 1 };
    return { spec: { name, kind: 'ksym', weak, btfTypeId: skipModsAndTypedefs(btf, t.type) }, align: 1 };
  }
  throw fail(sec === undefined ? `BTF ${t.kind} ${id} is in no DATASEC` : `unsupported extern section '${sec}' (only .kconfig and .ksyms)`);
}

/** Type id → name of the first DATASEC listing it. */
function datasecIndex(btf: BtfReader): Map<number, string> {
  const out = new Map<number, string>();
  for (let i = 1; i <= btf.lastId; i++) {
    if (btf.kind(i) !== 'DATASEC') continue;
    const sec = btf.typeOf(i, 'DATASEC');
    for (const v of sec.vars) if (!out.has(v.type)) out.set(v.type, sec.name);
  }
  return out;
}

/** libbpf's find_kcfg_type: bool, char, 1/2/4/8-byte int, libbpf_tristate enum, or char array. */
function checkKconfigType(btf: BtfReader, typeId: number, what: string, inArray = false): void {
  const id = skipModsAndTypedefs(btf, typeId);
  const bad = (why: string): ObjectParseError => new ObjectParseError(`${what}: unsupported type (${why})`, '.BTF', 0);
  if (id === 0) throw bad('void');
  const t = btf.type(id);
  switch (t.kind) {
    case 'INT':
      if (inArray && (t.size !== 1 || t.bool)) throw bad('array of non-char');
      if (t.bool && t.size !== 1) throw bad(`${t.size}-byte bool`);
      if (t.size < 1 || t.size > 8 || (t.size & (t.size - 1)) !== 0) throw bad(`${t.size}-byte int`);
      return;
    case 'ENUM': case 'ENUM64':
      if (inArray) throw bad('array of enum');
      if (t.name !== 'libbpf_tristate' || (t.kind === 'ENUM' && t.size !== 4)) throw bad(`enum '${t.name}' is not libbpf_tristate`);
      return;
    case 'ARRAY':
      if (inArray || t.nelems === 0) throw bad('array must be a non-empty char array');
      checkKconfigType(btf, t.elemType, what, true);
      return;
    default:
      throw bad(t.kind);
  }
}
