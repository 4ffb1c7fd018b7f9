// The object's BTF, fixed up as libbpf does before BPF_BTF_LOAD (DATASEC
// sizes and variable offsets from the ELF sections, extern VARs/FUNCs of
// .kconfig/.ksyms made acceptable, hidden globals made static) and loaded. An
// object without BTF loads without it (noted). BTF the kernel refuses is, as
// in libbpf ("BTF is optional, ignoring"), loaded without: the BtfLoadError
// with the kernel's BTF log is kept in ctx.btfError and noted; with
// opts.requireBtf it is thrown instead.
import { prepareBtfForKernel, BtfFixupError, type BtfSectionInfo, type ObjectSpec } from '@lockne/obj';
import { Btf, BtfLoadError } from '../btf/btf.js';
import { ObjectLoadError } from './errors.js';
import type { LoadContext } from './options.js';
import type { Undo } from './cleanup.js';

interface SectionsInput {
  sections: Map<string, BtfSectionInfo>;
  staticFuncs: string[];
}

/**
 * Section sizes and global symbol offsets for the fix-up: from the parser's
 * ELF layout when the spec came from a file, else from the global data maps
 * (specs built by hand).
 */
export function btfSectionsFor(spec: ObjectSpec): SectionsInput {
  const sections = new Map<string, BtfSectionInfo>();
  for (const m of spec.maps) {
    if (!m.data || m.data.section === '.kconfig') continue;
    sections.set(m.data.section, { size: m.data.bytes.byteLength, symbols: new Map(m.data.symbols.map((s) => [s.name, s.offset])) });
  }
  if (!spec.btfLayout) return { sections, staticFuncs: [] };
  for (const sec of spec.btfLayout.sections) {
    sections.set(sec.name, {
      size: sec.size,
      symbols: new Map(sec.symbols.map((s) => [s.name, s.offset])),
      hidden: new Set(sec.symbols.filter((s) => s.hidden).map((s) => s.name)),
    });
  }
  return { sections, staticFuncs: [...spec.btfLayout.hiddenFuncs] };
}

/** Fix up and load the object's BTF into ctx.btf (tracked by `undo`). */
export function loadObjectBtf(ctx: LoadContext, undo: Undo): void {
  const raw = ctx.spec.btf;
  if (!raw) {
    ctx.notes.push('the object has no BTF: maps are created without BTF types, programs load without func/line info');
    return;
  }
  const input = btfSectionsFor(ctx.spec);
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
