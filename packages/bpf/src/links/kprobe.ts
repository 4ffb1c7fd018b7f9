// kprobes and kretprobes (KPROBE programs on kernel functions; the kprobe PMU,
// 4.17+; link mode 5.15+). The perf event names the function through the
// kprobe PMU (config1 = pointer to the symbol, config2 = offset in it).
//
// Kernels built without CONFIG_KPROBES have no kprobe PMU:
// attachKprobe then throws NotSupportedError naming
// /sys/bus/event_source/devices/kprobe/type (ENOENT).
//
// @example
// const prog = Program.load({ type: 'KPROBE', instructions: assemble('r0 = 0\nexit') });
// const link = attachKprobe(prog, { symbol: 'do_unlinkat' });
// ... link.close();
import { dynamicPmu, perfEventOpen } from '../sys/perf.js';
import { attachPerfEvent, type PerfAttachOptions, type PerfEventLink } from './perf-event.js';
import { ArgumentError } from '../errors.js';
import type { Program } from '../programs/program.js';

export interface KprobeOptions extends PerfAttachOptions {
  /** Kernel function (as in /proc/kallsyms). */
  symbol: string;
  /** Byte offset into the function (entry probes only). */
  offset?: number;
  /** A kretprobe: run on return. */
  retprobe?: boolean;
}

/** Attach a KPROBE program to a kernel function. */
export function attachKprobe(prog: Program, opts: KprobeOptions): PerfEventLink {
  if (!/^[A-Za-z0-9_.]+$/.test(opts.symbol)) throw new ArgumentError(`attachKprobe: bad symbol '${opts.symbol}'`);
  const kind = opts.retprobe ? 'kretprobe' : 'kprobe';
  const pmu = dynamicPmu('kprobe');
  let config = 0n;
  if (opts.retprobe) {
    if (pmu.retprobeBit === undefined) throw new ArgumentError('attachKprobe: this kernel\'s kprobe PMU has no retprobe format bit');
    config |= 1n << BigInt(pmu.retprobeBit);
  }
  const what = `${kind} ${opts.symbol}+0x${(opts.offset ?? 0).toString(16)}`;
  const fd = perfEventOpen({
    type: pmu.type,
    config,
    kprobe_func: new TextEncoder().encode(`${opts.symbol}\0`),
    probe_offset: opts.offset ?? 0,
  }, { pid: -1, cpu: 0, what });
  return attachPerfEvent(prog, fd, { ...opts, what });
}
