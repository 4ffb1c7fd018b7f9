// The object's BTF, fixed up as libbpf does before BPF_BTF_LOAD (DATASEC
// sizes and variable offsets from the ELF sections, extern VARs/FUNCs of
// .kconfig/.ksyms made acceptable, hidden globals made static) and loaded. An
// object without BTF loads without it (noted). BTF the kernel refuses is, as
// in libbpf ("BTF is optional, ignoring"), loaded without: the BtfLoadError
// with the kernel's BTF log is kept in ctx.btfError and noted; with
// opts.requireBtf it is thrown instead.
import { ElfFile, prepareBtfForKernel, BtfFixupError, type BtfSectionInfo } from '@lockne/obj';
import { Btf, BtfLoadError } from '../btf/btf.js';
import { ObjectLoadError } from './errors.js';
import type { LoadContext } from './options.js';
import type { Undo } from './cleanup.js';

const STT_OBJECT = 1;
const STT_FUNC = 2;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const STV_INTERNAL = 1;
const STV_HIDDEN = 2;
const SYM_SIZE = 24;

interface SectionsInput {
  sections: Map<string, BtfSectionInfo>;
  staticFuncs: string[];
}

/** Section sizes and symbol offsets from the ELF file (st_other read for visibility). */
export function elfSections(bytes: Uint8Array): SectionsInput {
  const elf = ElfFile.parse(bytes);
  const sections = new Map<string, { size: number; symbols: Map<string, number>; hidden: Set<string> }>();
  for (const s of elf.sections) if (s.index !== 0 && s.name) sections.set(s.name, { size: s.size, symbols: new Map(), hidden: new Set() });
  const symtab = elf.sections.find((s) => s.type === 2);
  const staticFuncs: string[] = [];
  if (symtab) {
    const syms = elf.symbols().filter((s) => s.table === '.symtab');
    syms.forEach((sym, i) => {
      const sec = elf.sections[sym.shndx];
      if (!sec || sym.shndx === 0 || sym.shndx >= 0xff00) return;
      if (sym.bind !== STB_GLOBAL && sym.bind !== STB_WEAK) return;
      const vis = (bytes[symtab.offset + i * SYM_SIZE + 5] ?? 0) & 3;
      const hidden = vis === STV_HIDDEN || vis === STV_INTERNAL;
      if (sym.type === STT_OBJECT) {
        const info = sections.get(sec.name);
        info?.symbols.set(sym.name, sym.value);
        if (hidden) info?.hidden.add(sym.name);
      } else if (sym.type === STT_FUNC && hidden) {
        staticFuncs.push(sym.name);
      }
    });
  }
  return { sections, staticFuncs };
}

/** Section info derived from the spec alone (global data maps), for specs built without an ELF file. */
function specSections(ctx: LoadContext): SectionsInput {
  const sections = new Map<string, BtfSectionInfo>();
  for (const m of ctx.spec.maps) {
    if (!m.data || m.data.section === '.kconfig') continue;
    sections.set(m.data.section, { size: m.data.bytes.byteLength, symbols: new Map(m.data.symbols.map((s) => [s.name, s.offset])) });
  }
  return { sections, staticFuncs: [] };
}

/** Fix up and load the object's BTF into ctx.btf (tracked by `undo`). */
export function loadObjectBtf(ctx: LoadContext, undo: Undo): void {
  const raw = ctx.spec.btf;
  if (!raw) {
    ctx.notes.push('the object has no BTF: maps are created without BTF types, programs load without func/line info');
    return;
  }
  const input = specSections(ctx);
  if (ctx.elf) {
    const fromElf = elfSections(ctx.elf);
    for (const [k, v] of fromElf.sections) input.sections.set(k, v);
    input.staticFuncs.push(...fromElf.staticFuncs);
  }
  const kconfigOffsets = new Map<string, number>();
  for (const e of ctx.spec.externs) if (e.kind === 'kconfig' && e.offset !== undefined) kconfigOffsets.set(e.name, e.offset);
  let fixed: Uint8Array;
  try {
    fixed = prepareBtfForKernel(raw, { sections: input.sections, kconfigOffsets: kconfigOffsets.size ? kconfigOffsets : undefined, staticFuncs: input.staticFuncs });
  } catch (e) {
    if (e instanceof BtfFixupError) throw new ObjectLoadError('object BTF', e.message, e);
    throw e;
  }
  try {
    ctx.btf = undo.track(Btf.load(fixed, { logLevel: ctx.opts.logLevel ? 1 : 0 }));
  } catch (e) {
    if (!(e instanceof BtfLoadError) || ctx.opts.requireBtf) throw e;
    ctx.btfError = e;
    const last = e.log.trimEnd().split('\n').pop() ?? '';
    ctx.notes.push(`the kernel refused the object's BTF (${e.code}${last ? `: ${last}` : ''}): loaded without it, as libbpf does (see btfError; requireBtf makes this an error)`);
  }
}
