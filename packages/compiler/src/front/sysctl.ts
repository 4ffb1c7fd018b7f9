// Context methods of cgroup sysctl programs: the sysctl's name and its current
// and new value (text), copied into a fixed byte array the program owns.
//   ctx.getName(buf, flags?)   → bpf_sysctl_get_name(ctx, &buf, sizeof(buf), flags)
//   ctx.getCurrentValue(buf)   → bpf_sysctl_get_current_value(ctx, &buf, sizeof(buf))
//   ctx.getNewValue(buf)       → bpf_sysctl_get_new_value(ctx, &buf, sizeof(buf))
// Each returns the length copied (without the NUL) or a negative errno (-E2BIG: truncated).
//
// @example const n = scratch.lookup(0); if (n !== null && ctx.getName(n.value.name) > 0) ...
import type ts from 'typescript';
import { helperId } from '@lockne/obj';
import { konst, reg, type Operand } from '../ir/ir.js';
import { INT } from '../ir/types.js';
import { bufferArg } from './helper-memory.js';
import { lowerExpr } from './expressions.js';
import type { Lowerer, Val } from './lower.js';

const METHODS: Readonly<Record<string, { helper: string; flags: boolean }>> = {
  getName: { helper: 'bpf_sysctl_get_name', flags: true },
  getCurrentValue: { helper: 'bpf_sysctl_get_current_value', flags: false },
  getNewValue: { helper: 'bpf_sysctl_get_new_value', flags: false },
};

/** `ctx.<method>(buf, ...)` of a sysctl program, or undefined when `method` is not one of them here. */
export function sysctlCtxCall(L: Lowerer, method: string, node: ts.CallExpression): Val | undefined {
  const m = L.ctxKind === 'bpf_sysctl' && Object.prototype.hasOwnProperty.call(METHODS, method) ? METHODS[method]! : undefined;
  if (!m) return undefined;
  const [bufArg, flagsArg] = node.arguments;
  const max = m.flags ? 2 : 1;
  if (!bufArg || node.arguments.length > max) {
    return L.fail('LK1001', `ctx.${method}(buf${m.flags ? ', flags?' : ''}) takes a fixed byte array${m.flags ? ' and SysctlName flags' : ''}`, node);
  }
  const buf = bufferArg(L, bufArg);
  const args: Operand[] = [reg(L.b.ctx), buf.p, konst(BigInt(buf.size), INT.u64)];
  if (m.flags) args.push(flagsArg ? L.operand(lowerExpr(L, flagsArg, INT.u64), INT.u64, flagsArg).op : konst(0n, INT.u64));
  const dst = L.b.vreg(INT.i64);
  L.b.emit({ op: 'call', dst, helper: helperId(m.helper)!, args, pos: L.pos(node) });
  return { kind: 'val', op: reg(dst), ty: INT.i64 };
}
