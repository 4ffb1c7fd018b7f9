// What a *.bpf.ts module may import (LK1010): `@lockne/kernel`, other `*.bpf.ts`
// modules, and constant modules — relative modules whose top level holds only
// imports, types, enums and `const` declarations (integer constants, struct()
// layouts). Anything else would run in Node, not in the kernel: node: builtins,
// npm packages, @lockne/bpf, modules with functions, classes or state.
// Type-only imports are erased and always allowed.
//
// @example
// import { xdp, XdpAction } from '@lockne/kernel';   // ok
// import { PORT, Flow } from './consts.js';          // ok: consts.ts has only `export const` / types
// import { readFileSync } from 'node:fs';            // LK1010
import ts from 'typescript';

const KERNEL = '@lockne/kernel';

/** Why a top-level statement keeps a module from being a constant module, or undefined. */
function nonConstant(st: ts.Statement): string | undefined {
  if (ts.isImportDeclaration(st) || ts.isExportDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isInterfaceDeclaration(st) ||
    ts.isEnumDeclaration(st) || ts.isEmptyStatement(st) || ts.isModuleDeclaration(st)) return undefined;
  if (ts.isVariableStatement(st) && st.declarationList.flags & ts.NodeFlags.Const) return undefined;
  if (ts.isFunctionDeclaration(st) && !st.body) return undefined; // an overload or `declare function`
  const line = st.getSourceFile().getLineAndCharacterOfPosition(st.getStart()).line + 1;
  const what = ts.isFunctionDeclaration(st) ? `function ${st.name?.text ?? ''}` : ts.isClassDeclaration(st) ? 'a class'
    : ts.isVariableStatement(st) ? 'a `let`/`var`' : 'a statement';
  return `it declares ${what} at line ${line}`;
}

/**
 * Why `imp` is not allowed in a *.bpf.ts module (the message of LK1010), or
 * undefined. `checker` resolves relative modules to their source.
 */
export function importProblem(checker: ts.TypeChecker, imp: ts.ImportDeclaration): string | undefined {
  const spec = ts.isStringLiteral(imp.moduleSpecifier) ? imp.moduleSpecifier.text : '?';
  const clause = imp.importClause;
  const typeOnly = !!clause && (clause.isTypeOnly ||
    (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) &&
      clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
  if (typeOnly || spec === KERNEL) return undefined;
  const instead = `import from '${KERNEL}', other *.bpf.ts modules or modules of constants`;
  if (!spec.startsWith('.') && !spec.startsWith('/')) {
    return `'${spec}' cannot be imported into a *.bpf.ts module (it runs in Node, not in the kernel): ${instead}`;
  }
  const mod = checker.getSymbolAtLocation(imp.moduleSpecifier);
  const sf = mod?.valueDeclaration && ts.isSourceFile(mod.valueDeclaration) ? mod.valueDeclaration : undefined;
  if (!sf) return `'${spec}' does not resolve to a TypeScript module: ${instead}`;
  if (sf.isDeclarationFile) return `'${spec}' is compiled JavaScript (${sf.fileName.split('/').pop()}): its code runs in Node, not in the kernel: ${instead}`;
  if (/\.bpf\.(ts|mts)$/.test(sf.fileName)) return undefined;
  for (const st of sf.statements) {
    const why = nonConstant(st);
    if (why) return `'${spec}' is neither a *.bpf.ts module nor a module of constants (${why}): move that code into a *.bpf.ts module`;
  }
  return undefined;
}
