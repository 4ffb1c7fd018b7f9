// What parsing an eBPF ELF object yields: plain data, no fds. The runtime
// (@lockne/bpf's object loader) turns an ObjectSpec into kernel objects: it
// creates the maps, resolves the relocations listed here against them, applies
// CO-RE against the running kernel's BTF, and loads the programs.
//
// This is the contract between the object parser (parse.ts, sections.ts, ...)
// and the loader; change it in one commit with both sides.
import type { Instruction } from '../insn/instruction.js';

/** The whole object. */
export interface ObjectSpec {
  /** From the `license` section; 'GPL' when absent is NOT assumed: absent is ''. */
  license: string;
  /** From the `version` section (legacy kprobes), or 0. */
  kernelVersion: number;
  /** Entry programs by their function name, in section order. Subprograms are linked into them. */
  programs: ProgramSpec[];
  /** Maps in `.maps` / legacy `maps`, plus one per global data section and `.kconfig`. */
  maps: MapSpec[];
  /** The object's `.BTF` section as emitted by clang (before any fix-up), if present. */
  btf?: Uint8Array;
  /** Every extern the programs use (kconfig values, ksyms, kfuncs). */
  externs: ExternSpec[];
  /**
   * What the BTF fix-up needs from the ELF file (clang leaves DATASEC sizes and
   * VAR offsets at 0): each section's size and its global symbols. Absent for
   * specs built by hand; the loader then uses the global data maps alone.
   */
  btfLayout?: BtfLayout;
}

/** ELF facts for the BTF fix-up (libbpf's btf_fixup_datasec). */
export interface BtfLayout {
  /** Every named section: size, and offsets of its global/weak OBJECT symbols. */
  sections: { name: string; size: number; symbols: { name: string; offset: number; hidden: boolean }[] }[];
  /** Global functions with hidden/internal visibility: the kernel must see them as static. */
  hiddenFuncs: string[];
}

/** libbpf's interpretation of a program's section name. */
export interface SectionDef {
  /** The full ELF section name, e.g. "tracepoint/sched/sched_process_exec". */
  section: string;
  /** BPF_PROG_TYPE_* number. */
  progType: number;
  /** BPF_* attach type for expected_attach_type at load, when the kind has one. */
  expectedAttachType?: number;
  /** What follows the prefix: "sched/sched_process_exec", "sys_enter", "do_unlinkat", "/usr/bin/x:fn"... */
  target?: string;
  /** The libbpf prefix matched, e.g. "tracepoint", "cgroup/connect4", "xdp.frags". */
  kind: string;
  /** BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS, ... to pass as prog_flags. */
  progFlags: number;
  /** True for kinds whose attach_btf_id is the BTF id of `target` in the kernel (fentry, tp_btf, lsm, iter). */
  needsAttachBtf: boolean;
}

/** One loadable program: its function plus every subprogram it calls, already linked. */
export interface ProgramSpec {
  /** Function symbol name (what libbpf calls the program name). */
  name: string;
  def: SectionDef;
  /**
   * Instructions of the entry function followed by the subprograms it reaches
   * (transitively), with bpf-to-bpf call and BPF_PSEUDO_FUNC offsets fixed up.
   * Map/extern loads still hold placeholders: see `relocations`.
   */
  instructions: Instruction[];
  /** Instruction-indexed fix-ups the loader must apply (indices into `instructions`). */
  relocations: Relocation[];
  /** BTF func_info records for the linked program (insnOff in instructions; typeId in the object's BTF). */
  funcInfo: { insnOff: number; typeId: number }[];
  /** BTF line_info records for the linked program. Offsets are into the object's BTF string section. */
  lineInfo: { insnOff: number; fileNameOff: number; lineOff: number; line: number; column: number }[];
  /** CO-RE relocations for the linked program. */
  coreRelos: CoreRelo[];
  /** false for a `SEC("?...")` program, which libbpf does not load unless asked to; absent means true. */
  autoload?: boolean;
}

/**
 * A load-time fix-up of one instruction. The parser leaves the immediates of a
 * relocated instruction at 0 (both slots of an LD_IMM64; a kfunc CALL already
 * has src=BPF_PSEUDO_KFUNC_CALL); any addend is in the relocation (`offset`).
 */
export type Relocation =
  /** LD_IMM64 of a map: set src=BPF_PSEUDO_MAP_FD and imm=fd (or MAP_IDX). */
  | { insn: number; kind: 'map'; map: string }
  /** LD_IMM64 of a global variable: src=BPF_PSEUDO_MAP_VALUE, imm=fd, second imm += offset. */
  | { insn: number; kind: 'mapValue'; map: string; offset: number }
  /** A `.kconfig` extern: a mapValue into the kconfig map at the extern's offset. */
  | { insn: number; kind: 'kconfig'; extern: string }
  /** A typed or untyped `__ksym` variable: LD_IMM64 src=BPF_PSEUDO_BTF_ID (typed) or an address. */
  | { insn: number; kind: 'ksym'; extern: string }
  /** A call to a kfunc: CALL src=BPF_PSEUDO_KFUNC_CALL imm=btf id (off = module BTF fd index). */
  | { insn: number; kind: 'kfunc'; extern: string };

/** One `.BTF.ext` CO-RE record (struct bpf_core_relo), relative to the linked program. */
export interface CoreRelo {
  insnOff: number;
  /** Root type id in the object's BTF. */
  typeId: number;
  /** Access string, e.g. "0:1:2" (already resolved from its string offset). */
  accessStr: string;
  /** enum bpf_core_relo_kind: 0 FIELD_BYTE_OFFSET ... 12 TYPE_MATCHES. */
  kind: number;
}

/** A map to create. */
export interface MapSpec {
  /** Map name as in the object (`counts`, or `.rodata`, `.data.custom`, `.kconfig`). */
  name: string;
  /** BPF_MAP_TYPE_* number. */
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode?: number;
  mapExtra?: bigint;
  /** LIBBPF_PIN_BY_NAME: pin under the loader's pin directory by `name`, reusing an existing compatible pin. */
  pinning: 'none' | 'byName';
  /** BTF key/value type ids in the object's BTF (0 when absent). */
  btfKeyTypeId: number;
  btfValueTypeId: number;
  /** For global data maps: which section, and its initial contents (zeros for .bss). */
  data?: { section: string; bytes: Uint8Array; readOnly: boolean; symbols: { name: string; offset: number; size: number }[] };
  /** Map-in-map: the inner map definition (from `__array(values, struct {...})`). */
  inner?: MapSpec;
  /** `.values = { [i] = &prog_or_map }` initial slots for prog arrays / maps of maps. */
  initialSlots?: { index: number; ref: { kind: 'program' | 'map'; name: string } }[];
}

/** An extern the programs reference. */
export interface ExternSpec {
  name: string;
  kind: 'kconfig' | 'ksym' | 'kfunc';
  /** __weak: unresolvable is allowed (value 0 / call patched out) instead of an error. */
  weak: boolean;
  /** For kconfig: byte size and offset inside the `.kconfig` map; its BTF type id. */
  size?: number;
  offset?: number;
  /**
   * In the object's BTF: kconfig → the variable's declared type; ksym → that type with
   * modifiers and typedefs skipped (0: a typeless `const void` ksym); kfunc → the FUNC.
   */
  btfTypeId?: number;
}
