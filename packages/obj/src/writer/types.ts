// What the compiler hands ObjectWriter: programs, subprograms, maps and
// globals, each with the BTF type ids it already built in the writer's BtfWriter.
import type { Instruction } from '../insn/instruction.js';

/** A func_info record: the function starting at instruction `insn` has BTF FUNC `typeId`. */
export interface FuncInfoInput {
  insn: number;
  typeId: number;
}

/** A line_info record: instruction `insn` comes from `file`:`line`:`column`, whose text is `text`. */
export interface LineInfoInput {
  insn: number;
  file: string;
  line: number;
  /** Default 0 (unknown). */
  column?: number;
  text: string;
}

/**
 * A reference from an instruction to a symbol of the object:
 * - a map: LD_IMM64 (R_BPF_64_64 against the map's symbol);
 * - a global variable: LD_IMM64 of its address plus `offset` (R_BPF_64_64, addend in imm);
 * - a subprogram: a CALL (src BPF_PSEUDO_CALL, R_BPF_64_32) or an LD_IMM64 of its address (a callback).
 */
export interface RelocationInput {
  insn: number;
  symbol: string;
  /** Byte offset inside a global variable. */
  offset?: number;
}

/**
 * A CO-RE relocation (.BTF.ext core_relo, struct bpf_core_relo): the loader
 * rewrites instruction `insn` (its immediate or offset) for the running kernel.
 * `typeId` is the local BTF type, `access` the access string ("0:2"), `kind`
 * enum bpf_core_relo_kind (0 FIELD_BYTE_OFFSET, 1 FIELD_BYTE_SIZE, 2 FIELD_EXISTS, ...).
 */
export interface CoreReloInput {
  insn: number;
  typeId: number;
  access: string;
  kind: number;
}

export interface CodeInput {
  /** Function (symbol) name; for programs, what libbpf calls the program. */
  name: string;
  instructions: readonly Instruction[];
  funcInfo?: readonly FuncInfoInput[];
  lineInfo?: readonly LineInfoInput[];
  relocations?: readonly RelocationInput[];
  coreRelos?: readonly CoreReloInput[];
}

/** An entry program: a global FUNC in its own section named by libbpf convention ("xdp", "tc", "kprobe/x", ...). */
export interface ProgramInput extends CodeInput {
  section: string;
}

/** A subprogram in `.text`: static (LOCAL FUNC, the default) or global. */
export interface SubprogramInput extends CodeInput {
  global?: boolean;
}

/** A map definition (also the inner definition of a map of maps). */
export interface MapDefInput {
  name: string;
  /** BPF_MAP_TYPE_* */
  type: number;
  /** Key as a BTF type id (`__type(key, T)`) or as a size (`__uint(key_size, N)`). */
  keyType?: number;
  keySize?: number;
  valueType?: number;
  valueSize?: number;
  maxEntries: number;
  flags?: number;
  numaNode?: number;
  /** map_extra (a bloom filter's hash count, ...), written as `__uint(map_extra, N)`: at most 32 bits. */
  mapExtra?: number;
  /** 'byName' = LIBBPF_PIN_BY_NAME. */
  pinning?: 'none' | 'byName';
  /** Map of maps: the inner map definition (`__array(values, struct {...})`). */
  innerMap?: Omit<MapDefInput, 'name' | 'innerMap' | 'values' | 'pinning'>;
  /** Initial slots: map names (maps of maps) or program names (prog arrays). */
  values?: readonly { index: number; ref: string }[];
}

export interface GlobalInput {
  /** '.data', '.rodata', '.bss', or a custom '.data.x' / '.rodata.x' / '.bss.x'. */
  section: string;
  name: string;
  /** BTF type of the variable (for `const volatile` rodata, the CONST → VOLATILE → T chain). */
  typeId: number;
  /** Initial contents; for .bss omit it and give `size` (or pass zeros). */
  bytes?: Uint8Array;
  size?: number;
  /** Default: natural alignment for the size, at most 8. */
  align?: number;
}
