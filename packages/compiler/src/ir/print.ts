// Text form of the IR, for debugging and tests.
import type { Block, Inst, IrFunction, Operand, Terminator } from './ir.js';
import { tyName } from './types.js';

function opnd(o: Operand): string {
  return o.kind === 'reg' ? `%${o.reg.name ?? ''}${o.reg.id}` : `${o.value}:${tyName(o.ty)}`;
}

function inst(i: Inst): string {
  const d = (v: { id: number; name?: string } | null) => (v ? `%${v.name ?? ''}${v.id} = ` : '');
  switch (i.op) {
    case 'copy': return `${d(i.dst)}${opnd(i.src)}`;
    case 'bin': return `${d(i.dst)}${i.bin}.${i.ty.name} ${opnd(i.a)}, ${opnd(i.b)}`;
    case 'neg': return `${d(i.dst)}neg.${i.ty.name} ${opnd(i.a)}`;
    case 'convert': return `${d(i.dst)}${i.from.name}->${i.to.name} ${opnd(i.src)}`;
    case 'load': return `${d(i.dst)}load.${i.ty.name} [%${i.base.id}+${i.off}]${i.core ? ` core.${i.core.kind} ${i.core.struct.name}:${i.core.access}` : ''}`;
    case 'store': return `store.${i.ty.name} [%${i.base.id}+${i.off}], ${opnd(i.value)}`;
    case 'lookup': return `${d(i.dst)}lookup ${i.map.name}, ${opnd(i.key)}`;
    case 'update': return `${d(i.dst)}update ${i.map.name}, ${opnd(i.key)}, ${opnd(i.value)}, ${opnd(i.flags)}`;
    case 'delete': return `${d(i.dst)}delete ${i.map.name}, ${opnd(i.key)}`;
    case 'ctxptr': return `${d(i.dst)}ctxptr [ctx+${i.off}]`;
    case 'ptradd': return `${d(i.dst)}ptradd %${i.base.id}, ${opnd(i.off)}`;
    case 'slot': return `${d(i.dst)}slot ${i.size}/${i.align}`;
    case 'bswap': return `${d(i.dst)}bswap${i.bits} ${opnd(i.src)}`;
    case 'atomic': return `${d(i.dst)}atomic.${i.aop}.${i.ty.name} [%${i.base.id}+${i.off}], ${i.expected ? `${opnd(i.expected)}, ` : ''}${opnd(i.value)}`;
    case 'ringbufOutput': return `${d(i.dst)}ringbuf_output ${i.map.name}, ${opnd(i.data)}:${i.layout.name}, ${opnd(i.flags)}`;
    case 'tailCall': return `${d(i.dst)}tail_call ${i.map.name}[${opnd(i.index)}]`;
    case 'globalAddr': return `${d(i.dst)}&${i.global}`;
    case 'coreConst': return `${d(i.dst)}core.${i.relo.kind} ${i.relo.struct.name}:${i.relo.access} = ${i.value}`;
    case 'funcAddr': return `${d(i.dst)}&${i.func}()`;
    case 'mapCall': return `${d(i.dst)}call #${i.helper}(${[i.map.name, ...i.args.map(opnd)].join(', ')})`;
    case 'call': return `${d(i.dst)}call #${i.helper}(${i.args.map(opnd).join(', ')})`;
  }
}

function term(t: Terminator | null): string {
  if (!t) return '<open>';
  if (t.op === 'br') return `br b${t.target.id}`;
  if (t.op === 'ret') return `ret ${opnd(t.value)}`;
  return `if ${opnd(t.a)} ${t.cond} ${opnd(t.b)} then b${t.t.id} else b${t.f.id}`;
}

export function printIr(fn: IrFunction): string {
  const block = (b: Block) => [`b${b.id}:`, ...b.insts.map((i) => `  ${inst(i)}`), `  ${term(b.term)}`].join('\n');
  return [`fn ${fn.name}:`, ...fn.blocks.map(block)].join('\n');
}
