// Recognising @lockne/kernel declarations (by symbol, never by spelling alone)
// and reading integer widths off TS types (the optional `width` brand).
import ts from 'typescript';
import path from 'node:path';
import { BOOL, INT, btfPtr, isIntName, type IntTy, type Ty } from '../ir/types.js';
import { kernelPackageDir } from './host.js';

const KERNEL_DIR = kernelPackageDir() + path.sep;
// be16/be32 are unsigned 16/32-bit values in network order; arithmetic treats them as u16/u32.
const ALIASES: Record<string, IntTy> = { be16: INT.u16, be32: INT.u32 };

/** Follow aliases (imports) to the declared symbol. */
export function resolveSymbol(checker: ts.TypeChecker, s: ts.Symbol | undefined): ts.Symbol | undefined {
  if (s && s.flags & ts.SymbolFlags.Alias) return checker.getAliasedSymbol(s);
  return s;
}

/** True when the declaration comes from @lockne/kernel. */
export function isKernelDecl(d: ts.Node | undefined): boolean {
  return !!d && path.resolve(d.getSourceFile().fileName).startsWith(KERNEL_DIR);
}

/** The kernel symbol an expression names, or undefined. */
export function kernelSymbol(checker: ts.TypeChecker, node: ts.Node): ts.Symbol | undefined {
  const s = resolveSymbol(checker, checker.getSymbolAtLocation(node));
  return s && s.declarations?.some(isKernelDecl) ? s : undefined;
}

function intByName(name: string): IntTy | undefined {
  if (isIntName(name)) return INT[name];
  return ALIASES[name];
}

/** The IR type a TS type denotes: a branded width, bool, or undefined for plain number/bigint and others. */
export function widthOf(checker: ts.TypeChecker, t: ts.Type): Ty | undefined {
  if (t.flags & ts.TypeFlags.BooleanLike) return BOOL;
  // Numeric enums (CgroupVerdict, XdpAction, a file's own `enum`): their members are i32 constants.
  if (t.flags & ts.TypeFlags.EnumLike || (t.isUnion() && t.types.every((u) => u.flags & ts.TypeFlags.EnumLike && u.isNumberLiteral()))) return INT.i32;
  const ref = kernelRefName(checker, t);
  if (ref !== undefined) return btfPtr(ref);
  const alias = t.aliasSymbol?.name;
  if (alias && t.aliasSymbol?.declarations?.some(isKernelDecl)) {
    const it = intByName(alias);
    if (it) return it;
  }
  if (t.isIntersection()) {
    for (const part of t.types) {
      for (const prop of checker.getPropertiesOfType(part)) {
        if (!prop.name.startsWith('__@width')) continue;
        const pt = checker.getTypeOfSymbol(prop);
        const lits = pt.isUnion() ? pt.types : [pt];
        for (const l of lits) if (l.isStringLiteral()) { const it = intByName(l.value); if (it) return it; }
      }
    }
  }
  return undefined;
}

/** `task_struct` for `KernelRef<'task_struct'>` (a trusted kernel pointer), else undefined. */
export function kernelRefName(checker: ts.TypeChecker, t: ts.Type): string | undefined {
  const sym = t.getSymbol();
  if (sym?.name !== 'KernelRef' || !sym.declarations?.some(isKernelDecl) || !(t.flags & ts.TypeFlags.Object)) return undefined;
  const arg = checker.getTypeArguments(t as ts.TypeReference)[0];
  return arg?.isStringLiteral() ? arg.value : undefined;
}
