// One eBPF instruction slot, as the kernel sees it (struct bpf_insn, 8 bytes):
// code:8 | dst_reg:4 | src_reg:4 | off:16 (signed) | imm:32 (signed).
// A 64-bit immediate load (LD_IMM64) occupies two slots; its second slot has
// code 0 and carries the upper 32 bits in imm.

export interface Instruction {
  /** opcode byte: class | size/source | mode/op */
  code: number;
  /** destination register 0..10 */
  dst: number;
  /** source register 0..10, or a pseudo value (BPF_PSEUDO_MAP_FD, ...) */
  src: number;
  /** signed 16-bit offset */
  off: number;
  /** signed 32-bit immediate */
  imm: number;
}

export const INSN_SIZE = 8;

/** Encode instructions into the kernel's little-endian byte layout. */
export function encodeInstructions(insns: readonly Instruction[]): Uint8Array {
  const out = new Uint8Array(insns.length * INSN_SIZE);
  const view = new DataView(out.buffer);
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    const o = i * INSN_SIZE;
    checkField(insn, i);
    view.setUint8(o, insn.code);
    view.setUint8(o + 1, (insn.dst & 0x0f) | ((insn.src & 0x0f) << 4));
    view.setInt16(o + 2, insn.off, true);
    view.setInt32(o + 4, insn.imm, true);
  }
  return out;
}

/** Decode bytes (length a multiple of 8) into instruction slots. */
export function decodeInstructions(bytes: Uint8Array): Instruction[] {
  if (bytes.byteLength % INSN_SIZE !== 0) {
    throw new RangeError(`instruction bytes: length ${bytes.byteLength} is not a multiple of ${INSN_SIZE}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Instruction[] = [];
  for (let o = 0; o < bytes.byteLength; o += INSN_SIZE) {
    const regs = view.getUint8(o + 1);
    out.push({
      code: view.getUint8(o),
      dst: regs & 0x0f,
      src: regs >> 4,
      off: view.getInt16(o + 2, true),
      imm: view.getInt32(o + 4, true),
    });
  }
  return out;
}

// Runs for every instruction of every load: no closure per call.
const bad = (index: number, what: string): RangeError => new RangeError(`instruction ${index}: ${what}`);

function checkField(insn: Instruction, index: number): void {
  if (!Number.isInteger(insn.code) || insn.code < 0 || insn.code > 0xff) throw bad(index, `code ${insn.code} is not a byte`);
  if (!Number.isInteger(insn.dst) || insn.dst < 0 || insn.dst > 15) throw bad(index, `dst ${insn.dst} is not 0..15`);
  if (!Number.isInteger(insn.src) || insn.src < 0 || insn.src > 15) throw bad(index, `src ${insn.src} is not 0..15`);
  if (!Number.isInteger(insn.off) || insn.off < -32768 || insn.off > 32767) throw bad(index, `off ${insn.off} does not fit 16 bits`);
  if (!Number.isInteger(insn.imm) || insn.imm < -0x80000000 || insn.imm > 0xffffffff) {
    throw bad(index, `imm ${insn.imm} does not fit 32 bits`);
  }
}
