export * from './insn/instruction.js';
