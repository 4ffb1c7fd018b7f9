// ArrayMap histogram: count packets by length bucket (64-byte buckets, last one open-ended).
import { tc, TcAction, ArrayMap, u32, u64 } from '@lockne/kernel';

export const hist = new ArrayMap<u64>({ maxEntries: 16 });

export const lenHistogram = tc((ctx) => {
  let bucket: u32 = ctx.len >> 6;
  if (bucket > 15) bucket = 15;
  const v = hist.lookup(bucket);
  if (v !== null) v.value += 1n;
  return TcAction.OK;
});
