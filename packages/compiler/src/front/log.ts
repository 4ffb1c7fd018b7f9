// Kernel logging: ``log.info`drop ${saddr} port ${port}` `` compiles to a
// compact record in an implicit ring buffer, never to string formatting:
//
//   if (lockne_log_level >= INFO) {              // .rodata: known to the verifier,
//     a = saddr; b = port;                       //   which drops the block when off
//     r = bpf_ringbuf_reserve(&lockne_log, 8 + 8 * argc, 0);
//     if (r) { r->level = 2; r->argc = 2; r->id = 7; r->args[0] = a; r->args[1] = b; bpf_ringbuf_submit(r, 0); }
//   }
//
// The record is LOG_RECORD (@lockne/kernel): u8 level, u8 argc, u16 0, u32
// template id, argc u64 values (signed ones sign-extended). The templates (text
// pieces, argument kinds, source line) are a JSON table in the object's
// `.rodata.lockne_log` section, which the loader keeps as a read-only map, so
// userspace (logReader in userspace/log-reader.ts) formats the lines. A level
// above the compile option `logLevel` is not compiled at all; one above the
// `lockne_log_level` rodata value (default INFO, set before load) is removed
// by the verifier's dead-code elimination.
//
// @example log.warn`dropped ${u32(ctx.ingressIfindex)} after ${n} tries`;
import ts from 'typescript';
import { helperId } from '@lockne/obj';
import { LOG_RECORD, LogLevel } from '@lockne/kernel';
import { konst, reg, type IrGlobal, type MapRef, type Operand } from '../ir/ir.js';
import { INT, type IntTy, type StructTy } from '../ir/types.js';
import { lowerExpr } from './expressions.js';
import { kernelSymbol } from './kernel.js';
import type { Lowerer, ModuleInfo, Val } from './lower.js';
import { LOG_NAMES, type LogArgKind, type LogTemplate } from '../log-format.js';

export { LOG_NAMES, type LogArgKind, type LogTemplate };

/** Size of the implicit ring buffer (a power of two, a page multiple). */
export const LOG_RING_SIZE = 64 * 1024;
/** Default of the `lockne_log_level` rodata: INFO and more severe. */
export const DEFAULT_LOG_LEVEL = LogLevel.INFO;

const LEVELS: Readonly<Record<string, LogLevel>> = { error: LogLevel.ERROR, warn: LogLevel.WARN, info: LogLevel.INFO, debug: LogLevel.DEBUG };
const RESERVE = helperId('bpf_ringbuf_reserve')!;
const SUBMIT = helperId('bpf_ringbuf_submit')!;

/** The logging state of a module: created at the first log call. */
export interface LogState {
  readonly ring: MapRef;
  readonly templates: LogTemplate[];
}

/** The `.rodata.lockne_log` table: versioned JSON, NUL-terminated. */
export function encodeLogTable(templates: readonly LogTemplate[]): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify({ version: 1, templates })}\0`);
}

/** The globals a logging module adds: the level (.rodata) and the template table (.rodata.lockne_log). */
export function logGlobals(state: LogState): IrGlobal[] {
  const table = encodeLogTable(state.templates);
  return [
    { name: LOG_NAMES.level, section: '.rodata', layout: INT.u32, bytes: Uint8Array.of(DEFAULT_LOG_LEVEL, 0, 0, 0) },
    { name: LOG_NAMES.table, section: LOG_NAMES.section, layout: { kind: 'array', name: `u8[${table.length}]`, elem: INT.u8, length: table.length, size: table.length, align: 1 }, bytes: table },
  ];
}

function logState(mod: ModuleInfo): LogState {
  if (!mod.log) {
    const ring: MapRef = { name: LOG_NAMES.ring, kind: 'ringbuf', key: INT.u8, value: INT.u8, maxEntries: LOG_RING_SIZE, className: 'RingBuf' };
    mod.log = { ring, templates: [] };
  }
  return mod.log;
}

/** `log.<level>` when `node` is a log call's tag, else undefined. */
export function logLevelOf(L: Lowerer, tag: ts.Expression): LogLevel | undefined {
  if (!ts.isPropertyAccessExpression(tag)) return undefined;
  const base = kernelSymbol(L.checker, tag.expression);
  if (base?.name !== 'log') return undefined;
  return Object.prototype.hasOwnProperty.call(LEVELS, tag.name.text) ? LEVELS[tag.name.text] : undefined;
}

/** The kind an argument prints as (be16/be32 from the TS type alias, else the IR width). */
function argKind(L: Lowerer, e: ts.Expression, v: Val): LogArgKind {
  const alias = L.checker.getTypeAtLocation(e).aliasSymbol?.name;
  if (alias === 'be16' || alias === 'be32') return alias;
  if (v.kind === 'val' && v.ty.kind === 'bool') return 'bool';
  if (v.kind === 'val' && v.ty.kind === 'int') return v.ty.name;
  return 'i64';
}

/** A call `log.info(...)` written as a plain call instead of a template tag. */
export function logCallMisuse(L: Lowerer, node: ts.CallExpression): Val | undefined {
  if (logLevelOf(L, node.expression) === undefined) return undefined;
  return L.fail('LK6003', `${node.expression.getText()} is a template tag: write ${node.expression.getText()}\`text \${value}\``, node);
}

