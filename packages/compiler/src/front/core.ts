// Kernel structs with CO-RE relocations: `kernelStruct(name, {...})` declares the
// members a program reads; `core.*` reads them through a kernel address.
//   core.read(S, base, 'f')          → r = <off of f> (CO-RE byte_off "0:i"); src = base + r;
//                                      bpf_probe_read_kernel(&slot, sizeof(f), src); load slot
//   core.readInto(buf, S, base, 'f') → the same straight into a fixed array of the program's memory
//   core.fieldExists(S, 'f')         → r = 1 (CO-RE field_exists), 0 on a kernel without f
//   core.fieldSize(S, 'f')           → r = sizeof(f) (CO-RE byte_sz)
//   core.structExists(S)             → r = 1 (CO-RE type_exists "0")
// Through a trusted kernel pointer (a KernelRef, from bpf.getCurrentTaskBtf()) a
// read is a plain load, as clang emits `task->tgid` under preserve_access_index:
//   core.read(S, ref, 'f')           → r = *(w *)(ref + <off of f>), the CO-RE record on the
//                                      load itself (its offset is relocated); an array field
//                                      is bpf_probe_read_kernel from `ref + <off>`.
// The relocated constants are `coreConst` IR values (never folded), emitted as a
// 64-bit move whose immediate the loader patches, as clang does for
// __builtin_preserve_access_index; object/build.ts writes the local struct's BTF
// (only the declared members) and a .BTF.ext core_relo record per move.
//
// @example
// export const Task = kernelStruct('task_struct', { tgid: i32, real_parent: kernelPtr('task_struct') });
// const ppid = core.read(Task, core.read(Task, bpf.getCurrentTask(), 'real_parent'), 'tgid');
import ts from 'typescript';
import path from 'node:path';
import { CoreReloKind, helperId } from '@lockne/obj';
import { konst, reg, type CoreRelo, type KernelFieldTy, type KernelStructTy, type Operand, type VReg } from '../ir/ir.js';
import { INT, btfPtr, layoutAlign, layoutSize, memoryKind, ptr, sameTy, type IntTy } from '../ir/types.js';
import type { SourcePos } from '../diagnostics.js';
import { evalDesc, layoutOfDesc, type Desc } from './layout.js';
import { checkGplHelper } from './gpl.js';
import { bufferArg } from './helper-memory.js';
import { lowerExpr } from './expressions.js';
import { isKernelDecl, kernelSymbol, widthOf } from './kernel.js';
import type { Lowerer, Mem, ModuleInfo, Val } from './lower.js';

const PROBE_READ_KERNEL = helperId('bpf_probe_read_kernel')!;

function unwrap(node: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node)) node = node.expression;
  return node;
}

/** True for the `core.*` functions (declared in @lockne/kernel's core module). */
export function isCoreFunction(sym: ts.Symbol | undefined): boolean {
  return !!sym?.declarations?.some((d) => isKernelDecl(d) && /^core\.(d\.)?ts$/.test(path.basename(d.getSourceFile().fileName)));
}

interface KernelStructDesc { readonly kind: 'kernelStruct'; readonly name: string; readonly size: number; readonly fields: ReadonlyArray<{ readonly name: string; readonly offset: number; readonly type: Desc & { readonly pointee?: string } }> }

function isKernelStructDesc(d: unknown): d is KernelStructDesc {
  return typeof d === 'object' && d !== null && (d as { kind?: unknown }).kind === 'kernelStruct';
}

/**
 * The kernel struct a `kernelStruct(...)` expression (or a const holding one)
 * declares, or a message saying what is wrong with it. Integers, kernelPtr()
 * and arrays of integers only: an embedded struct would need its own kernel
 * type name for the relocation to match.
 */
export function kernelStructOfExpr(checker: ts.TypeChecker, e: ts.Expression): KernelStructTy | string {
  const d = evalDesc(checker, e);
  if (!isKernelStructDesc(d)) return `'${e.getText()}' is not a kernelStruct(...) declaration built from constant descriptors`;
  const fields: KernelFieldTy[] = [];
  for (const f of d.fields) {
    const ty = layoutOfDesc(f.type);
    const elemPtr = f.type.kind === 'array' && (f.type.element as { pointee?: string } | undefined)?.pointee !== undefined;
    if (!ty || ty.kind === 'struct' || (ty.kind === 'array' && ty.elem.kind !== 'int') || elemPtr) {
      return `kernel struct ${d.name}: field '${f.name}' must be an integer, kernelPtr('...') or array(<integer>, N)`;
    }
    fields.push({ name: f.name, off: f.offset, ty, ...(f.type.pointee === undefined ? {} : { ptrTo: f.type.pointee }) });
  }
  return { kind: 'kernelStruct', name: d.name, size: d.size, fields };
}

