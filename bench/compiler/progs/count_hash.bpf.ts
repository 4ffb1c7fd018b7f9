// Count packets per ingress ifindex in a HashMap<u32, u64>.
import { xdp, XdpAction, HashMap, u32, u64 } from '@lockne/kernel';

export const counts = new HashMap<u32, u64>({ maxEntries: 1024 });

export const countHash = xdp((ctx) => {
  const key: u32 = ctx.ingressIfindex;
  const v = counts.lookup(key);
  if (v !== null) { v.value += 1n; } else { counts.update(key, 1n); }
  return XdpAction.PASS;
});