/** Lower a ``log.<level>`...` `` tagged template (the statement's value is void). */
export function logCall(L: Lowerer, node: ts.TaggedTemplateExpression): Val {
  const level = logLevelOf(L, node.tag);
  if (level === undefined) return L.fail('LK1001', `tagged template '${node.tag.getText()}' is not supported (only log.error/warn/info/debug)`, node);
  const tpl = node.template;
  const text = ts.isNoSubstitutionTemplateLiteral(tpl) ? [tpl.text] : [tpl.head.text, ...tpl.templateSpans.map((s) => s.literal.text)];
  const exprs = ts.isNoSubstitutionTemplateLiteral(tpl) ? [] : tpl.templateSpans.map((s) => s.expression);
  if (exprs.length > LOG_RECORD.maxArgs) L.fail('LK6003', `a log template takes at most ${LOG_RECORD.maxArgs} substitutions (this one has ${exprs.length})`, node);
  const done: Val = { kind: 'val', op: konst(0n, INT.i32), ty: INT.i32 };
  const maxLevel = L.mod.options?.logLevel ?? LogLevel.DEBUG;
  if (level > maxLevel) return done; // compiled out: logLevel option
  const state = logState(L.mod);
  const pos = L.pos(node);
  const skip = L.b.newBlock();
  if (level > LogLevel.ERROR) {
    // Gate on the rodata level: a constant to the verifier, so a disabled call is dead code.
    const gp = L.b.vreg({ kind: 'ptr', ptr: 'map_value', pointee: INT.u32 });
    L.b.emit({ op: 'globalAddr', dst: gp, global: LOG_NAMES.level, pos });
    const cur = L.b.vreg(INT.u32);
    L.b.emit({ op: 'load', dst: cur, base: gp, off: 0, ty: INT.u32, pos });
    const on = L.b.newBlock();
    L.b.terminate({ op: 'cbr', cond: 'ge', a: reg(cur), b: konst(BigInt(level), INT.u32), ty: INT.u32, t: on, f: skip, pos });
    L.b.setBlock(on);
  }
  // Arguments first (they may branch or call helpers), then the record.
  const kinds: LogArgKind[] = [];
  const values: Operand[] = exprs.map((e) => {
    const v = lowerExpr(L, e);
    if (v.kind === 'lit') { kinds.push(v.value < 0n ? 'i64' : 'u64'); return konst(BigInt.asUintN(64, v.value), INT.u64); }
    if (v.kind !== 'val' || v.ty.kind === 'ptr') return L.fail('LK6003', `'${e.getText()}' is not an integer or bool: log substitutions are numbers`, e);
    kinds.push(argKind(L, e, v));
    if (v.ty.kind === 'bool') {
      const w = L.b.vreg(INT.u64);
      L.b.emit({ op: 'convert', dst: w, src: v.op, from: INT.u8, to: INT.u64, pos });
      return reg(w);
    }
    if (v.ty.bits === 64) return v.op;
    const to = v.ty.signed ? INT.i64 : INT.u64;
    const w = L.b.vreg(to);
    L.b.emit({ op: 'convert', dst: w, src: v.op, from: v.ty, to, pos });
    return reg(w);
  });
  const id = state.templates.length;
  state.templates.push({ level, text, args: kinds, file: pos.file.split('/').pop() ?? pos.file, line: pos.line });
  const size = LOG_RECORD.headerSize + LOG_RECORD.argSize * values.length;
  const rec: StructTy = { kind: 'struct', name: `lockne_log_record${values.length}`, size, align: 8, fields: [] };
  const r = L.b.vreg({ kind: 'ptr', ptr: 'map_value_or_null', pointee: rec });
  L.b.emit({ op: 'mapCall', dst: r, helper: RESERVE, map: state.ring, args: [konst(BigInt(size), INT.u64), konst(0n, INT.u64)], pos });
  const fill = L.b.newBlock();
  L.b.terminate({ op: 'cbr', cond: 'eq', a: reg(r), b: konst(0n, r.ty), ty: r.ty, t: skip, f: fill, pos });
  L.b.setBlock(fill);
  const header = BigInt(level) | (BigInt(values.length) << 8n) | (BigInt(id) << 32n);
  L.b.emit({ op: 'store', base: r, off: 0, value: konst(header, INT.u64), ty: INT.u64, pos });
  values.forEach((v, k) => L.b.emit({ op: 'store', base: r, off: LOG_RECORD.headerSize + k * LOG_RECORD.argSize, value: v, ty: INT.u64, pos }));
  L.b.emit({ op: 'call', dst: null, helper: SUBMIT, args: [reg(r), konst(0n, INT.u64)], pos });
  L.b.terminate({ op: 'br', target: skip, pos });
  L.b.setBlock(skip);
  return done;
}
