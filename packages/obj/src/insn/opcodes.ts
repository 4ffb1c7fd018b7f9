// eBPF ISA constants, named as in the kernel's uapi headers so code reads like
// the C it is usually ported from. Source: RFC 9669 and the kernel's
// Documentation/bpf/standardization/instruction-set.rst.
//
// opcode byte layout:
//   ALU/JMP classes:    op:4 | source:1 | class:3
//   load/store classes: mode:3 | size:2 | class:3

// ---- instruction classes (low 3 bits) ----
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// ---- load/store sizes (bits 3-4) ----
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

// ---- load/store modes (bits 5-7) ----
export const BPF_IMM = 0x00;
/** legacy packet access (skb[imm]); class LD only */
export const BPF_ABS = 0x20;
/** legacy packet access (skb[src + imm]); class LD only */
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
/** sign-extending load; class LDX only */
export const BPF_MEMSX = 0x80;
/** atomic operation, kind in imm; class STX only */
export const BPF_ATOMIC = 0xc0;

// ---- source operand (bit 3) ----
/** use the 32-bit immediate */
export const BPF_K = 0x00;
/** use the source register */
export const BPF_X = 0x08;
/** BPF_END: convert to little-endian (ALU) */
export const BPF_TO_LE = 0x00;
/** BPF_END: convert to big-endian (ALU) */
export const BPF_TO_BE = 0x08;

// ---- ALU operations (bits 4-7) ----
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
/** off=1 makes it signed division */
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
/** off=1 makes it signed modulo */
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
/** off=8/16/32 with BPF_X makes it a sign-extending move (movsx) */
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
/** byte swap; ALU: to LE/BE per source bit, ALU64|K: unconditional bswap */
export const BPF_END = 0xd0;

// ---- jump operations (bits 4-7) ----
/** JMP: offset in off; JMP32: offset in imm ("gotol") */
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;
/** conditional pseudo jump; src selects the kind (BPF_MAY_GOTO) */
export const BPF_JCOND = 0xe0;
export const BPF_MAY_GOTO = 0;

// ---- atomic operations (imm of STX|ATOMIC) ----
/** or-ed into ADD/OR/AND/XOR: also return the old value in src */
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;
export const BPF_LOAD_ACQ = 0x100;
export const BPF_STORE_REL = 0x110;

// ---- offsets with special meaning ----
/** signed DIV/MOD */
export const BPF_SDIV_OFF = 1;
/** ALU64|MOV|X with off=1: r_dst = addr_space_cast(r_src, dst_as, src_as) */
export const BPF_ADDR_SPACE_CAST = 1;

// ---- pseudo src_reg values ----
/** LD_IMM64: imm is a map fd */
export const BPF_PSEUDO_MAP_FD = 1;
/** LD_IMM64: imm is a map fd, second imm an offset into its value */
export const BPF_PSEUDO_MAP_VALUE = 2;
/** LD_IMM64: imm is a kernel BTF id of a variable */
export const BPF_PSEUDO_BTF_ID = 3;
/** LD_IMM64: imm is an instruction offset to a bpf function */
export const BPF_PSEUDO_FUNC = 4;
/** LD_IMM64: imm is an index into fd_array */
export const BPF_PSEUDO_MAP_IDX = 5;
/** LD_IMM64: imm is an index into fd_array, second imm an offset */
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;
/** CALL: imm is pc-relative offset to a bpf function */
export const BPF_PSEUDO_CALL = 1;
/** CALL: imm is a BTF id of a kernel function, off an fd_array index */
export const BPF_PSEUDO_KFUNC_CALL = 2;

// ---- registers ----
export const BPF_REG_0 = 0;
export const BPF_REG_1 = 1;
export const BPF_REG_2 = 2;
export const BPF_REG_3 = 3;
export const BPF_REG_4 = 4;
export const BPF_REG_5 = 5;
export const BPF_REG_6 = 6;
export const BPF_REG_7 = 7;
export const BPF_REG_8 = 8;
export const BPF_REG_9 = 9;
/** read-only frame pointer */
export const BPF_REG_10 = 10;
export const MAX_BPF_REG = 11;

// ---- whole opcodes that are used often ----
export const BPF_LD_IMM64 = BPF_LD | BPF_DW | BPF_IMM; // 0x18
export const BPF_CALL_INSN = BPF_JMP | BPF_CALL; // 0x85
export const BPF_EXIT_INSN = BPF_JMP | BPF_EXIT; // 0x95

// ---- field extractors (the kernel's BPF_CLASS() etc.) ----
export const bpfClass = (code: number): number => code & 0x07;
export const bpfSize = (code: number): number => code & 0x18;
export const bpfMode = (code: number): number => code & 0xe0;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrc = (code: number): number => code & 0x08;

// ---- name tables, for builders and tools ----
/** ALU operation names → op bits. SDIV/SMOD are DIV/MOD with off=1. */
export const ALU_OPS = {
  ADD: BPF_ADD, SUB: BPF_SUB, MUL: BPF_MUL, DIV: BPF_DIV, OR: BPF_OR, AND: BPF_AND,
  LSH: BPF_LSH, RSH: BPF_RSH, NEG: BPF_NEG, MOD: BPF_MOD, XOR: BPF_XOR, MOV: BPF_MOV,
  ARSH: BPF_ARSH, END: BPF_END,
} as const;
export type AluOpName = keyof typeof ALU_OPS;

/** Conditional jump names → op bits (JA, CALL, EXIT excluded: they have no condition). */
export const JMP_COND_OPS = {
  JEQ: BPF_JEQ, JGT: BPF_JGT, JGE: BPF_JGE, JSET: BPF_JSET, JNE: BPF_JNE,
  JSGT: BPF_JSGT, JSGE: BPF_JSGE, JLT: BPF_JLT, JLE: BPF_JLE, JSLT: BPF_JSLT, JSLE: BPF_JSLE,
} as const;
export type JmpCondName = keyof typeof JMP_COND_OPS;

export const SIZES = { B: BPF_B, H: BPF_H, W: BPF_W, DW: BPF_DW } as const;
export type SizeName = keyof typeof SIZES;
/** bytes accessed per size */
export const SIZE_BYTES: Readonly<Record<SizeName, number>> = { B: 1, H: 2, W: 4, DW: 8 };

/** Atomic operation names → imm values. */
export const ATOMIC_OPS = {
  ADD: BPF_ADD, OR: BPF_OR, AND: BPF_AND, XOR: BPF_XOR,
  FETCH_ADD: BPF_ADD | BPF_FETCH, FETCH_OR: BPF_OR | BPF_FETCH,
  FETCH_AND: BPF_AND | BPF_FETCH, FETCH_XOR: BPF_XOR | BPF_FETCH,
  XCHG: BPF_XCHG, CMPXCHG: BPF_CMPXCHG, LOAD_ACQ: BPF_LOAD_ACQ, STORE_REL: BPF_STORE_REL,
} as const;
export type AtomicOpName = keyof typeof ATOMIC_OPS;
