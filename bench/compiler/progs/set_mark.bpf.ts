// ctx field writes in tc: skb->mark and skb->priority.
import { tc, TcAction } from '@lockne/kernel';

export const setMark = tc((ctx) => {
  ctx.mark = ctx.len + 0x1000;
  ctx.priority = 7;
  ctx.mark |= 0x10000;
  return TcAction.OK;
});
