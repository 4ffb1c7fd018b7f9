// `for (const x of arr)` over a FixedArray of integers (a struct field
// `array(T, n)` of a map value, stack struct or header view): a loop of
// constant trip count n, `x` the element read at a checked variable index.
// Anything else iterated is LK1013. tsc itself refuses for..of over a
// FixedArray (it has no iterator: TS2488), so sources reach this through a
// cast — `for (const b of v.value.bytes as unknown as u8[])` — and get the
// same loop the documented indexed form gives.
//
// @example for (let i: u32 = 0; i < 16; i++) sum += u32(v.value.bytes[i]);   // the tsc-friendly spelling
import ts from 'typescript';
import { konst, reg } from '../ir/ir.js';
import { INT, layoutSize } from '../ir/types.js';
import type { Lowerer } from './lower.js';
import { loadMem, memOf } from './memory.js';
import { lowerStatement } from './statements.js';

export function forOfStatement(L: Lowerer, s: ts.ForOfStatement): void {
  if (s.awaitModifier) return L.fail('LK1008', 'for await is not supported: eBPF programs run to completion', s);
  const m = memOf(L, s.expression);
  if (!m || m.layout.kind !== 'array') {
    return L.fail('LK1013', `for..of works only over a FixedArray (a struct field array(T, n)); '${s.expression.getText()}' is not one: use for (let i: u32 = 0; i < N; i++)`, s.expression);
  }
  const arr = m.layout;
  if (arr.elem.kind !== 'int') {
    return L.fail('LK1013', `for..of over an array of ${arr.elem.name} is not supported: index it, for (let i: u32 = 0; i < ${arr.length}; i++) ... ${s.expression.getText()}[i]`, s.expression);
  }
  const elem = arr.elem;
  const init = s.initializer;
  const decl = ts.isVariableDeclarationList(init) && init.declarations.length === 1 ? init.declarations[0]! : undefined;
  if (!decl || !ts.isIdentifier(decl.name)) return L.fail('LK1001', 'for..of declares one element: for (const x of arr)', init);
  const sym = L.symbolOf(decl.name);
  if (!sym) return L.fail('LK1001', `no symbol for '${decl.name.text}'`, decl.name);
  const mutable = !((init as ts.VariableDeclarationList).flags & ts.NodeFlags.Const);
  const pos = L.pos(s);
  const i = L.b.vreg(INT.u64, `${decl.name.text}_index`);
  L.b.emit({ op: 'copy', dst: i, src: konst(0n, INT.u64), pos });
  const header = L.b.newBlock();
  const body = L.b.newBlock();
  const cont = L.b.newBlock();
  const exit = L.b.newBlock();
  L.b.terminate({ op: 'br', target: header, pos });
  L.b.setBlock(header);
  L.b.terminate({ op: 'cbr', cond: 'lt', a: reg(i), b: konst(BigInt(arr.length), INT.u64), ty: INT.u64, t: body, f: exit, pos });
  L.b.setBlock(body);
  const index = [...(m.index ?? []), { idx: reg(i), length: arr.length, scale: layoutSize(elem) }];
  const x = loadMem(L, { ...m, layout: elem, index }, s.expression);
  L.locals.set(sym, { kind: 'var', vreg: x, mutable });
  L.loops.push({ brk: exit, cont });
  lowerStatement(L, s.statement);
  L.loops.pop();
  L.b.terminate({ op: 'br', target: cont, pos });
  L.b.setBlock(cont);
  L.b.emit({ op: 'bin', dst: i, bin: 'add', a: reg(i), b: konst(1n, INT.u64), ty: INT.u64, pos });
  L.b.terminate({ op: 'br', target: header, pos });
  L.b.setBlock(exit);
}