function sameStruct(a: KernelStructTy, b: KernelStructTy): boolean {
  return a.size === b.size && a.fields.length === b.fields.length
    && a.fields.every((f, i) => { const g = b.fields[i]!; return f.name === g.name && f.off === g.off && f.ty.name === g.ty.name && f.ptrTo === g.ptrTo; });
}

/** Register a declaration: one layout per BTF name in a module (the loader matches by name). */
export function declareKernelStruct(info: ModuleInfo, ks: KernelStructTy): string | undefined {
  const known = (info.kernelStructs ??= new Map()).get(ks.name);
  if (known && !sameStruct(known, ks)) return `kernel struct '${ks.name}' is declared twice with different members: declare it once (or give one a flavour, '${ks.name}___v2')`;
  if (!known) info.kernelStructs.set(ks.name, ks);
  return undefined;
}

function structArg(L: Lowerer, arg: ts.Expression | undefined, node: ts.Node): KernelStructTy {
  if (!arg) return L.fail('LK1001', `${node.getText()}: missing the kernelStruct argument`, node);
  const ks = kernelStructOfExpr(L.checker, arg);
  if (typeof ks === 'string') return L.fail('LK4005', ks, arg);
  const dup = declareKernelStruct(L.mod, ks);
  if (dup) return L.fail('LK4004', dup, arg);
  return L.mod.kernelStructs!.get(ks.name)!;
}

function fieldArg(L: Lowerer, ks: KernelStructTy, arg: ts.Expression | undefined, node: ts.Node): { f: KernelFieldTy; index: number } {
  if (!arg) return L.fail('LK1001', `${node.getText()}: missing the field name`, node);
  const e = unwrap(arg);
  if (!ts.isStringLiteralLike(e)) return L.fail('LK4005', `the field of kernel struct ${ks.name} must be a string literal ('${ks.fields[0]!.name}')`, arg);
  const index = ks.fields.findIndex((f) => f.name === e.text);
  if (index < 0) {
    return L.fail('LK3010', `kernel struct ${ks.name} declares no field '${e.text}' (declared: ${ks.fields.map((f) => f.name).join(', ')}): add it to its kernelStruct(...) with the kernel's name and type`, arg);
  }
  return { f: ks.fields[index]!, index };
}

/** `dst = value` relocated by the loader (kind of `ks`, access string). */
function coreConst(L: Lowerer, ty: IntTy, value: number, relo: CoreRelo, pos: SourcePos): VReg {
  const dst = L.b.vreg(ty);
  L.b.emit({ op: 'coreConst', dst, value: BigInt(value), relo, pos });
  return dst;
}

/** `task_struct` for `task_struct___v1` (libbpf: the flavour suffix names the same kernel struct). */
const kernelName = (name: string): string => name.replace(/___.*$/, '');

/**
 * The base of a read: a trusted kernel pointer (`KernelRef<'x'>`, PTR_TO_BTF_ID) whose
 * struct must be the one `ks` describes, or a kernel address (`u64`) for probe_read.
 */
function baseOf(L: Lowerer, ks: KernelStructTy, baseArg: ts.Expression | undefined, node: ts.Node): { btf: VReg } | { addr: Operand } {
  if (!baseArg) return L.fail('LK1001', `${node.getText()}: missing the kernel address`, node);
  const declared = widthOf(L.checker, L.checker.getTypeAtLocation(baseArg));
  if (declared?.kind !== 'ptr' || declared.ptr !== 'btf') return { addr: L.operand(lowerExpr(L, baseArg, INT.u64), INT.u64, baseArg).op };
  const v = L.operand(lowerExpr(L, baseArg), undefined, baseArg);
  if (v.op.kind !== 'reg' || v.ty.kind !== 'ptr' || v.ty.ptr !== 'btf') return L.fail('LK3010', `'${baseArg.getText()}' is not a kernel pointer`, baseArg);
  if (v.ty.btf !== kernelName(ks.name)) {
    return L.fail('LK3010', `'${baseArg.getText()}' points to struct ${v.ty.btf}, and ${ks.name} describes struct ${kernelName(ks.name)}: read it with a kernelStruct('${v.ty.btf}', ...)`, baseArg);
  }
  return { btf: v.op.reg };
}

