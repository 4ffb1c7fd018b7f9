// Global variables: `export const limit = rodata(u32, 100)`, `data(u64, 7n)`,
// `bss(u64)`. Each becomes a VAR in the .rodata/.data/.bss DATASEC of the ELF
// object (ObjectWriter.addGlobal); `limit.value` loads through an LD_IMM64 of
// the variable's address (R_BPF_64_64 → BPF_PSEUDO_MAP_VALUE at load).
// Userspace sets .rodata before load (BpfObject.load(o, { rodata: { limit: 5 } }))
// and reads .data/.bss through obj.globals. Integer widths only in this version.
//
// Minimum kernel 5.2 (global data).
import ts from 'typescript';
import type { IrGlobal } from '../ir/ir.js';
import { fits, type IntTy } from '../ir/types.js';
import { layoutOfExpr } from './layout.js';
import type { ModuleInfo } from './lower.js';
import { constExpr } from './constants.js';

const SECTIONS: Record<string, IrGlobal['section']> = { rodata: '.rodata', data: '.data', bss: '.bss' };

/** Globals declared in each module being lowered, by symbol. */
const byModule = new WeakMap<ModuleInfo, Map<ts.Symbol, IrGlobal>>();

export function isGlobalKind(kind: string): boolean {
  return Object.prototype.hasOwnProperty.call(SECTIONS, kind);
}

export function globalOf(info: ModuleInfo, sym: ts.Symbol | undefined): IrGlobal | undefined {
  return sym ? byModule.get(info)?.get(sym) : undefined;
}

/** Little-endian bytes of `v` at width `t`. */
function encode(v: bigint, t: IntTy): Uint8Array {
  const out = new Uint8Array(t.bits / 8);
  let x = BigInt.asUintN(t.bits, v);
  for (let i = 0; i < out.length; i++, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
}

/** The constant an initialiser denotes (literals, module constants, folded operators). */
function constant(info: ModuleInfo, e: ts.Expression): bigint | undefined {
  return constExpr(info, e)?.value;
}

/**
 * Declare `name = rodata|data|bss(type, initial?)`; reports (LK4005) and returns
 * undefined for a non-integer type or a non-constant / out-of-range initial value.
 */
export function declareGlobal(info: ModuleInfo, sym: ts.Symbol, name: string, kind: string, call: ts.CallExpression, report: (m: string, n: ts.Node) => void): IrGlobal | undefined {
  const [typeArg, initArg] = call.arguments;
  const layout = typeArg ? layoutOfExpr(info.checker, typeArg) : undefined;
  if (!layout || layout.kind !== 'int') {
    report(`global '${name}': this version supports integer globals only (${kind}(u32, ...))`, typeArg ?? call);
    return undefined;
  }
  let initial = 0n;
  if (kind !== 'bss') {
    const v = initArg ? constant(info, initArg) : undefined;
    if (v === undefined) { report(`global '${name}': the initial value must be an integer constant`, initArg ?? call); return undefined; }
    if (!fits(v, layout)) { report(`global '${name}': ${v} does not fit in ${layout.name}`, initArg!); return undefined; }
    initial = v;
  }
  const g: IrGlobal = { name, section: SECTIONS[kind]!, layout, bytes: encode(initial, layout) };
  let m = byModule.get(info);
  if (!m) byModule.set(info, (m = new Map()));
  m.set(sym, g);
  return g;
}
