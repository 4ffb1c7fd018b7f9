// Range checks and normalization for instruction fields, shared by the
// assembler and the builder. Values are normalized to the signed form that
// decodeInstructions produces, so assembled and decoded programs compare equal.

export const INT16_MIN = -0x8000;
export const INT16_MAX = 0x7fff;
export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;
export const UINT32_MAX = 0xffffffff;

/** Reinterpret the low 32 bits as signed (0xffffffff → -1). Also turns -0 into 0. */
export const toInt32 = (v: number): number => v | 0;

/** Reinterpret the low 16 bits as signed (0xffff → -1). */
export const toInt16 = (v: number): number => (v << 16) >> 16;

/** True if v is an integer accepted for a 32-bit immediate: signed or unsigned 32-bit. */
export const fitsImm32 = (v: number): boolean => Number.isInteger(v) && v >= INT32_MIN && v <= UINT32_MAX;

/** True if v fits a signed 32-bit field (jump targets, call offsets). */
export const fitsInt32 = (v: number): boolean => Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;

/** True if v fits the signed 16-bit off field. */
export const fitsInt16 = (v: number): boolean => Number.isInteger(v) && v >= INT16_MIN && v <= INT16_MAX;

/** Split a 64-bit value (signed or unsigned) into the two signed imm halves of LD_IMM64. */
export function splitImm64(value: bigint): { lo: number; hi: number } {
  const u = BigInt.asUintN(64, value);
  return { lo: Number(BigInt.asIntN(32, u)), hi: Number(BigInt.asIntN(32, u >> 32n)) };
}

/** Join LD_IMM64's two imm halves into an unsigned 64-bit value. */
export function joinImm64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

export const INT64_MIN = -(1n << 63n);
export const UINT64_MAX = (1n << 64n) - 1n;
