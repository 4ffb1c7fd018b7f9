// Bounded loop: sum of the 8 bytes after the Ethernet header, folded to 16 bits, one bounds check per byte.
import { xdp, XdpAction, struct, u8, u32 } from '@lockne/kernel';

export const Byte = struct('byte1', { v: u8 });

export const checksum = xdp((ctx) => {
  let s: u32 = 0;
  for (let i: u32 = 0; i < 8; i++) {
    const p = ctx.header(Byte, 14 + i);
    if (p === null) return XdpAction.PASS;
    s += u32(p.v);
  }
  s = (s & 0xffff) + (s >> 16);
  return s === 0 ? XdpAction.DROP : XdpAction.PASS;
});
