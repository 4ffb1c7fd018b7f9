// A three-address IR over basic blocks. Virtual registers (VReg) may be assigned
// more than once (locals are VRegs), so no phis are needed; the register
// allocator works from liveness. Every instruction carries its TS position.
import type { SourcePos } from '../diagnostics.js';
import type { IntTy, Layout, Ty } from './types.js';

export interface VReg { readonly id: number; readonly ty: Ty; readonly name?: string }

/** An operand: a virtual register or a constant already wrapped into its type. */
export type Operand = { readonly kind: 'reg'; readonly reg: VReg } | { readonly kind: 'const'; readonly value: bigint; readonly ty: Ty };

export type BinOp = 'add' | 'sub' | 'mul' | 'div' | 'mod' | 'and' | 'or' | 'xor' | 'shl' | 'shr';
export type CondOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
/** Read-modify-write operations of BPF_ATOMIC. */
export type AtomicOp = 'add' | 'and' | 'or' | 'xor' | 'xchg' | 'cmpxchg';

/** A map the program references, by its exported name. */
export interface MapRef {
  readonly name: string;
  /**
   * progArray: a ProgramArray (tail-call table; u32 slots, no BTF key/value). skStorage: SkStorage
   * (int key, value per socket). taskStorage: TaskStorage (int key, value per task).
   */
  readonly kind: 'hash' | 'array' | 'ringbuf' | 'progArray' | 'skStorage' | 'taskStorage';
  readonly key: Layout;
  readonly value: Layout;
  readonly maxEntries: number;
  /** The @lockne/kernel class it was declared with ('HashMap', 'LruHashMap', 'ArrayMap'): the ELF map type. */
  readonly className?: string;
  /** BPF_F_* map_flags from the declaration's `flags:` option (e.g. 1, BPF_F_NO_PREALLOC). */
  readonly flags?: number;
  /** map_extra (a BloomFilter's `hashes`). */
  readonly mapExtra?: number;
}

/** One declared member of a kernel struct: `ptrTo` names the struct a pointer member points to (its value is a u64 address). */
export interface KernelFieldTy { readonly name: string; readonly off: number; readonly ty: Layout; readonly ptrTo?: string }

/** A `kernelStruct(name, {...})` declaration: the subset of a kernel struct a program reads (front/core.ts). */
export interface KernelStructTy {
  readonly kind: 'kernelStruct';
  /** The kernel's name, possibly with a `___flavour` suffix: the local BTF STRUCT's name. */
  readonly name: string;
  readonly size: number;
  readonly fields: readonly KernelFieldTy[];
}

/** What a CO-RE relocated constant means: `kind` (enum bpf_core_relo_kind) of `struct`, access string `access` ("0:2"). */
export interface CoreRelo { readonly struct: KernelStructTy; readonly access: string; readonly kind: number }

/** A global variable in .rodata/.data/.bss (front/globals.ts); `bytes` is its initial value. */
export interface IrGlobal {
  readonly name: string;
  /** `.rodata.<x>` holds compiler-made read-only data (the log template table). */
  readonly section: '.rodata' | '.data' | '.bss' | `.rodata.${string}`;
  readonly layout: Layout;
  readonly bytes: Uint8Array;
}

