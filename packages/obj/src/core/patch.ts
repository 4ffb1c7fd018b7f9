// Apply a CO-RE decision to the instruction it belongs to (libbpf's
// bpf_core_patch_insn). Accepted forms:
//   rX = imm / rX op= imm         (ALU/ALU64 with an immediate): imm
//   rX = *(T *)(rY + off), *(T *)(rX + off) = rY / imm  (LDX/STX/ST): off,
//       and the access width when the field changed size safely
//   rX = imm64                    (LD_IMM64): both halves of the immediate
// A poisoned relocation turns the instruction (both slots of an LD_IMM64)
// into `call 0xbad2310`: harmless in dead code, and if reachable the verifier
// stops there with "invalid func unknown#195896080".
import type { Instruction } from '../insn/instruction.js';
import { BPF_ALU, BPF_ALU64, BPF_B, BPF_CALL, BPF_DW, BPF_H, BPF_IMM, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_W } from '../insn/opcodes.js';
import { CoreReloError } from './errors.js';
import type { CoreReloQuery, CoreReloWhere, CoreResult } from './resolve.js';

/** The imm of a poisoned instruction: 0xbad2310 ("bad relo"). */
export const CORE_POISON_IMM = 0xbad2310;

/** The instruction libbpf substitutes for an unsatisfiable relocation. */
export function corePoisonInsn(): Instruction {
  return { code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM };
}

/** What patching did to the instruction(s). */
export interface CorePatch {
  index: number;
  poisoned: boolean;
  /** Why it was poisoned. */
  reason?: string;
  before: Instruction[];
  after: Instruction[];
}

const LD_IMM64 = BPF_LD | BPF_IMM | BPF_DW;
const SHRT_MAX = 0x7fff;
const SIZE_BYTES: Record<number, number> = { [BPF_DW]: 8, [BPF_W]: 4, [BPF_H]: 2, [BPF_B]: 1 };
const BYTES_SIZE: Record<number, number> = { 8: BPF_DW, 4: BPF_W, 2: BPF_H, 1: BPF_B };

const u64 = (n: number): bigint => BigInt.asUintN(64, BigInt(n));

/**
 * Patch `insns[index]` (and `insns[index + 1]` for LD_IMM64) in place with
 * `res`; the slots are replaced by new objects, never mutated. Throws
 * CoreReloError when the instruction does not have the form or value the
 * relocation expects.
 */
export function patchCoreInsn(insns: Instruction[], index: number, res: CoreResult, relo: CoreReloQuery, where: CoreReloWhere = {}): CorePatch {
  const ctx = { ...where, insn: index, kind: relo.kind, typeId: relo.typeId, accessStr: relo.accessStr };
  const fail = (errno: 'EINVAL' | 'ERANGE', what: string): CoreReloError => new CoreReloError(errno, ctx, `${what}; ${res.explanation}`);
  const insn = insns[index];
  if (!insn) throw fail('EINVAL', `instruction #${index} is outside the program (${insns.length} instructions)`);
  const isLdImm64 = insn.code === LD_IMM64;
  const before = isLdImm64 ? [insn, insns[index + 1]!].filter(Boolean) : [insn];

  const poison = (reason: string): CorePatch => {
    if (isLdImm64 && index + 1 < insns.length) insns[index + 1] = corePoisonInsn();
    insns[index] = corePoisonInsn();
    return { index, poisoned: true, reason, before, after: isLdImm64 ? [insns[index]!, insns[index + 1]!] : [insns[index]!] };
  };
  if (res.poison) return poison(res.reason ?? res.explanation);

  const cls = insn.code & 0x07;
  const { origValue, newValue } = res;
  switch (cls) {
    case BPF_ALU: case BPF_ALU64: {
      if ((insn.code & 0x08) !== BPF_K) throw fail('EINVAL', `ALU instruction #${index} uses a register source, not an immediate`);
      if (res.validate && u64(insn.imm) !== origValue) throw fail('EINVAL', `unexpected ALU instruction #${index} value: got ${insn.imm}, expected ${origValue}`);
      insns[index] = { ...insn, imm: Number(BigInt.asIntN(32, newValue)) };
      break;
    }
    case BPF_LDX: case BPF_ST: case BPF_STX: {
      if (res.validate && u64(insn.off) !== origValue) throw fail('EINVAL', `unexpected LDX/ST/STX instruction #${index} offset: got ${insn.off}, expected ${origValue}`);
      if (newValue > BigInt(SHRT_MAX)) throw fail('ERANGE', `LDX/ST/STX instruction #${index}: offset ${newValue} does not fit 16 bits`);
      if (res.failMemSizeAdjust) {
        return poison(`instruction #${index} accesses the field with the wrong width (${res.origSize} -> ${res.newSize} bytes): only pointers and unsigned integers may change size`);
      }
      let code = insn.code;
      if (res.newSize !== res.origSize) {
        const width = SIZE_BYTES[insn.code & 0x18]!;
        if (width !== res.origSize) throw fail('EINVAL', `LDX/ST/STX instruction #${index} accesses ${width} bytes, expected ${res.origSize}`);
        const size = BYTES_SIZE[res.newSize];
        if (size === undefined) throw fail('EINVAL', `LDX/ST/STX instruction #${index}: new access width ${res.newSize} is not 1, 2, 4 or 8`);
        code = (insn.code & 0xe0) | size | cls;
      }
      insns[index] = { ...insn, code, off: Number(newValue) };
      break;
    }
    case BPF_LD: {
      const next = insns[index + 1];
      if (!isLdImm64 || insn.src !== 0 || insn.off !== 0 || !next || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
        throw fail('EINVAL', `LD_IMM64 instruction #${index} has an unexpected form`);
      }
      const imm = (BigInt(next.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0);
      if (res.validate && imm !== origValue) throw fail('EINVAL', `unexpected LD_IMM64 instruction #${index} value: got ${imm}, expected ${origValue}`);
      insns[index] = { ...insn, imm: Number(BigInt.asIntN(32, newValue)) };
      insns[index + 1] = { ...next, imm: Number(BigInt.asIntN(32, newValue >> 32n)) };
      break;
    }
    default:
      throw fail('EINVAL', `instruction #${index} (code 0x${insn.code.toString(16)}) cannot carry a CO-RE relocation`);
  }
  return { index, poisoned: false, before, after: isLdImm64 ? [insns[index]!, insns[index + 1]!] : [insns[index]!] };
}
