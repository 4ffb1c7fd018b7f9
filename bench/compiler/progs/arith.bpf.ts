// Arithmetic mix at 8, 16, 32 and 64 bits, signed and unsigned, on skb fields (no constant folding).
import { tc, u8, u16, u32, u64, i32 } from '@lockne/kernel';

export const arith = tc((ctx) => {
  const a: u32 = ctx.len;
  const b: u64 = u64(a) * 2654435761n + u64(ctx.ifindex);
  const c: u16 = u16(a) * 3 + u16(b >> 7n);
  const d: i32 = i32(a) - 1000;
  const e: i32 = d >> 3;
  const f: u8 = u8(a ^ 0x5a) >> 1;
  return u32(b >> 32n) ^ u32(c) ^ u32(e) ^ u32(f);
});
