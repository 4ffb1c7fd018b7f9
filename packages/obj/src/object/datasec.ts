// Where the variables of a BTF DATASEC really are. Clang leaves a DATASEC's
// size and its variables' offsets at 0; libbpf (btf_fixup_datasec) takes the
// offsets from the ELF symbols of the same name, and treats a global whose
// symbol has hidden or internal visibility as static. Variables come back in
// offset order, as libbpf sorts them.
import type { BtfLinkage, BtfReader } from '../btf/reader.js';
import { btfType } from './btf-util.js';
import { STB, STT, type ElfRel } from './elf-rel.js';
import { ObjectParseError } from './errors.js';

export interface SecVar {
  /** BTF id of the VAR. */
  readonly id: number;
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** Linkage after libbpf's fix-up: hidden/internal globals count as static. */
  readonly linkage: BtfLinkage;
  /** The VAR's type. */
  readonly type: number;
}

const STV_INTERNAL = 1;
const STV_HIDDEN = 2;

/** The variables of DATASEC `datasecId`, with offsets fixed up from the symbol table. */
export function datasecVars(elf: ElfRel, btf: BtfReader, datasecId: number): SecVar[] {
  const sec = btf.typeOf(datasecId, 'DATASEC');
  const fixOffsets = sec.size === 0;
  const out = sec.vars.map((vi, i): SecVar => {
    const t = btfType(btf, vi.type, `DATASEC '${sec.name}' variable #${i}`);
    if (t.kind !== 'VAR') throw new ObjectParseError(`DATASEC '${sec.name}' member #${i} is a ${t.kind}, not a VAR`, '.BTF', 0);
    const base = { id: t.id, name: t.name, size: vi.size, type: t.type };
    if (t.linkage !== 'global') return { ...base, offset: vi.offset, linkage: t.linkage };
    const sym = elf.symbols.find((s) => s.type === STT.OBJECT && (s.bind === STB.GLOBAL || s.bind === STB.WEAK) && s.name === t.name);
    if (!sym) throw new ObjectParseError(`no ELF symbol for variable '${t.name}' of DATASEC '${sec.name}'`, '.BTF', 0);
    const hidden = sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL;
    return { ...base, offset: fixOffsets ? sym.value : vi.offset, linkage: hidden ? 'static' : 'global' };
  });
  return out.sort((a, b) => a.offset - b.offset);
}
