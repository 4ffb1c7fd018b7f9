// Legacy map definitions: a 'maps' section of `struct bpf_map_def` records
// (u32 type, key_size, value_size, max_entries, map_flags), one per symbol,
// as libbpf before 1.0 read them. Each definition is section size / number of
// map symbols bytes; bytes past the five fields (iproute2's id, pinning, ...)
// must be zero, as old libbpf required.
//
// @example
// // struct bpf_map_def SEC("maps") counts = { .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 1 };
// // → { name: 'counts', type: 2, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0, pinning: 'none', ... }
import { STT, sectionBytes, type ElfRel, type RelSection } from './elf-rel.js';
import { ObjectParseError } from './errors.js';
import type { PlacedMap } from './maps.js';

const FIELDS = 5;

/** Decode the legacy 'maps' section `sec`, maps in offset order. */
export function parseLegacyMaps(elf: ElfRel, sec: RelSection): PlacedMap[] {
  const syms = elf.symbols
    .filter((s) => s.shndx === sec.index && s.type !== STT.SECTION && s.name !== '')
    .sort((a, b) => a.value - b.value);
  if (syms.length === 0) {
    if (sec.size === 0) return [];
    throw new ObjectParseError('legacy map section has no map symbols', sec.name, 0);
  }
  if (sec.size % syms.length !== 0) {
    throw new ObjectParseError(`${sec.size} bytes do not divide into ${syms.length} equal map definitions`, sec.name, 0);
  }
  const defSize = sec.size / syms.length;
  if (defSize < 4 * FIELDS) throw new ObjectParseError(`map definitions of ${defSize} bytes are shorter than struct bpf_map_def (20)`, sec.name, 0);
  const bytes = sectionBytes(elf, sec);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return syms.map((sym) => {
    const at = sym.value;
    if (at % 4 !== 0 || at > sec.size - defSize) throw new ObjectParseError(`map '${sym.name}' at ${at} is not a whole definition`, sec.name, 0);
    for (let o = at + 4 * FIELDS; o < at + defSize; o++) {
      if (bytes[o] !== 0) throw new ObjectParseError(`map '${sym.name}' has unrecognized non-zero options after struct bpf_map_def`, sec.name, o);
    }
    const f = (i: number): number => view.getUint32(at + 4 * i, elf.littleEndian);
    if (f(0) === 0) throw new ObjectParseError(`map '${sym.name}': map type is not specified`, sec.name, at);
    return {
      spec: { name: sym.name, type: f(0), keySize: f(1), valueSize: f(2), maxEntries: f(3), flags: f(4), pinning: 'none', btfKeyTypeId: 0, btfValueTypeId: 0 },
      section: sec.index, offset: at, size: defSize,
    };
  });
}
