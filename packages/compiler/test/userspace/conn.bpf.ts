// Fixture of userspace-typed.test.ts: one module, two sides. The compiler
// turns it into eBPF; Node imports it for the map layouts that type the handles.
import { tc, TcAction, HashMap, ArrayMap, PerCpuArrayMap, struct, array, u8, u32, u64, be16, htons, type Infer, type FixedArray } from '@lockne/kernel';

export const Conn = struct('conn', { packets: u64, bytes: u64, lastLen: u32, port: be16, tag: array(u8, 3) });
export type Conn = Infer<typeof Conn>;

/** Connections by id (the packet length as a u64 here): HashMap<u64, Conn>. */
export const conns = new HashMap<u64, Conn>({ maxEntries: 64, key: u64, value: Conn });
/** Slot 0: runs; slot 1: the last length seen. */
export const stats = new ArrayMap<u32>({ maxEntries: 4, value: u32 });
/** Declared without layouts: userspace falls back to the object's BTF codecs. */
export const seen = new HashMap<u32, u64>({ maxEntries: 8 });
export const perCpuRuns = new PerCpuArrayMap<u64>({ maxEntries: 1, value: u64 });

export const track = tc((ctx) => {
  const id = u64(ctx.len);
  const c = conns.lookup(id);
  if (c === null) {
    conns.update(id, { packets: 1n, bytes: u64(ctx.len), lastLen: ctx.len, port: htons(0x1234), tag: [7, 8, 9] as FixedArray<u8, 3> });
  } else {
    c.value.packets += 1n;
    c.value.bytes += u64(ctx.len);
    c.value.lastLen = ctx.len;
  }
  const runs = stats.lookup(0);
  if (runs !== null) runs.value += 1;
  stats.update(1, ctx.len);
  const s = seen.lookup(ctx.len);
  if (s !== null) s.value += 1n; else seen.update(ctx.len, 1n);
  const p = perCpuRuns.lookup(0);
  if (p !== null) p.value += 1n;
  return TcAction.OK;
});
