// Per-function lowering state shared by the expression, condition and statement
// visitors: the IR builder, locals, null-narrowing facts, loops, diagnostics.
import ts from 'typescript';
import type { DiagnosticCode } from '@lockne/kernel';
import { CompileAbort, type DiagnosticBag, type SourcePos } from '../diagnostics.js';
import { IrBuilder, type Signature } from '../ir/builder.js';
import { konst, type Block, type IrFunction, type KernelStructTy, type MapRef, type Operand, type VReg } from '../ir/ir.js';
import { fits, INT, sameTy, tyName, type IntTy, type Layout, type Ty } from '../ir/types.js';
import type { CtxKind } from './context-fields.js';
import type { LogState } from './log.js';

/** What an expression evaluates to before it is given a register. */
export type Val =
  | { readonly kind: 'val'; readonly op: Operand; readonly ty: Ty }
  /** An untyped integer constant: adopts the width its context needs. */
  | { readonly kind: 'lit'; readonly value: bigint; readonly big: boolean }
  | { readonly kind: 'map'; readonly map: MapRef }
  /** Memory holding a struct or array (a header view, map value or stack struct): read its fields. */
  | { readonly kind: 'mem'; readonly mem: Mem };

/**
 * A place in memory: base pointer + constant offset (+ variable array indexes,
 * checked and added only where the memory is accessed: memory.ts withElement), holding `layout`.
 */
export interface Mem {
  readonly base: VReg;
  readonly off: number;
  readonly layout: Layout;
  /** Variable indexes on the way (`a.b[i].c[j]`), outermost first. */
  readonly index?: readonly IndexTerm[];
  /** The context field this memory is part of (`userIp6` for `ctx.userIp6[i]`): writability is per field. */
  readonly ctxField?: string;
}

/** `+ idx * scale` with `idx < length` checked at the access (idx is a u64 operand). */
export interface IndexTerm { readonly idx: Operand; readonly length: number; readonly scale: number }

export type Local =
  | { readonly kind: 'var'; readonly vreg: VReg; readonly mutable: boolean }
  /** `const N = 10`: stays an untyped constant, substituted where used. */
  | { readonly kind: 'const'; readonly value: bigint; readonly big: boolean }
  /** An unrolled loop's counter in one iteration: a typed constant (`i: u32` is 3 here). */
  | { readonly kind: 'fixed'; readonly value: bigint; readonly ty: IntTy };

/**
 * Where `break`/`continue` go. A `switch` pushes one too (`isSwitch`): its `break` ends the switch, its
 * `cont` is the enclosing loop's (`continue` is refused when there is none).
 */
export interface Loop { readonly brk: Block; readonly cont: Block; readonly isSwitch?: boolean; readonly noContinue?: boolean }

/** A user function call being inlined: where its `return` goes and what it returns. */
export interface InlineFrame { readonly fn: ts.Node; readonly result: VReg | null; readonly exit: Block; readonly loops: number }

/** A function called through its address (a bpf_loop callback), emitted in `.text` with the program. */
export interface SubprogramIr {
  readonly name: string;
  /** The function whose code takes its address (the program, or an enclosing callback). */
  readonly caller: string;
  readonly ir: IrFunction;
}

export interface ModuleInfo {
  readonly checker: ts.TypeChecker;
  readonly sf: ts.SourceFile;
  readonly file: string;
  readonly diags: DiagnosticBag;
  /** Module-level map declarations by their symbol. */
  readonly maps: Map<ts.Symbol, MapRef>;
  /** From `license('...')`, once the declarations are read (GPL-only helpers check it). */
  license?: string;
  /** Compile options the front end reads. */
  readonly options?: { readonly logLevel?: number };
  /** kernelStruct() declarations read so far, by BTF name (one layout per name: front/core.ts). */
  kernelStructs?: Map<string, KernelStructTy>;
  /** Logging state (implicit ring buffer, templates), from the first log call on (front/log.ts). */
  log?: LogState;
}

export class Lowerer {
  readonly b: IrBuilder;
  readonly locals = new Map<ts.Symbol, Local>();
  /** Map-value pointers (vreg ids) proven non-null on the current path. */
  narrowed = new Set<number>();
  readonly loops: Loop[] = [];
  readonly checker: ts.TypeChecker;
  /** Functions being inlined (innermost last): `return` inside one jumps to its exit. */
  readonly inline: InlineFrame[] = [];
  /** Context fields this program kind may write (the kernel's *_is_valid_access). */
  writable: ReadonlySet<string> = new Set();
  /** Context fields this program kind may not even read (sockopt's retval at setsockopt). */
  hidden: ReadonlySet<string> = new Set();
  /** What a bare `return;` returns (bpf_loop callbacks: 0, continue); undefined where one is an error. */
  bareReturn: Operand | undefined;
  /** Callbacks of this program (shared with nested callbacks): emitted as its subprograms. */
  subprograms: SubprogramIr[] = [];
  /** The program's kind as declared (`cgroupSkb`, `tc`, ...): helpers differ between kinds sharing a ctx. */
  programKind = '';

