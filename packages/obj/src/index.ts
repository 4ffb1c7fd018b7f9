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
export { btfToTypeScript, BtfTsError, type BtfToTsOptions } from './btf/ts-printer.js';
export { parseObject, type ParseObjectOptions } from './object/parse.js';
export type { ObjectSpec, ProgramSpec, SectionDef, Relocation, CoreRelo, MapSpec, ExternSpec, BtfLayout } from './object/spec.js';
export { ObjectParseError } from './object/errors.js';
export { findSectionDef, SECTION_PATTERNS } from './object/section-defs.js';
export { CoreReloKind, coreKindLabel, type CoreReloKindName } from './core/kinds.js';
export { CoreReloError, type CoreErrno, type CoreReloErrorContext } from './core/errors.js';
export { CoreResolver, type CoreResult, type CoreReloQuery, type CoreReloWhere, type CoreResolverOptions } from './core/resolve.js';
export { patchCoreInsn, corePoisonInsn, CORE_POISON_IMM, type CorePatch } from './core/patch.js';
export { applyCoreRelos, poisonedAt, type CoreApplied, type CoreOutcome } from './core/apply.js';
export { essentialName } from './core/btf-ops.js';
export {
  fixupBtf, sanitizeBtf, prepareBtfForKernel, BtfFixupError, ALL_BTF_FEATURES,
  type BtfFeatures, type BtfSectionInfo, type BtfFixupOptions,
} from './btf/fixup.js';
export { ObjectWriter, type ObjectWriterOptions } from './writer/object-writer.js';
export { BtfExtWriter, type BtfExtLineInput, type BtfExtCoreReloInput } from './writer/btf-ext-writer.js';
export { appendBtfStrings } from './writer/btf-strings.js';
export type { ProgramInput, SubprogramInput, CodeInput, MapDefInput, GlobalInput, FuncInfoInput, LineInfoInput, RelocationInput, CoreReloInput } from './writer/types.js';
