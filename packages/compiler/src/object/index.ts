// ELF object output of the compiler.
export { buildObject, ObjectBuildError, type BuildObjectOptions } from './build.js';
export { CompilerBtf } from './btf-types.js';
