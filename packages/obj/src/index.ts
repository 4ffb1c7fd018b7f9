export * from './insn/instruction.js';
export * from './insn/opcodes.js';
export * from './insn/helpers.js';
export { assemble, AsmError, type AsmOptions } from './insn/asm.js';
export { disassemble, rawInsn } from './insn/disasm.js';
export { ProgramBuilder, type Reg, type AluOp, type JumpTarget } from './insn/builder.js';
export {
  BtfReader, BtfParseError, BtfKind, BTF_KIND_NAMES, type BtfReadOptions, type BtfHeader, type BtfKindName, type BtfType,
  type BtfTypeOf, type BtfInt, type BtfRef, type BtfArray, type BtfMember, type BtfComposite, type BtfEnum, type BtfEnum64,
  type BtfEnumValue, type BtfFwd, type BtfFunc, type BtfParam, type BtfFuncProto, type BtfVar, type BtfVarSecinfo,
  type BtfDatasec, type BtfFloat, type BtfDeclTag, type BtfLinkage,
} from './btf/reader.js';
export { ElfFile, ElfParseError, ElfSymbolError, ElfType, SectionType, SymbolType, SymbolBind, type ElfSection, type ElfSymbol, type FunctionOffset } from './elf/symbols.js';
export { BtfWriter, type BtfWriterMember, type BtfWriterParam, type BtfWriterSecVar, type BtfWriterLinkage } from './btf/writer.js';
