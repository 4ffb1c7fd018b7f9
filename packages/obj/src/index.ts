export * from './insn/instruction.js';
export * from './insn/opcodes.js';
export * from './insn/helpers.js';
export { assemble, AsmError, type AsmOptions } from './insn/asm.js';
export { disassemble, rawInsn } from './insn/disasm.js';
export { ProgramBuilder, type Reg, type AluOp, type JumpTarget } from './insn/builder.js';
