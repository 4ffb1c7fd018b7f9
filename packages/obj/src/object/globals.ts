// Global variables: libbpf turns each .data, .data.*, .rodata, .rodata.* and
// .bss, .bss.* section into a one-element ARRAY map whose value is the whole
// section; programs reach a variable through an LD_IMM64 of that map's value
// plus the variable's offset (BPF_PSEUDO_MAP_VALUE).
//
// Flags follow libbpf 1.1 (the installed reference, and what the conformance
// test compares against): every global-data map is BPF_F_MMAPABLE, and .rodata*
// maps are also BPF_F_RDONLY_PROG. (libbpf >= 1.3 drops MMAPABLE when a
// section has no non-static, non-hidden variable.)
//
// @example
// // int counter = 7;  →  { name: '.data', type: ARRAY, keySize: 4, valueSize: 4, maxEntries: 1,
// //                         data: { section: '.data', bytes: [7,0,0,0], symbols: [{ name: 'counter', offset: 0, size: 4 }] } }
import type { BtfReader } from '../btf/reader.js';
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, MAP_TYPE } from './bpf-enums.js';
import { SHF_EXECINSTR, SHT, STT, sectionBytes, type ElfRel, type RelSection } from './elf-rel.js';
import { ObjectParseError } from './errors.js';
import type { MapSpec } from './spec.js';

export type DataKind = 'data' | 'rodata' | 'bss';

/** Which global-data kind section `sec` is, by libbpf's name and type rules, or undefined. */
export function dataKind(sec: RelSection): DataKind | undefined {
  const is = (base: string): boolean => sec.name === base || sec.name.startsWith(`${base}.`);
  if (sec.type === SHT.PROGBITS && (sec.flags & SHF_EXECINSTR) === 0) {
    if (is('.data')) return 'data';
    if (is('.rodata')) return 'rodata';
  }
  if (sec.type === SHT.NOBITS && is('.bss')) return 'bss';
  return undefined;
}

/** A global-data map and the ELF section it stands for. */
export interface DataMap {
  readonly section: number;
  readonly spec: MapSpec;
}

/** One map per non-empty global data section, in section order. */
export function globalDataMaps(elf: ElfRel, btf: BtfReader | undefined): DataMap[] {
  const out: DataMap[] = [];
  for (const sec of elf.sections) {
    const kind = dataKind(sec);
    if (!kind || sec.size === 0) continue;
    const symbols = elf.symbols
      .filter((s) => s.shndx === sec.index && s.type === STT.OBJECT && s.name !== '')
      .map((s) => {
        if (s.value > sec.size || s.size > sec.size - s.value) {
          const symtab = elf.sections[elf.symtabIndex]!.name;
          throw new ObjectParseError(`variable '${s.name}' (${s.value}+${s.size}) lies outside '${sec.name}' (${sec.size} bytes)`, symtab, s.index * 24 + 8);
        }
        return { name: s.name, offset: s.value, size: s.size };
      })
      .sort((a, b) => a.offset - b.offset || a.name.localeCompare(b.name));
    const btfId = btf?.findId(sec.name, 'DATASEC') ?? 0;
    const readOnly = kind === 'rodata';
    const flags = (readOnly ? BPF_F_RDONLY_PROG : 0) | BPF_F_MMAPABLE;
    out.push({
      section: sec.index,
      spec: {
        name: sec.name, type: MAP_TYPE.ARRAY, keySize: 4, valueSize: sec.size, maxEntries: 1, flags,
        pinning: 'none', btfKeyTypeId: 0, btfValueTypeId: btfId,
        data: { section: sec.name, bytes: sectionBytes(elf, sec).slice(), readOnly, symbols },
      },
    });
  }
  return out;
}
