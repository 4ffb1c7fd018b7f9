// Ring buffer: copy a 16-byte event (ifindex, queue, constant) into a RingBuf per packet.
import { xdp, XdpAction, RingBuf, struct, u32, u64 } from '@lockne/kernel';

export const Sample = struct('sample', { ifindex: u32, queue: u32, n: u64 });

export const events = new RingBuf({ size: 33554432 });

export const ringbufEvent = xdp((ctx) => {
  const r = events.output(Sample, { ifindex: ctx.ingressIfindex, queue: ctx.rxQueueIndex, n: 42n });
  return r === 0n ? XdpAction.PASS : XdpAction.ABORTED;
});