export type Inst =
  | { op: 'copy'; dst: VReg; src: Operand; pos: SourcePos }
  | { op: 'bin'; dst: VReg; bin: BinOp; a: Operand; b: Operand; ty: IntTy; pos: SourcePos }
  | { op: 'neg'; dst: VReg; a: Operand; ty: IntTy; pos: SourcePos }
  | { op: 'convert'; dst: VReg; src: Operand; from: IntTy; to: IntTy; pos: SourcePos }
  /**
   * `dst = *(ty *)(base + off)`; base is a ctx, map-value or kernel (btf) pointer. With
   * `core`, `off` is a CO-RE field offset the loader relocates: passes must keep it.
   */
  | { op: 'load'; dst: VReg; base: VReg; off: number; ty: IntTy; pos: SourcePos; core?: CoreRelo }
  | { op: 'store'; base: VReg; off: number; value: Operand; ty: IntTy; pos: SourcePos }
  | { op: 'lookup'; dst: VReg; map: MapRef; key: Operand; pos: SourcePos }
  | { op: 'update'; dst: VReg | null; map: MapRef; key: Operand; value: Operand; flags: Operand; pos: SourcePos }
  | { op: 'delete'; dst: VReg | null; map: MapRef; key: Operand; pos: SourcePos }
  /** `dst = (ptr)*(u32 *)(ctx + off)`: ctx->data / ctx->data_end (the kernel rewrites the load). */
  | { op: 'ctxptr'; dst: VReg; off: number; pos: SourcePos }
  /** `dst = base + off` on a pointer (packet pointers take bounded scalars). */
  | { op: 'ptradd'; dst: VReg; base: VReg; off: Operand; pos: SourcePos }
  /** A fixed stack slot of `size` bytes; `dst` names its address (r10 - k, rematerialised). */
  | { op: 'slot'; dst: VReg; size: number; align: number; pos: SourcePos }
  /** Byte swap of the low `bits` bits (network ↔ host order), zero-extending. */
  | { op: 'bswap'; dst: VReg; src: Operand; bits: 16 | 32; pos: SourcePos }
  /** bpf_ringbuf_output(map, &data, sizeof(layout), flags): `data` is an integer or a stack-slot struct. */
  | { op: 'ringbufOutput'; dst: VReg | null; map: MapRef; data: Operand; layout: Layout; flags: Operand; pos: SourcePos }
  /**
   * `lock *(ty *)(base + off) op= value` (BPF_ATOMIC, W or DW). With `dst` the old value is
   * fetched into it (BPF_FETCH); `cmpxchg` stores `value` only where the old value equals `expected`.
   */
  | { op: 'atomic'; aop: AtomicOp; dst: VReg | null; base: VReg; off: number; value: Operand; expected?: Operand; ty: IntTy; pos: SourcePos }
  /** A helper call whose first argument is a map (R1 = &map), then up to four more (ringbuf reserve, sk storage). */
  | { op: 'mapCall'; dst: VReg | null; helper: number; map: MapRef; args: Operand[]; pos: SourcePos }
  /** A helper call with up to five scalar/ctx/pointer arguments. */
  | { op: 'call'; dst: VReg | null; helper: number; args: Operand[]; pos: SourcePos }
  /** `dst = &func` (LD_IMM64 relocated to a subprogram: becomes BPF_PSEUDO_FUNC, a bpf_loop callback). */
  | { op: 'funcAddr'; dst: VReg; func: string; pos: SourcePos }
  /** `dst = &global` (LD_IMM64 relocated to the variable: a map-value pointer into its data section). */
  | { op: 'globalAddr'; dst: VReg; global: string; pos: SourcePos }
  /**
   * `dst = value`, the local answer of a CO-RE relocation (a field offset, size or
   * existence) that the loader replaces with the running kernel's: never folded.
   */
  | { op: 'coreConst'; dst: VReg; value: bigint; relo: CoreRelo; pos: SourcePos }
  /** bpf_tail_call(ctx, map, index): returns (with a negative errno) only when the jump fails. */
  | { op: 'tailCall'; dst: VReg | null; map: MapRef; index: Operand; pos: SourcePos };

export type Terminator =
  | { op: 'br'; target: Block; pos: SourcePos }
  | { op: 'cbr'; cond: CondOp; a: Operand; b: Operand; ty: Ty; t: Block; f: Block; pos: SourcePos }
  | { op: 'ret'; value: Operand; pos: SourcePos };

export interface Block {
  readonly id: number;
  readonly insts: Inst[];
  term: Terminator | null;
}

/** One program (an exported `xdp(...)`/`tc(...)` const) lowered to IR. */
export interface IrFunction {
  readonly name: string;
  readonly entry: Block;
  readonly blocks: Block[];
  /** The ctx pointer (R1 at entry); a callback's first argument (bpf_loop: the index). */
  readonly ctx: VReg;
  /** Further arguments, in R2.. at entry (a bpf_loop callback's context pointer). */
  readonly params: readonly VReg[];
  readonly vregs: VReg[];
  readonly pos: SourcePos;
  /** The C struct `ctx` points to in a program ('__sk_buff' for tc); absent in subprograms. Store forwarding needs it. */
  readonly ctxKind?: string;
}

export function reg(r: VReg): Operand {
  return { kind: 'reg', reg: r };
}

export function konst(value: bigint, ty: Ty): Operand {
  return { kind: 'const', value, ty };
}

export function successors(b: Block): Block[] {
  const t = b.term;
  if (!t || t.op === 'ret') return [];
  return t.op === 'br' ? [t.target] : [t.t, t.f];
}