  constructor(readonly mod: ModuleInfo, name: string, node: ts.Node, readonly ctxKind: CtxKind, readonly returnTy: IntTy, sig?: Signature) {
    this.checker = mod.checker;
    this.b = new IrBuilder(name, this.pos(node), sig);
  }

  pos(node: ts.Node): SourcePos {
    // A function inlined from another *.bpf.ts module keeps its own file in diagnostics and line info.
    const own = node.getSourceFile();
    const sf = own ?? this.mod.sf;
    const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    const starts = sf.getLineStarts();
    const text = sf.text.slice(starts[line], starts[line + 1] ?? sf.text.length).replace(/\r?\n$/, '');
    return { file: sf === this.mod.sf ? this.mod.file : sf.fileName, line: line + 1, column: character + 1, text };
  }

  /** Record a diagnostic and abandon this function (the caller catches CompileAbort). */
  fail(code: DiagnosticCode, message: string, node: ts.Node): never {
    this.mod.diags.report(code, message, this.pos(node));
    throw new CompileAbort();
  }

  /** Record a diagnostic and keep going (for problems that do not block lowering). */
  warn(code: DiagnosticCode, message: string, node: ts.Node): void {
    this.mod.diags.report(code, message, this.pos(node));
  }

  symbolOf(node: ts.Node): ts.Symbol | undefined {
    // `{ seq }` names the local `seq`, not the property.
    const s = ts.isShorthandPropertyAssignment(node.parent) && node.parent.name === node
      ? this.checker.getShorthandAssignmentValueSymbol(node.parent)
      : this.checker.getSymbolAtLocation(node);
    return s && s.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(s) : s;
  }

  /** A constant of type `ty`, checking that the literal fits (LK2002). */
  literal(value: bigint, ty: Ty, node: ts.Node): Operand {
    if (ty.kind === 'bool') return konst(value !== 0n ? 1n : 0n, ty);
    if (ty.kind === 'ptr') {
      if (value !== 0n) this.fail('LK1001', 'an integer cannot be used as a pointer', node);
      return konst(0n, ty);
    }
    if (!fits(value, ty)) this.fail('LK2002', `${value} does not fit in ${ty.name}`, node);
    return konst(value, ty);
  }

  /** Give `v` a type: `want` when given (literals adopt it, typed values must match it). */
  operand(v: Val, want: Ty | undefined, node: ts.Node): { op: Operand; ty: Ty } {
    if (v.kind === 'map') this.fail('LK6002', 'a map can only be used as the receiver of its methods', node);
    if (v.kind === 'mem') this.fail('LK3010', `a ${v.mem.layout.name} is not a single value here: use its fields`, node);
    if (v.kind === 'lit') {
      const ty = want ?? (v.big ? INT.i64 : INT.i32);
      return { op: this.literal(v.value, ty, node), ty };
    }
    if (want && !sameTy(v.ty, want)) this.mismatch(v.ty, want, node);
    return { op: v.op, ty: v.ty };
  }

  mismatch(have: Ty, want: Ty, node: ts.Node): never {
    if (have.kind === 'int' && want.kind === 'int') {
      if (have.bits === want.bits) this.fail('LK2004', `${have.name} and ${want.name} differ in signedness: convert explicitly (${want.name}(x))`, node);
      if (have.bits > want.bits) this.fail('LK2003', `${have.name} does not fit in ${want.name} implicitly: convert with ${want.name}(x)`, node);
      this.fail('LK2001', `${have.name} used where ${want.name} is expected: convert with ${want.name}(x)`, node);
    }
    if (have.kind === 'bool' && want.kind === 'int') this.fail('LK2009', `a bool used as ${want.name}: convert with ${want.name}(b)`, node);
    this.fail('LK3010', `${tyName(have)} used where ${tyName(want)} is expected`, node);
  }

  /** The common integer type of two operands (literals adopt the other side). */
  unify(a: Val, b: Val, node: ts.Node): { a: Operand; b: Operand; ty: Ty } {
    const typed = a.kind === 'val' ? a.ty : b.kind === 'val' ? b.ty : undefined;
    if (typed === undefined) {
      const ty = (a.kind === 'lit' && a.big) || (b.kind === 'lit' && b.big) ? INT.i64 : INT.i32;
      return { a: this.operand(a, ty, node).op, b: this.operand(b, ty, node).op, ty };
    }
    if (a.kind === 'val' && b.kind === 'val' && !sameTy(a.ty, b.ty)) {
      if (a.ty.kind === 'int' && b.ty.kind === 'int') {
        if (a.ty.bits === b.ty.bits) this.fail('LK2004', `${a.ty.name} and ${b.ty.name} differ in signedness: convert one explicitly`, node);
        this.fail('LK2001', `${a.ty.name} and ${b.ty.name} have different widths: convert one explicitly (${b.ty.name}(x) or ${a.ty.name}(x))`, node);
      }
      this.mismatch(b.ty, a.ty, node);
    }
    return { a: this.operand(a, typed, node).op, b: this.operand(b, typed, node).op, ty: typed };
  }
}
