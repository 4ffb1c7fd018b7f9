// Encode allocated machine IR with @lockne/obj's ProgramBuilder. Records, per
// emitted slot, the TS position (→ BTF line_info) and which LD_IMM64 slots name a
// map (→ relocations the loader or the ELF writer resolves).
import { ProgramBuilder, type Instruction, type Reg } from '@lockne/obj';
import type { SourcePos } from '../diagnostics.js';
import type { CoreRelo } from '../ir/ir.js';
import type { MFunction, MReg } from './mir.js';

export interface LineRecord { readonly insnOff: number; readonly pos: SourcePos }
export interface MapReloc { readonly insnOff: number; readonly map: string }
/** An LD_IMM64 that must hold subprogram `func`'s address (BPF_PSEUDO_FUNC). */
export interface FuncReloc { readonly insnOff: number; readonly func: string }
/** An instruction whose immediate is a CO-RE relocation (a .BTF.ext core_relo record). */
export interface CoreReloc { readonly insnOff: number; readonly relo: CoreRelo }

export interface EmittedProgram {
  readonly instructions: Instruction[];
  /** One record wherever the source position changes (clang does the same). */
  readonly lines: LineRecord[];
  readonly mapRelocs: MapReloc[];
  readonly funcRelocs: FuncReloc[];
  readonly coreRelocs: CoreReloc[];
  /** Position of every slot (the second slot of LD_IMM64 repeats the first). */
  readonly slotPos: SourcePos[];
  readonly stackSize: number;
}

/**
 * The program cannot be encoded: a jump spans more than a 16-bit offset (±32767 slots),
 * which is all a BPF_JMP/JMP32 instruction holds. Reported as LK5005 at `pos`, the jump's source.
 */
export class JumpOutOfRange extends Error {
  constructor(readonly pos: SourcePos, readonly distance: number) {
    super(`a jump spans ${distance} instructions; eBPF jump offsets are 16-bit (at most 32767)`);
  }
}

const JUMP_MAX = 0x7fff;

function p(r: MReg): Reg {
  if (r.kind !== 'p') throw new Error(`internal: virtual register v${r.v} survived allocation`);
  return r.p;
}

export function emitProgram(fn: MFunction): EmittedProgram {
  const b = new ProgramBuilder();
  const slotPos: SourcePos[] = [];
  const mapRelocs: MapReloc[] = [];
  const funcRelocs: FuncReloc[] = [];
  const coreRelocs: CoreReloc[] = [];
  /** Block starts and jumps, to check offsets before encoding (the builder would only throw). */
  const starts = new Map<number, number>();
  const jumps: Array<{ at: number; target: number; pos: SourcePos }> = [];
  for (const blk of fn.blocks) {
    starts.set(blk.id, b.length);
    b.label(`b${blk.id}`);
    for (const i of blk.insts) {
      const at = b.length;
      switch (i.k) {
        case 'mov':
          if (i.core) coreRelocs.push({ insnOff: at, relo: i.core });
          if (i.src.kind === 'imm') i.w64 ? b.mov64Imm(p(i.dst), i.src.imm) : b.mov32Imm(p(i.dst), i.src.imm);
          else i.w64 ? b.mov64Reg(p(i.dst), p(i.src)) : b.mov32Reg(p(i.dst), p(i.src));
          break;
        case 'alu':
          if (i.src.kind === 'imm') i.w64 ? b.alu64Imm(i.op, p(i.dst), i.src.imm) : b.alu32Imm(i.op, p(i.dst), i.src.imm);
          else i.w64 ? b.alu64Reg(i.op, p(i.dst), p(i.src)) : b.alu32Reg(i.op, p(i.dst), p(i.src));
          break;
        case 'neg': i.w64 ? b.neg64(p(i.dst)) : b.neg32(p(i.dst)); break;
        case 'end': b.endian('be', p(i.dst), i.bits); break;
        case 'atomic': b.atomic(i.op, i.size, p(i.base), p(i.src), i.off); break;
        case 'movsx': b.movsx64(p(i.dst), p(i.src), i.bits); break;
        case 'ld64': b.ldImm64(p(i.dst), i.value); break;
        case 'ldmap':
          // A function address keeps src 0: the loader (libbpf, @lockne/obj's linker) sets BPF_PSEUDO_FUNC.
          if (i.fn) { funcRelocs.push({ insnOff: at, func: i.map }); b.ldImm64(p(i.dst), 0n); } else { mapRelocs.push({ insnOff: at, map: i.map }); b.ldMapFd(p(i.dst), 0); }
          break;
        case 'ldx':
          if (i.core) coreRelocs.push({ insnOff: at, relo: i.core });
          b.ldxMem(i.size, p(i.dst), p(i.base), i.off);
          break;
        case 'stx': b.stxMem(i.size, p(i.base), p(i.src), i.off); break;
        case 'st': b.stMem(i.size, p(i.base), i.off, i.imm); break;
        case 'call': b.call(i.helper); break;
        case 'exit': b.exit(); break;
        case 'ja': jumps.push({ at, target: i.target, pos: i.pos }); b.ja(`b${i.target}`); break;
        case 'jcc':
          jumps.push({ at, target: i.target, pos: i.pos });
          if (i.b.kind === 'imm') i.w32 ? b.jmp32Imm(i.op, p(i.a), i.b.imm, `b${i.target}`) : b.jmpImm(i.op, p(i.a), i.b.imm, `b${i.target}`);
          else i.w32 ? b.jmp32Reg(i.op, p(i.a), p(i.b), `b${i.target}`) : b.jmpReg(i.op, p(i.a), p(i.b), `b${i.target}`);
          break;
      }
      while (slotPos.length < b.length) slotPos.push(i.pos);
    }
  }
  for (const j of jumps) {
    const rel = (starts.get(j.target) ?? j.at + 1) - (j.at + 1);
    if (rel > JUMP_MAX || rel < -JUMP_MAX - 1) throw new JumpOutOfRange(j.pos, rel);
  }
  const lines: LineRecord[] = [];
  slotPos.forEach((pos, off) => {
    const prev = lines[lines.length - 1];
    if (pos.line === 0) return;
    if (!prev || prev.pos.line !== pos.line || prev.pos.column !== pos.column || prev.pos.file !== pos.file) lines.push({ insnOff: off, pos });
  });
  return { instructions: b.build(), lines, mapRelocs, funcRelocs, coreRelocs, slotPos, stackSize: fn.frame.size };
}
