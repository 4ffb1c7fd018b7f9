// Creates the TS program for one *.bpf.ts file: its own source (from disk or
// given in memory) type-checked against @lockne/kernel's declarations, wherever
// the file lives.
import ts from 'typescript';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

/** Directory of the @lockne/kernel package (…/packages/kernel). */
export function kernelPackageDir(): string {
  const main = require.resolve('@lockne/kernel'); // …/dist/src/index.js
  return path.resolve(path.dirname(main), '..', '..');
}

export const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  lib: ['lib.es2022.d.ts'],
};

export interface SourceInput {
  /** Path used in diagnostics and line info. */
  file: string;
  /** Text of the file; read from disk when absent. */
  source?: string;
}

// lib.*.d.ts and @lockne/kernel parse once per process: compiles after the first are fast.
const shared = new Map<string, ts.SourceFile>();

export function createTsProgram(input: SourceInput): ts.Program {
  const file = path.resolve(input.file);
  const host = ts.createCompilerHost(COMPILER_OPTIONS, true);
  const rawGet = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) => {
    if (path.resolve(name) === file) return rawGet(name, lang, onError, create);
    let sf = shared.get(name);
    if (!sf) { sf = rawGet(name, lang, onError, create); if (sf) shared.set(name, sf); }
    return sf;
  };
  const kernelDts = path.join(kernelPackageDir(), 'dist', 'src', 'index.d.ts');
  const baseGet = host.getSourceFile.bind(host);
  const baseExists = host.fileExists.bind(host);
  const baseRead = host.readFile.bind(host);
  if (input.source !== undefined) {
    const text = input.source;
    host.getSourceFile = (name, lang, onError, create) =>
      path.resolve(name) === file ? ts.createSourceFile(name, text, lang, true) : baseGet(name, lang, onError, create);
    host.fileExists = (name) => path.resolve(name) === file || baseExists(name);
    host.readFile = (name) => (path.resolve(name) === file ? text : baseRead(name));
  }
  // '@lockne/kernel' resolves to this compiler's copy, so files outside the workspace work too.
  host.resolveModuleNameLiterals = (lits, containing, _redirect, options) => lits.map((lit) => {
    if (lit.text === '@lockne/kernel') {
      return { resolvedModule: { resolvedFileName: kernelDts, extension: ts.Extension.Dts, isExternalLibraryImport: true } };
    }
    return ts.resolveModuleName(lit.text, containing, options, host);
  });
  return ts.createProgram({ rootNames: [file], options: COMPILER_OPTIONS, host });
}
