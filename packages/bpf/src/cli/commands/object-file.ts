// Shared by the object commands (inspect, btf dump, load): reading a BTF
// file with errors that name it, the names of enum values, aligned columns.
import { BtfReader, ElfFile } from '@lockne/obj';
import { ArgumentError } from '../../errors.js';
import { enumName } from '../../sys/consts.js';
import { readInput } from '../io.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** Split BTF of a kernel module (/sys/kernel/btf/<module>) sits on top of vmlinux's. */
const KERNEL_BTF_DIR = '/sys/kernel/btf/';
const VMLINUX = `${KERNEL_BTF_DIR}vmlinux`;

/**
 * The BTF of `file`: a raw BTF blob (/sys/kernel/btf/vmlinux, a module's split
 * BTF on top of vmlinux, `bpftool btf dump ... format raw` input) or an ELF
 * object's .BTF section. `base` parses split BTF against another file's BTF.
 */
export function readBtf(file: string, base?: string): BtfReader {
  const bytes = new Uint8Array(readInput(file));
  const name = file === '-' ? 'stdin' : `'${file}'`;
  let blob = bytes;
  if (ELF_MAGIC.every((b, i) => bytes[i] === b)) {
    const elf = ElfFile.parse(bytes);
    const sec = elf.section('.BTF');
    if (!sec) throw new ArgumentError(`${name} is an ELF file without a .BTF section (build it with clang -g)`);
    blob = bytes.subarray(sec.offset, sec.offset + sec.size);
  } else if (!(bytes[0] === 0x9f && bytes[1] === 0xeb) && !(bytes[0] === 0xeb && bytes[1] === 0x9f)) {
    throw new ArgumentError(`${name} is neither raw BTF (magic 0xeb9f) nor an ELF object`);
  }
  const baseFile = base ?? (file.startsWith(KERNEL_BTF_DIR) && file !== VMLINUX ? VMLINUX : undefined);
  return BtfReader.parse(blob, baseFile ? { base: readBtf(baseFile) } : {});
}

/** 'xdp' for ProgType 6: the lower-case name, or the number when unknown. */
export function lowerName(table: Readonly<Record<string, number>>, value: number): string {
  const n = enumName(table, value);
  return n.startsWith('UNKNOWN(') ? String(value) : n.toLowerCase();
}

/** Rows of cells as aligned columns (two spaces apart), each line indented. */
export function columns(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => (indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).trimEnd()).join('\n');
}

/** "a,b , c" → ['a', 'b', 'c'] (for list options). */
export const listArg = (text: string): string[] => text.split(',').map((s) => s.trim()).filter(Boolean);