/** `base + offsetof(ks, f)`, the offset relocated (FIELD_BYTE_OFFSET, access "0:index"). */
function fieldAddress(L: Lowerer, ks: KernelStructTy, index: number, baseArg: ts.Expression | undefined, node: ts.Node, base = baseOf(L, ks, baseArg, node)): VReg {
  const pos = L.pos(node);
  const off = coreConst(L, INT.u64, ks.fields[index]!.off, { struct: ks, access: `0:${index}`, kind: CoreReloKind.FIELD_BYTE_OFFSET }, pos);
  if ('btf' in base) {
    // PTR_TO_BTF_ID + a known constant: still the kernel struct to the verifier (probe_read's source).
    const src = L.b.vreg(btfPtr(base.btf.ty.kind === 'ptr' ? base.btf.ty.btf ?? '' : ''));
    L.b.emit({ op: 'ptradd', dst: src, base: base.btf, off: reg(off), pos });
    return src;
  }
  const src = L.b.vreg(INT.u64);
  L.b.emit({ op: 'bin', dst: src, bin: 'add', a: base.addr, b: reg(off), ty: INT.u64, pos });
  return src;
}

/**
 * `ref->f` for an integer or pointer field: one load whose offset the loader
 * relocates. The verifier checks it against the kernel's BTF; a pointer field
 * gives a kernel pointer again (trusted or RCU for task_struct's real_parent and
 * group_leader, an untrusted one for the rest: still readable this way).
 */
function directRead(L: Lowerer, ks: KernelStructTy, index: number, base: VReg, node: ts.Node): Val {
  const f = ks.fields[index]!;
  if (f.ty.kind !== 'int') throw new Error('internal: directRead of an array field');
  const dst = L.b.vreg(f.ptrTo !== undefined ? btfPtr(kernelName(f.ptrTo)) : f.ty);
  L.b.emit({ op: 'load', dst, base, off: f.off, ty: f.ty, pos: L.pos(node), core: { struct: ks, access: `0:${index}`, kind: CoreReloKind.FIELD_BYTE_OFFSET } });
  return { kind: 'val', op: reg(dst), ty: dst.ty };
}

/**
 * `dst = core.read(S, base, 'f')` where `dst` is a struct member or array on the
 * stack or in a map value of f's exact type: the helper writes there directly
 * (as clang's BPF_CORE_READ_INTO), with no temporary and no copy. False when `e`
 * is not such a read (the caller lowers it the ordinary way).
 */
export function coreReadInPlace(L: Lowerer, e: ts.Expression, dst: Mem): boolean {
  if (!ts.isCallExpression(e) || e.arguments.length !== 3 || dst.index?.length) return false;
  const callee = unwrap(e.expression);
  const sym = kernelSymbol(L.checker, ts.isPropertyAccessExpression(callee) ? callee.name : callee);
  if (!sym || sym.name !== 'read' || !isCoreFunction(sym)) return false;
  const kind = memoryKind(dst.base.ty);
  if (kind !== 'stack' && kind !== 'map_value') return false;
  const ks = structArg(L, e.arguments[0], e);
  const { f, index } = fieldArg(L, ks, e.arguments[2], e);
  // Through a kernel pointer an integer is one load: the ordinary assignment stores it.
  if (f.ty.kind === 'int' && widthOf(L.checker, L.checker.getTypeAtLocation(e.arguments[1]!))?.kind === 'ptr') return false;
  const same = f.ty.kind === 'int' ? dst.layout.kind === 'int' && sameTy(f.ty, dst.layout) : f.ty.name === dst.layout.name && layoutSize(f.ty) === layoutSize(dst.layout);
  if (!same) return false;
  checkGplHelper(L, 'bpf_probe_read_kernel', e);
  const src = fieldAddress(L, ks, index, e.arguments[1], e);
  const pos = L.pos(e);
  const p = L.b.vreg(ptr(kind, dst.layout));
  L.b.emit({ op: 'ptradd', dst: p, base: dst.base, off: konst(BigInt(dst.off), INT.u64), pos });
  L.b.emit({ op: 'call', dst: L.b.vreg(INT.i64), helper: PROBE_READ_KERNEL, args: [reg(p), konst(BigInt(layoutSize(f.ty)), INT.u32), reg(src)], pos });
  return true;
}

