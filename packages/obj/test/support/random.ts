// Seeded generators for property tests: random *valid* instructions covering
// every form the assembler knows, and random / mutated byte strings.

import { encodeInstructions, type Instruction } from '../../src/index.js';

/** mulberry32: small, fast, reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Gen {
  constructor(readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)]!;
  }
  reg(): number {
    return this.int(0, 10);
  }
  /** signed 32-bit, biased towards small values and edges */
  imm(): number {
    const k = this.int(0, 3);
    if (k === 0) return this.int(-16, 16);
    if (k === 1) return this.pick([0, 1, -1, 0x7fffffff, -0x80000000, 0xffff, 255]);
    return this.int(-0x80000000, 0x7fffffff);
  }
  off(): number {
    return this.int(0, 2) === 0 ? this.pick([0, 1, -1, 0x7fff, -0x8000]) : this.int(-0x8000, 0x7fff);
  }
}

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Instruction => ({ code, dst, src, off, imm });
const BIN_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xc0];
const COND_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const SIZES = [0x00, 0x08, 0x10, 0x18];

/** One random valid instruction (1 slot, or 2 for LD_IMM64). */
export function randomInsn(g: Gen): Instruction[] {
  const cls = g.pick([0x04, 0x07]);
  switch (g.int(0, 19)) {
    case 0: { // binary ALU, immediate
      const op = g.pick(BIN_OPS);
      const off = op === 0x30 || op === 0x90 ? g.int(0, 1) : 0;
      return [I(cls | op, g.reg(), 0, off, g.imm())];
    }
    case 1: { // binary ALU, register
      const op = g.pick(BIN_OPS);
      const off = op === 0x30 || op === 0x90 ? g.int(0, 1) : 0;
      return [I(cls | op | 0x08, g.reg(), g.reg(), off)];
    }
    case 2: // mov imm / reg / movsx / addr_space_cast
      switch (g.int(0, 3)) {
        case 0: return [I(cls | 0xb0, g.reg(), 0, 0, g.imm())];
        case 1: return [I(cls | 0xb8, g.reg(), g.reg())];
        case 2: return [I(cls | 0xb8, g.reg(), g.reg(), g.pick(cls === 0x07 ? [8, 16, 32] : [8, 16]))];
        default: return [I(0xbf, g.reg(), g.reg(), 1, g.imm())];
      }
    case 3: // neg, endian
      if (g.int(0, 1)) return [I(cls | 0x80, g.reg())];
      return [I(g.pick([0xd4, 0xdc, 0xd7]), g.reg(), 0, 0, g.pick([16, 32, 64]))];
    case 4: { // ld_imm64, plain or pseudo
      const src = g.int(0, 6);
      const hi = src === 4 ? 0 : g.imm();
      return [I(0x18, g.reg(), src, 0, g.imm()), I(0, 0, 0, 0, hi)];
    }
    case 5: // legacy packet loads
      return g.int(0, 1)
        ? [I(g.pick([0x20, 0x28, 0x30]), 0, 0, 0, g.imm())]
        : [I(g.pick([0x40, 0x48, 0x50]), 0, g.reg(), 0, g.imm())];
    case 6: // ldx mem / memsx
      return g.int(0, 1)
        ? [I(0x61 | g.pick(SIZES), g.reg(), g.reg(), g.off())]
        : [I(0x81 | g.pick([0x00, 0x08, 0x10]), g.reg(), g.reg(), g.off())];
    case 7: return [I(0x62 | g.pick(SIZES), g.reg(), 0, g.off(), g.imm())];
    case 8: return [I(0x63 | g.pick(SIZES), g.reg(), g.reg(), g.off())];
    case 9: { // atomics
      const rmw = [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1];
      if (g.int(0, 3) === 0) return [I(0xc3 | g.pick(SIZES), g.reg(), g.reg(), g.off(), g.pick([0x100, 0x110]))];
      return [I(g.pick([0xc3, 0xdb]), g.reg(), g.reg(), g.off(), g.pick(rmw))];
    }
    case 10: return [I(0x05, 0, 0, g.off())];
    case 11: return [I(0x06, 0, 0, 0, g.imm())];
    case 12: return [I(0xe5, 0, 0, g.off())];
    case 13: case 14: { // conditional jumps
      const jcls = g.pick([0x05, 0x06]);
      const op = g.pick(COND_OPS);
      return g.int(0, 1) ? [I(jcls | op, g.reg(), 0, g.off(), g.imm())] : [I(jcls | op | 0x08, g.reg(), g.reg(), g.off())];
    }
    case 15: return [I(0x85, 0, 0, 0, g.int(0, 2) ? g.int(0, 220) : g.imm())];
    case 16: return [I(0x85, 0, 1, 0, g.imm())];
    case 17: return [I(0x85, 0, 2, g.int(0, 1) ? 0 : g.off(), g.imm())];
    default: return [I(0x95)];
  }
}

export function randomProgram(g: Gen, maxLen = 20): Instruction[] {
  const out: Instruction[] = [];
  const n = g.int(1, maxLen);
  for (let i = 0; i < n; i++) out.push(...randomInsn(g));
  return out;
}

/** Random bytes (length a multiple of 8): pure noise, or a valid program with bits flipped. */
export function randomBytes(g: Gen): Uint8Array {
  if (g.int(0, 2) === 0) {
    const b = new Uint8Array(8 * g.int(1, 16));
    for (let i = 0; i < b.length; i++) b[i] = g.int(0, 255);
    return b;
  }
  const b = encodeInstructions(randomProgram(g, 12));
  const flips = g.int(1, 4);
  for (let i = 0; i < flips; i++) {
    const at = g.int(0, b.length - 1);
    if (g.int(0, 1)) b[at]! ^= 1 << g.int(0, 7);
    else b[at] = g.int(0, 255);
  }
  return b;
}
