// @lockne/compiler: a TypeScript subset (*.bpf.ts importing @lockne/kernel) → eBPF.
export { compileToInstructions, type CompileOptions, type CompiledModule, type CompiledProgram, type CompiledFunction, type CompiledSubprogram } from './compile.js';
export { formatAsm, type AsmInput } from './asm.js';
export { formatDiagnostic, type Diagnostic, type SourcePos } from './diagnostics.js';
export type { LineRecord, MapReloc, FuncReloc } from './back/emit.js';
export type { MapRef } from './ir/ir.js';
export type { IntTy, Ty, PtrKind, Layout, StructTy, ArrayTy, FieldTy } from './ir/types.js';
export { compile, type CompileToObjectOptions, type CompileResult } from './compile.js';
export { buildObject, ObjectBuildError, type BuildObjectOptions } from './object/index.js';
export { typed, codecOfLayout, ModuleMismatchError, type TypedModule, type TypedMaps, type TypedPrograms, type MapHandle, type Plain } from './userspace.js';
export { logReader, logTemplates, decodeLogRecord, type LogLine, type LogTemplate, type LogArgKind } from './log-reader.js';