/** `core.<name>(...)`: a CO-RE read or query. */
export function coreCall(L: Lowerer, name: string, node: ts.CallExpression): Val {
  const args = node.arguments;
  const pos = L.pos(node);
  switch (name) {
    case 'read': {
      if (args.length !== 3) return L.fail('LK1001', 'core.read(Struct, address, field) takes three arguments', node);
      const ks = structArg(L, args[0], node);
      const { f, index } = fieldArg(L, ks, args[2], node);
      const base = baseOf(L, ks, args[1], node);
      if ('btf' in base && f.ty.kind === 'int') return directRead(L, ks, index, base.btf, node);
      checkGplHelper(L, 'bpf_probe_read_kernel', node);
      const src = fieldAddress(L, ks, index, args[1], node, base);
      const size = layoutSize(f.ty);
      const slot = L.b.vreg(ptr('stack', f.ty));
      L.b.emit({ op: 'slot', dst: slot, size, align: Math.max(layoutAlign(f.ty), 8), pos });
      L.b.emit({ op: 'call', dst: L.b.vreg(INT.i64), helper: PROBE_READ_KERNEL, args: [reg(slot), konst(BigInt(size), INT.u32), reg(src)], pos });
      if (f.ty.kind !== 'int') return { kind: 'val', op: reg(slot), ty: slot.ty };
      // The helper zeroes the slot when the read faults, so a bad address reads 0.
      const dst = L.b.vreg(f.ty);
      L.b.emit({ op: 'load', dst, base: slot, off: 0, ty: f.ty, pos });
      return { kind: 'val', op: reg(dst), ty: f.ty };
    }
    case 'readInto': {
      if (args.length !== 4) return L.fail('LK1001', 'core.readInto(into, Struct, address, field) takes four arguments', node);
      const buf = bufferArg(L, args[0]!);
      const ks = structArg(L, args[1], node);
      const { f, index } = fieldArg(L, ks, args[3], node);
      if (f.ty.kind !== 'array') return L.fail('LK3010', `core.readInto copies array fields; '${f.name}' of ${ks.name} is a ${f.ty.name}: use core.read`, args[3]!);
      if (buf.size !== f.ty.size) return L.fail('LK3010', `'${args[0]!.getText()}' is ${buf.size} bytes and field '${f.name}' of ${ks.name} ${f.ty.size}: they must match`, args[0]!);
      checkGplHelper(L, 'bpf_probe_read_kernel', node);
      const src = fieldAddress(L, ks, index, args[2], node);
      const dst = L.b.vreg(INT.i64);
      L.b.emit({ op: 'call', dst, helper: PROBE_READ_KERNEL, args: [buf.p, konst(BigInt(buf.size), INT.u32), reg(src)], pos });
      return { kind: 'val', op: reg(dst), ty: INT.i64 };
    }
    case 'fieldExists':
    case 'fieldSize': {
      if (args.length !== 2) return L.fail('LK1001', `core.${name}(Struct, field) takes two arguments`, node);
      const ks = structArg(L, args[0], node);
      const { f, index } = fieldArg(L, ks, args[1], node);
      const exists = name === 'fieldExists';
      const relo: CoreRelo = { struct: ks, access: `0:${index}`, kind: exists ? CoreReloKind.FIELD_EXISTS : CoreReloKind.FIELD_BYTE_SIZE };
      return { kind: 'val', op: reg(coreConst(L, INT.u32, exists ? 1 : layoutSize(f.ty), relo, pos)), ty: INT.u32 };
    }
    case 'structExists': {
      if (args.length !== 1) return L.fail('LK1001', 'core.structExists(Struct) takes one argument', node);
      const ks = structArg(L, args[0], node);
      return { kind: 'val', op: reg(coreConst(L, INT.u32, 1, { struct: ks, access: '0', kind: CoreReloKind.TYPE_EXISTS }, pos)), ty: INT.u32 };
    }
  }
  return L.fail('LK1001', `core.${name}() is not something a program can call (read, readInto, fieldExists, fieldSize, structExists)`, node);
}
